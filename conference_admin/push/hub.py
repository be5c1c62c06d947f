"""One process's event streams and the notifications that wake them.

A `Hub` lives in the ASGI server's event loop. For every conference that has open streams it
keeps a `Watch`: the newest version heard of, and one checker task that, every
`PUSH_CHECK_SECONDS`, runs the same refresh the poll runs (`services.roster_refresh`: the
single-flight reconcile with Twilio when due, else one small cache read). So upstream calls
stay flat in viewers (one check per conference per process, not per page) and a lost
notification costs at most one check interval.

Notifications come from `notifier`: the Redis channel (one subscription per process) or the
in-process listeners, handed to the loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings

from conference_admin.dashboard import services
from conference_admin.live.transcripts import current_cursor
from conference_admin.offthread import closing_connections

from . import notifier
from .sessions import Viewer, revoked
from .signals import streams_changed

logger = logging.getLogger(__name__)
T = TypeVar("T")


class TooManyStreams(Exception):
    pass


class Watch:
    """What the streams of one conference wait on."""

    def __init__(self, conference_sid: str) -> None:
        self.conference_sid = conference_sid
        self.version: int | None = None
        # The newest transcript cursor heard of (live/transcripts.py); None: not known yet.
        self.transcript: int | None = None
        self.streams = 0
        self.checker: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._renders: dict[Hashable, asyncio.Future[Any]] = {}

    def advance(self, version: int) -> None:
        if self.version is not None and version <= self.version:
            return
        self.version = version
        self._renders.clear()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def rendered(self, key: Hashable, render: Callable[[], Awaitable[T]]) -> T:
        """`render()`, once for all the streams that ask with the same key at this version
        (pages at the same version, of the same user: the same answer)."""
        future = self._renders.get(key)
        if future is None:
            future = self._renders[key] = asyncio.ensure_future(render())
        return await asyncio.shield(future)

    def advance_transcript(self, cursor: int) -> None:
        """New transcript lines: wake the streams (those that show the transcript send them)."""
        if self.transcript is not None and cursor <= self.transcript:
            return
        self.transcript = cursor
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def transcript_past(self, known: int | None) -> bool:
        return known is not None and self.transcript is not None and self.transcript > known

    def poke(self) -> None:
        """Wake this conference's streams without a change (one of them must close)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_past(self, known: int | None, timeout: float, transcript: int | None = None) -> bool:
        """Whether the conference moved past `known` (or its transcript past `transcript`, or a
        stream was poked), waiting up to `timeout` seconds; False when the time ran out."""
        if self.version is not None and (known is None or self.version > known):
            return True
        if self.transcript_past(transcript):
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True


class Hub:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.watches: dict[str, Watch] = {}
        self.per_user: Counter[Any] = Counter()
        self.viewers: dict[Viewer, Watch] = {}
        self._session_checks: asyncio.Task[None] | None = None
        self._source: asyncio.Task[None] | None = None
        self._stop_listening: Callable[[], None] | None = None

    # --- notifications -------------------------------------------------------------------

    def changed(self, conference_sid: str, version: int) -> None:
        conference_sid, transcript = notifier.split(conference_sid)
        watch = self.watches.get(conference_sid)
        if watch is not None:
            (watch.advance_transcript if transcript else watch.advance)(version)

    def _from_thread(self, conference_sid: str, version: int) -> None:
        try:
            self.loop.call_soon_threadsafe(self.changed, conference_sid, version)
        except RuntimeError:  # the loop has closed (server stopped)
            pass

    def _start_source(self) -> None:
        if notifier.uses_redis():
            if self._source is None or self._source.done():
                self._source = self.loop.create_task(self._follow_redis())
        elif self._stop_listening is None:
            self._stop_listening = notifier.listen(self._from_thread)

    async def _follow_redis(self) -> None:
        while True:
            try:
                async for conference_sid, version in notifier.redis_changes(on_subscribed=self._check_all_now):
                    self.changed(conference_sid, version)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Lost the roster-change channel; resubscribing", exc_info=True)
            await asyncio.sleep(1)

    def _check_all_now(self) -> None:
        """(Re)subscribed: anything published meanwhile was missed, so look now."""
        for watch in self.watches.values():
            self.loop.create_task(self._check_once(watch))

    # --- checks --------------------------------------------------------------------------

    async def _check_once(self, watch: Watch) -> None:
        try:
            meta = await sync_to_async(closing_connections(services.roster_refresh), thread_sensitive=False)(
                conference_sid=watch.conference_sid
            )
        except Exception:  # a check is best effort; the stream's own render reports errors
            logger.debug("Roster check failed for %s", watch.conference_sid, exc_info=True)
            return
        if meta is not None:
            watch.advance(meta.version)
        try:
            cursor = await sync_to_async(current_cursor, thread_sensitive=False)(watch.conference_sid)
        except Exception:
            logger.debug("Transcript check failed for %s", watch.conference_sid, exc_info=True)
            return
        watch.advance_transcript(cursor)

    async def _check_every(self, watch: Watch) -> None:
        while True:
            await asyncio.sleep(settings.PUSH_CHECK_SECONDS)
            await self._check_once(watch)

    # --- streams -------------------------------------------------------------------------

    def full(self, user_id: Any) -> bool:
        return self.per_user[user_id] >= settings.PUSH_STREAMS_PER_USER

    @asynccontextmanager
    async def stream(self, conference_sid: str, viewer: Viewer) -> AsyncIterator[Watch]:
        """One open stream of `viewer` on `conference_sid`, for the duration of the block;
        `viewer.closed` is set when its session ends or its permission goes."""
        if self.full(viewer.user_id):
            raise TooManyStreams(viewer.user_id)
        self._start_source()
        if self._session_checks is None or self._session_checks.done():
            self._session_checks = self.loop.create_task(self._check_sessions_every())
        self.per_user[viewer.user_id] += 1
        watch = self.watches.get(conference_sid)
        if watch is None:
            watch = self.watches[conference_sid] = Watch(conference_sid)
            watch.checker = self.loop.create_task(self._check_every(watch))
        watch.streams += 1
        viewer.closed = asyncio.Event()
        self.viewers[viewer] = watch
        streams_changed.send(Hub, open_streams=self.open_streams())
        try:
            yield watch
        finally:
            self.viewers.pop(viewer, None)
            watch.streams -= 1
            streams_changed.send(Hub, open_streams=self.open_streams())
            self.per_user[viewer.user_id] -= 1
            if self.per_user[viewer.user_id] <= 0:
                del self.per_user[viewer.user_id]
            if watch.streams == 0 and self.watches.get(conference_sid) is watch:
                del self.watches[conference_sid]
                if watch.checker is not None:
                    watch.checker.cancel()

    async def _check_sessions_every(self) -> None:
        """All streams' sessions and permissions, in one cache round trip per heartbeat."""
        while True:
            await asyncio.sleep(settings.PUSH_HEARTBEAT_SECONDS)
            viewers = list(self.viewers)
            if not viewers:
                continue
            try:
                ended = await sync_to_async(closing_connections(revoked), thread_sensitive=False)(viewers)
            except Exception:
                logger.warning("Could not check the streams' sessions", exc_info=True)
                continue
            for viewer in ended:
                watch = self.viewers.get(viewer)
                if watch is not None and viewer.closed is not None:
                    viewer.closed.set()
                    watch.poke()

    def open_streams(self) -> int:
        return sum(watch.streams for watch in self.watches.values())


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def current() -> Hub:
    """The hub of the running event loop (one per server process; tests may run several loops)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old in [other for other in _hubs if other.is_closed()]:
            stale = _hubs.pop(old)
            if stale._stop_listening is not None:
                stale._stop_listening()
        hub = _hubs[loop] = Hub()
    return hub
