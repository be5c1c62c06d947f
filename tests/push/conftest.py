"""The dashboard's demo conferences and logged-in users, for the event-stream tests."""

from tests.dashboard.conftest import demo  # noqa: F401  (fixture)
