"""The roster store announces every version it writes: in-process, or over Redis pub/sub."""

from __future__ import annotations

import asyncio
import os
from functools import partial

import pytest

from conference_admin.live import roster as rosters
from conference_admin.push import notifier

from .conftest import run_async

CF = "CF" + "a" * 32
CA = "CA" + "b" * 32


@pytest.fixture
def in_process(settings):
    settings.REDIS_URL = None
    heard: list[tuple[str, int]] = []
    stop = notifier.listen(lambda conference_sid, version: heard.append((conference_sid, version)))
    try:
        yield heard
    finally:
        stop()


def _touch(roster, version) -> bool:
    roster.last_error = f"v{version}"
    return True


def test_every_roster_write_that_moves_the_version_is_announced_once(in_process) -> None:
    first = rosters.mutate(CF, _touch)
    second = rosters.mutate(CF, _touch)
    assert in_process == [(CF, first.version), (CF, second.version)]
    assert second.version == rosters.current_version(CF)


def test_a_write_that_changes_nothing_is_not_announced(in_process) -> None:
    rosters.mutate(CF, _touch)
    in_process.clear()
    rosters.mutate(CF, lambda roster, version: False)
    assert in_process == []


def test_an_in_flight_mark_is_announced_with_the_version_it_took(in_process) -> None:
    rosters.mutate(CF, _touch)
    rosters.begin(CF, CA, actor="sam", action="mute")
    assert in_process[-1] == (CF, rosters.current_version(CF))


def test_a_listener_that_fails_does_not_fail_the_write_nor_the_other_listeners(in_process) -> None:
    def broken(conference_sid, version):
        raise RuntimeError("boom")

    stop = notifier.listen(broken)
    try:
        roster = rosters.mutate(CF, _touch)
    finally:
        stop()
    assert in_process == [(CF, roster.version)]


def test_a_stopped_listener_hears_nothing_more(settings) -> None:
    settings.REDIS_URL = None
    heard: list = []
    notifier.listen(lambda *args: heard.append(args))()
    rosters.mutate(CF, _touch)
    assert heard == []


def test_the_channel_names_the_redis_database(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/6"
    assert notifier.channel() == "conference-admin:db6:roster-changed"
    settings.REDIS_URL = "redis://127.0.0.1:6379"
    assert notifier.channel() == "conference-admin:db0:roster-changed"


needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="production profile only (Redis)")


class Down:
    def publish(self, *args):
        raise ConnectionError("redis is down")


@needs_redis
@pytest.mark.parametrize("separate_publish", ["works", "fails"])
def test_over_redis_another_process_hears_the_change(settings, monkeypatch, separate_publish) -> None:
    """A subscriber on its own connection (as a stream process has) receives the announcement.
    The roster's writes publish it themselves, in their own round trip: it arrives even when
    the notifier's separate publishing connection fails."""
    if separate_publish == "fails":
        monkeypatch.setattr(notifier, "_redis", lambda: Down())

    async def scenario() -> list[tuple[str, int]]:
        subscribed = asyncio.Event()
        heard: list[tuple[str, int]] = []

        async def follow() -> None:
            async for change in notifier.redis_changes(on_subscribed=subscribed.set):
                heard.append(change)
                if len(heard) == 2:
                    return

        task = asyncio.create_task(follow())
        await asyncio.wait_for(subscribed.wait(), 5)
        await asyncio.to_thread(rosters.mutate, CF, _touch)
        await asyncio.to_thread(partial(rosters.begin, CF, CA, actor="sam", action="mute"))
        await asyncio.wait_for(task, 5)
        return heard

    heard = run_async(scenario())
    version = rosters.current_version(CF)
    assert version is not None
    assert heard == [(CF, version - 1), (CF, version)]


@needs_redis
def test_over_redis_a_publish_failure_is_not_raised(settings, monkeypatch) -> None:
    """What the notifier publishes itself (a transcript line, a write made while the cache
    answered from memory) is a hint: its failure never fails the write it follows."""
    monkeypatch.setattr(notifier, "_redis", lambda: Down())
    notifier.transcript_changed(CF, 3)
    notifier.on_roster_written(None, conference_sid=CF, version=4)


@needs_redis
def test_over_redis_a_write_in_fallback_memory_is_announced_by_the_notifier(settings, monkeypatch) -> None:
    """When the write could not carry the announcement (Redis failed: the process's own memory),
    the notifier publishes it separately (and it is heard once Redis answers again)."""
    sent: list[tuple[str, str]] = []

    class Recording:
        def publish(self, channel, message):
            sent.append((channel, message))

    monkeypatch.setattr(notifier, "_redis", lambda: Recording())
    notifier.on_roster_written(None, conference_sid=CF, version=7, published=False)
    notifier.on_roster_written(None, conference_sid=CF, version=8, published=True)
    assert sent == [(notifier.channel(), f"{CF} 7")]
