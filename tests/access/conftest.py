"""Fixtures for access-control tests: users per role, logged-in clients, the demo conferences."""

from __future__ import annotations

import pytest
from django.test import Client

from conference_admin.access.roles import ADMIN, LEAD, OBSERVER, SUPERVISOR, assign_role

from ..dashboard.conftest import demo  # noqa: F401  (the demo conferences, as in the view tests)

ROLES = [OBSERVER, SUPERVISOR, LEAD, ADMIN]


@pytest.fixture
def user_with_role(django_user_model, db):
    def make(role: str, username: str | None = None):
        user = django_user_model.objects.create_user(username or role.lower())  # no password: hashing is slow
        assign_role(user, role)
        return user

    return make


@pytest.fixture
def client_as(user_with_role):
    """A client logged in (force_login: no password, no axes) with the given role."""

    def make(role: str, *, enforce_csrf_checks: bool = False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        client.force_login(user_with_role(role))
        return client

    return make
