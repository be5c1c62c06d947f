"""Change notification: "conference CF is at version V".

`roster_changed` is the one public call; it is made after every write that moved a
conference's version (a roster write or an in-flight mark: the store's `live.signals.roster_written`,
connected to `on_roster_written` in PushConfig.ready), unless that write published the change
itself (on Redis the store's write carries `announcement`'s message in its own round trip). Who
hears it:

- production profile (REDIS_URL set): a Redis pub/sub channel, so a change made in any
  dashboard process or host reaches the event streams served by every other one;
  `redis_changes()` is that channel as an async iterator (one subscriber per stream process);
- embedded default (no Redis): the listeners of this process (`listen`).

Publishing never fails the write that made the change: a lost notification is caught up by
the streams' periodic check (and a page falls back to polling anyway).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

from django.conf import settings

from conference_admin.outage import DependencyOutage

logger = logging.getLogger(__name__)
# A Redis outage is said once when publishing first fails and once when it works again.
_publishing = DependencyOutage("Redis pub/sub (roster changes to other processes)", logger)
# How long closing the Redis channel may take before it is abandoned.
CLOSE_SECONDS = 2.0

Listener = Callable[[str, int], None]

_listeners: list[Listener] = []
_listeners_lock = threading.Lock()
_client = None
_client_lock = threading.Lock()


def uses_redis() -> bool:
    return bool(getattr(settings, "REDIS_URL", None))


def channel() -> str:
    """Pub/sub channels are global to a Redis server, not per database: name the database."""
    return _channel_of(settings.REDIS_URL)


@functools.lru_cache(maxsize=4)
def _channel_of(redis_url: str) -> str:
    database = urlsplit(redis_url).path.strip("/") or "0"
    return f"conference-admin:db{database}:roster-changed"


def _encode(conference_sid: str, version: int) -> str:
    return f"{conference_sid} {version}"


def decode(message: bytes | str) -> tuple[str, int] | None:
    text = message.decode() if isinstance(message, bytes) else message
    conference_sid, _, version = text.partition(" ")
    try:
        return conference_sid, int(version)
    except ValueError:
        return None


def _redis():
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                import redis

                _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    return _client


def roster_changed(conference_sid: str, version: int) -> None:
    """Say that `conference_sid` is now at `version` to every event stream that may show it."""
    if uses_redis():
        try:
            _redis().publish(channel(), _encode(conference_sid, version))
        except Exception as error:  # a notification is a hint: the write it follows has succeeded
            _publishing.failed(f"{error.__class__.__name__}: {error}")
        else:
            _publishing.succeeded()
        return
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(conference_sid, version)
        except Exception:
            logger.exception("A roster-change listener failed")


# A transcript change travels on the same channel, its conference SID marked with this suffix.
TRANSCRIPT_SUFFIX = "/transcript"


def transcript_changed(conference_sid: str, cursor: int) -> None:
    """Say that `conference_sid`'s transcript cursor is now `cursor` (after every line
    live/transcripts.py writes): the streams that show the transcript send the new lines."""
    roster_changed(conference_sid + TRANSCRIPT_SUFFIX, cursor)


def announcement(conference_sid: str, version: int) -> tuple[str, str] | None:
    """The channel and message that say `conference_sid` is at `version`, for a roster write to
    publish in its own Redis round trip (`live.signals.announce_in_write`, set in
    PushConfig.ready); None without Redis (this process's listeners hear `roster_written`)."""
    return (channel(), _encode(conference_sid, version)) if uses_redis() else None


def on_roster_written(sender, *, conference_sid: str, version: int, published: bool = False, **kwargs) -> None:
    """Receiver of `live.signals.roster_written` (connected in PushConfig.ready): announces the
    version unless the write already published it."""
    if not published:
        roster_changed(conference_sid, version)


def on_transcript_written(sender, *, conference_sid: str, cursor: int, **kwargs) -> None:
    """Receiver of `live.signals.transcript_written` (connected in PushConfig.ready)."""
    transcript_changed(conference_sid, cursor)


def split(conference_sid: str) -> tuple[str, bool]:
    """(conference SID, whether the notification is about its transcript)."""
    if conference_sid.endswith(TRANSCRIPT_SUFFIX):
        return conference_sid.removesuffix(TRANSCRIPT_SUFFIX), True
    return conference_sid, False


def listen(listener: Listener) -> Callable[[], None]:
    """In-process notifications (the embedded default); returns the call that stops them."""
    with _listeners_lock:
        _listeners.append(listener)

    def stop() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


async def redis_changes(on_subscribed: Callable[[], None] | None = None) -> AsyncIterator[tuple[str, int]]:
    """The Redis channel's notifications, for as long as the caller iterates."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(channel())
        if on_subscribed is not None:
            on_subscribed()
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            decoded = decode(message["data"])
            if decoded is not None:
                yield decoded
    finally:
        # Bounded: closing a pub/sub connection cancelled mid-read can wait forever, and a
        # server stopping (or a test's loop closing) must not wait on it.
        try:
            await asyncio.wait_for(_close(pubsub, client), CLOSE_SECONDS)
        except Exception:  # TimeoutError included
            logger.warning("The roster-change channel did not close cleanly", exc_info=True)


async def _close(pubsub, client) -> None:
    await pubsub.aclose()
    await client.aclose()
