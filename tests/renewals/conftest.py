from ..ledger.conftest import postgresql_only  # noqa: F401
