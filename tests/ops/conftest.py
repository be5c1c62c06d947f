"""The dashboard's fixtures (`demo`, `supervisor_client`, `seen`), shared with tests/dashboard."""

from tests.dashboard.conftest import (  # noqa: F401  (fixtures and names shared with the dashboard tests)
    ESCALATION,
    demo,
    seen,
    supervisor_client,
    upstream,
)
