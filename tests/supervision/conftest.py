"""Supervision tests reuse the dashboard's fixtures: the demo conferences and a Lead's client."""

from __future__ import annotations

import pytest

from conference_admin.access.roles import SUPERVISOR, assign_role
from tests.dashboard.conftest import (  # noqa: F401  (the dashboard's fixtures and names, shared)
    BILLING,
    ESCALATION,
    HUDDLE,
    ONBOARDING,
    SALES,
    Demo,
    demo,
    seen,
    supervisor_client,
    upstream,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lead(supervisor_client):
    """The Lead behind `supervisor_client` (username "supervisor")."""
    return supervisor_client.session and __import__(
        "django.contrib.auth", fromlist=["get_user_model"]
    ).get_user_model().objects.get(username="supervisor")


@pytest.fixture
def plain_supervisor_client(django_user_model, db):
    """A Supervisor (moderate, no bulk actions) in a client of their own."""
    from django.test import Client

    user = django_user_model.objects.create_user("sam")
    assign_role(user, SUPERVISOR)
    client = Client()
    client.force_login(user)
    return client
