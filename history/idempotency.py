"""Idempotent state changes: each submission token acts at most once.

The token row is inserted first, in the same transaction as the change.
On PostgreSQL a concurrent request with the same token blocks on the
unique index until the first commits, then fails on it and returns the
first one's result. If the first rolls back, the second runs instead, so
a token's change happens once or not at all. SQLite runs one writing
transaction at a time, which gives the same outcome.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction

from licensemgr.db import retry_on_conflict

from .models import Submission

logger = logging.getLogger(__name__)


class TokenReused(Exception):
    """The token was used before for a different request."""


def fingerprint_of(scope: str, data: dict) -> str:
    payload = json.dumps({"scope": scope, "data": data}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@retry_on_conflict
def run_once(
    *,
    token: uuid.UUID,
    organization,
    user,
    scope: str,
    data: dict,
    operation: Callable[[], dict],
) -> tuple[dict, bool]:
    """Run ``operation`` unless ``token`` was used; return its result and whether it ran.

    ``operation`` returns a JSON-serializable result and runs inside the
    transaction that stores the token. ``scope`` and ``data`` identify the
    request: the same token with other input raises ``TokenReused``.
    """
    fingerprint = fingerprint_of(scope, data)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                token=token, organization=organization, user=user, fingerprint=fingerprint
            )
            result = operation()
            submission.result = result
            submission.save(update_fields=["result"])
            return result, True
    except IntegrityError:
        existing = Submission.objects.filter(token=token).first()
        if existing is None:
            # The IntegrityError came from the operation itself, not the token.
            raise

    if (
        existing.fingerprint != fingerprint
        or existing.organization_id != getattr(organization, "pk", None)
        or existing.user_id != getattr(user, "pk", None)
    ):
        logger.warning("Rejected reuse of submission token %s for other input", token)
        raise TokenReused(str(token))

    logger.info("Replayed submission token %s", token)
    return existing.result, False
