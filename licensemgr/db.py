"""Retry of transactions that PostgreSQL aborted because of a conflict.

Deadlocks, serialization failures and lock timeouts abort a transaction
without changing anything, so running it again from the start is safe.
Only the outermost transaction can be retried: inside another one the
abort has already poisoned the enclosing transaction.
"""

import functools
import logging
import time
from collections.abc import Callable

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

ATTEMPTS = 3
# SQLSTATE codes of conflicts that a new attempt can clear.
RETRYABLE = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
}


class DatabaseBusy(Exception):
    """A conflict outlasted every attempt; nothing was changed."""


def _sqlstate(error: OperationalError) -> str | None:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)


def retry_on_conflict(function: Callable) -> Callable:
    """Run ``function`` again when its transaction fails on a retryable conflict."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return function(*args, **kwargs)

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                state = _sqlstate(error)
                if state not in RETRYABLE:
                    raise
                logger.warning(
                    "%s failed on a conflict (SQLSTATE %s), attempt %s of %s",
                    function.__qualname__, state, attempt, ATTEMPTS,
                )
                if attempt == ATTEMPTS:
                    raise DatabaseBusy(function.__qualname__) from error
                time.sleep(0.05 * attempt)

    return wrapper
