"""Redis as Django's cache, and this process's own memory while Redis cannot be reached.

Everything the dashboard keeps in the cache can be rebuilt: sessions are kept by the database
(`cached_db`), the user and permission cache re-reads the database, rosters re-read Twilio.
So when Redis fails, no request fails with it: for `RETRY_SECONDS` after an error every
operation goes to a local-memory cache of this process instead (rosters are then kept, and
reconciled with Twilio single-flight, per process; the per-user Twilio budget is counted per
process), then Redis is tried again. The first success empties the local cache, so a later
outage never serves what this one left behind.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# Connecting and answering are bounded, so a Redis that hangs costs a request at most this.
SOCKET_TIMEOUT_SECONDS = 0.5
FALLBACK_MAX_ENTRIES = 20000


class _Health:
    """Whether one Redis is reachable, as this process last found it (shared by its threads:
    Django gives each thread its own cache object)."""

    def __init__(self) -> None:
        self.down = False
        self.retry_at = 0.0
        self.lock = threading.Lock()


_HEALTH: dict[str, _Health] = {}
_HEALTH_LOCK = threading.Lock()


def _health(location: str) -> _Health:
    with _HEALTH_LOCK:
        return _HEALTH.setdefault(location, _Health())


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params: dict[str, Any]) -> None:
        options = {"socket_connect_timeout": SOCKET_TIMEOUT_SECONDS, "socket_timeout": SOCKET_TIMEOUT_SECONDS}
        params = {**params, "OPTIONS": {**options, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        location = str(server)
        # One local memory per process and Redis (local-memory caches of one name share it).
        self._local = LocMemCache(
            f"redis-fallback:{location}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}},
        )
        self._health = _health(location)

    @property
    def degraded(self) -> bool:
        """Whether this process is answering from its own memory (Redis failed recently)."""
        return self._health.down

    def _either(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._health.retry_at:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                self._failed(error)
            else:
                if self._health.down:
                    self._recovered()
                return result
        return getattr(self._local, name)(*args, **kwargs)

    def _failed(self, error: Exception) -> None:
        with self._health.lock:
            self._health.retry_at = time.monotonic() + RETRY_SECONDS
            if not self._health.down:
                self._health.down = True
                log.warning("Redis unavailable (%s): this process uses its own memory until it is back", error)

    def _recovered(self) -> None:
        with self._health.lock:
            if self._health.down:
                self._health.down = False
                self._local.clear()
                log.warning("Redis is back: the shared cache is used again")

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self._either("clear")
