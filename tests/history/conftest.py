import pytest

from conference_admin.history.recorder import forget_recorded_alerts


@pytest.fixture(autouse=True)
def _no_alerts_remembered():
    """Which alerts were written is remembered per process; each test starts with a new database."""
    forget_recorded_alerts()
    yield
    forget_recorded_alerts()
