"""Limits on failed key redemptions, per user and per client address.

Keys have 120 random bits, so guessing one is hopeless; the limit keeps
people from trying anyway and keeps such attempts visible in the log.
Counts live in the shared cache, so every app server reads the same ones.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

MAX_FAILURES = 10
WINDOW_SECONDS = 60


def _keys(request) -> list[str]:
    window = int(time.time() // WINDOW_SECONDS)
    address = request.META.get("REMOTE_ADDR", "unknown")
    return [
        f"redeem-failures:user:{request.user.pk}:{window}",
        f"redeem-failures:address:{address}:{window}",
    ]


def is_throttled(request) -> bool:
    """Return whether the user or the address used up this minute's failures."""
    counts = cache.get_many(_keys(request))
    if any(count >= MAX_FAILURES for count in counts.values()):
        logger.warning(
            "Throttled key redemption for user %s from %s",
            request.user.pk, request.META.get("REMOTE_ADDR"),
        )
        return True
    return False


def record_failure(request, reason: str) -> None:
    for key in _keys(request):
        # add() starts the count only if it does not exist yet, so two
        # failures at once cannot both reset it.
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        # NOTE: the database cache increments by read and write, so two
        # failures at the same instant may count as one.
        cache.incr(key)
    logger.info(
        "Failed key redemption by user %s from %s: %s",
        request.user.pk, request.META.get("REMOTE_ADDR"), reason,
    )
