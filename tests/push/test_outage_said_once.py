"""A Redis outage while roster changes are published is logged once when it starts and once when
it ends (with how long), not a traceback per change."""

from __future__ import annotations

import logging

import pytest

from conference_admin.outage import DependencyOutage
from conference_admin.push import notifier
from tests.faults.infrastructure import PrivateRedis, closed_port


@pytest.fixture
def private_redis(settings, monkeypatch):
    server = PrivateRedis(closed_port())
    server.start()
    settings.REDIS_URL = f"redis://127.0.0.1:{server.port}/0"
    monkeypatch.setattr(notifier, "_client", None)  # built again for this Redis
    monkeypatch.setattr(notifier, "_publishing", DependencyOutage(notifier._publishing.name, notifier.logger))
    try:
        yield server
    finally:
        server.stop()


def test_a_redis_outage_is_said_once_down_and_once_back(private_redis, caplog):
    caplog.set_level(logging.WARNING, logger="conference_admin.push.notifier")
    notifier.roster_changed("CF" + "0" * 32, 1)
    assert caplog.records == []

    private_redis.stop()
    for version in range(2, 22):
        notifier.roster_changed("CF" + "0" * 32, version)  # never raises: the write it follows succeeded
    down = [r for r in caplog.records if "is unavailable" in r.getMessage()]
    assert len(down) == 1 and down[0].exc_info is None
    assert len(caplog.records) == 1

    private_redis.start()
    notifier.roster_changed("CF" + "0" * 32, 22)
    notifier.roster_changed("CF" + "0" * 32, 23)
    back = [r.getMessage() for r in caplog.records if "is back after" in r.getMessage()]
    assert len(back) == 1 and "(20 failed calls meanwhile)" in back[0]
    assert len(caplog.records) == 2
