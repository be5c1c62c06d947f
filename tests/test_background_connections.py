"""Work run off the request thread closes its database connections when it is done: a pool's
or an executor's thread lives on, and a connection it kept would be one database session per
idle thread (the production-profile suite ended with "database ... is being accessed by other
users")."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, assign_role
from conference_admin.live import identity
from conference_admin.push import hub as hubs
from conference_admin.push import views as push_views

from .dashboard.conftest import ESCALATION, demo  # noqa: F401  (fixture)
from .push.conftest import run_async
from .push.test_stream import read_stream

pytestmark = pytest.mark.django_db(transaction=True)  # the work runs on other threads


class Used:
    """The database connections that work on other threads used (the thread's own wrapper)."""

    def __init__(self) -> None:
        self.wrappers: list = []
        self.threads: set[int] = set()

    def query(self) -> None:
        get_user_model().objects.count()  # opens this thread's connection
        self.wrappers.append(connections["default"])
        self.threads.add(threading.get_ident())

    def left_open(self) -> list:
        return [wrapper for wrapper in self.wrappers if wrapper.connection is not None]


def test_caller_identitys_pool_closes_its_connection():
    used = Used()
    pool = identity._Pool()
    pool.submit(used.query)
    pool.drain(10)
    assert used.wrappers and threading.get_ident() not in used.threads
    assert used.left_open() == []


def test_the_hubs_checks_close_their_connections(monkeypatch, settings):
    used = Used()

    def refresh(*, conference_sid):
        used.query()
        return None

    def revoked(viewers):
        used.query()
        return []

    monkeypatch.setattr(hubs.services, "roster_refresh", refresh)
    monkeypatch.setattr(hubs, "revoked", revoked)

    async def scenario():
        hub = hubs.Hub()
        await hub._check_once(hubs.Watch("CF" + "0" * 32))
        hub.viewers = {object(): None}  # one stream's session to check
        task = hub.loop.create_task(hub._check_sessions_every())
        try:
            while len(used.wrappers) < 2:
                await asyncio.sleep(0.05)
        finally:
            task.cancel()

    settings.PUSH_HEARTBEAT_SECONDS = 0.05
    run_async(scenario())
    assert len(used.wrappers) >= 2 and threading.get_ident() not in used.threads
    assert used.left_open() == []


def test_the_event_streams_checks_and_renders_close_their_connections(client, demo, monkeypatch):  # noqa: F811
    user = get_user_model().objects.create_user("watching")
    assign_role(user, OBSERVER)
    client.force_login(user)
    used = Used()
    original = push_views.viewer_of

    def viewer_of(request):
        used.query()  # in the stream's thread hop, after the page's checks read the database
        return original(request)

    monkeypatch.setattr(push_views, "viewer_of", viewer_of)
    sid = demo.sid(ESCALATION)
    stream = read_stream(client, reverse("conference-events", args=[sid]), until=lambda s: bool(s.events))
    assert stream.status == 200 and used.wrappers
    assert used.left_open() == []
