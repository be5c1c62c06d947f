"""Redis as Django's cache, and this process's own memory while Redis cannot be reached.

Everything the dashboard keeps in the cache can be rebuilt: sessions are kept by the database
(`cached_db`), the user and permission cache re-reads the database, rosters re-read Twilio.
So when Redis fails, no request fails with it: for `RETRY_SECONDS` after an error every
operation goes to a local-memory cache of this process instead (rosters are then kept, and
reconciled with Twilio single-flight, per process; the per-user Twilio budget is counted per
process), then Redis is tried again. The first success empties the local cache, so a later
outage never serves what this one left behind.

Exclusive sections (`exclusive`, below) keep one writer at a time per name: in Redis, a
token-owned lock with an expiry and writes made only while the token still holds it; while
Redis is down, and on the embedded default's local memory, a lock of this process, which is
exactly as wide as the memory it guards.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import LockError, RedisError

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
        self.down_since = 0.0  # monotonic, while down
        self.down_total = 0.0  # seconds of earlier outages


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
        self._write_if_owner_script: Any = None

    @property
    def serializer(self) -> Any:
        """How values are stored in Redis (Django's RedisSerializer)."""
        client: Any = self._cache
        return client._serializer

    def _write_if_owner(self, *, keys: list[str], args: list[Any], client: Any) -> Any:
        if self._write_if_owner_script is None:
            self._write_if_owner_script = client.register_script(_WRITE_IF_OWNER)
        return self._write_if_owner_script(keys=keys, args=args, client=client)

    @property
    def degraded(self) -> bool:
        """Whether this process is answering from its own memory (Redis failed recently)."""
        return self._health.down

    @property
    def fallback_seconds(self) -> float:
        """How long this process has answered from its own memory, all outages together."""
        health = self._health
        with health.lock:
            ongoing = time.monotonic() - health.down_since if health.down else 0.0
            return health.down_total + ongoing

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
                self._health.down_since = time.monotonic()
                log.warning("Redis unavailable (%s): this process uses its own memory until it is back", error)

    def _recovered(self) -> None:
        with self._health.lock:
            if self._health.down:
                self._health.down = False
                self._health.down_total += time.monotonic() - self._health.down_since
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


# --- exclusive sections: one writer at a time per name, and no write from a holder who lost it


class LockUnavailable(Exception):
    """Another holder kept the lock for the whole wait: nothing was read or written."""


class LockLost(Exception):
    """The lock expired, or its Redis failed, before the write: nothing was written."""


class _ProcessLocks:
    """Named locks of this process, created on first use and dropped when nobody holds or
    waits for them (so a process that sees many conferences keeps no lock per conference)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list[Any]] = {}  # name -> [lock, holders and waiters]

    def acquire(self, name: str, wait: float) -> bool:
        with self._guard:
            entry = self._locks.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
        if entry[0].acquire(timeout=wait):
            return True
        self._forget(name)
        return False

    def release(self, name: str) -> None:
        self._locks[name][0].release()
        self._forget(name)

    def _forget(self, name: str) -> None:
        with self._guard:
            entry = self._locks[name]
            entry[1] -= 1
            if not entry[1]:
                del self._locks[name]


_PROCESS_LOCKS = _ProcessLocks()


class ProcessHeld:
    """An exclusive section among this process's threads, over a cache of this process (the
    embedded default's local memory, or Redis's fallback while Redis is down). The lock never
    expires, so a holder always owns it when it writes; across processes it guarantees nothing,
    and needs to: each process has its own memory."""

    def __init__(self, backend: Any, name: str, wait: float) -> None:
        self.backend, self.name, self.wait = backend, name, wait

    def __enter__(self) -> ProcessHeld:
        if not _PROCESS_LOCKS.acquire(self.name, self.wait):
            raise LockUnavailable(self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        _PROCESS_LOCKS.release(self.name)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return self.backend.get_many(keys)

    def set_many(self, data: dict[str, Any], timeout: int | None) -> None:
        self.backend.set_many(data, timeout=timeout)


# Write every key only if the lock (KEYS[1]) still holds this holder's token (ARGV[1]): a
# holder whose lock expired while it worked writes nothing (a later holder may have written).
_WRITE_IF_OWNER = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS do
  if ttl > 0 then redis.call('set', KEYS[i], ARGV[i + 1], 'EX', ttl)
  else redis.call('set', KEYS[i], ARGV[i + 1]) end
end
return 1
"""


class RedisHeld:
    """An exclusive section across every process and host: redis-py's `Lock` (a token in one
    key, set only if absent, expiring after `ttl` so a crashed holder cannot block for ever,
    released by compare-and-delete so a holder never frees another's lock). Reads go to the
    primary; the write is one Lua script that checks the token and writes every key, or
    nothing (`LockLost`). If Redis fails before the lock is taken, the section is taken in
    this process instead, over the fallback memory, as every other cache operation is then."""

    def __init__(self, backend: ResilientRedisCache, name: str, ttl: float, wait: float) -> None:
        self.backend, self.name, self.ttl, self.wait = backend, name, ttl, wait
        self.local: ProcessHeld | None = None
        self.lock: Any = None

    def __enter__(self) -> RedisHeld:
        backend = self.backend
        if not backend.degraded or time.monotonic() >= backend._health.retry_at:
            self.client = backend._cache.get_client(write=True)
            lock = self.client.lock(
                backend.make_key(self.name), timeout=self.ttl, sleep=0.002, blocking_timeout=self.wait
            )
            try:
                acquired = lock.acquire()
            except RedisError as error:
                backend._failed(error)
            else:
                if not acquired:
                    raise LockUnavailable(self.name)
                if backend.degraded:
                    backend._recovered()
                self.lock = lock
                return self
        self.local = ProcessHeld(backend._local, self.name, self.wait).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.local is not None:
            self.local.__exit__(*exc)
            return
        try:
            self.lock.release()
        except LockError:
            pass  # it expired while held: a later holder may own it now, and keeps it
        except RedisError as error:
            self.backend._failed(error)  # it expires on its own

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        if self.local is not None:
            return self.local.get_many(keys)
        full = [self.backend.make_and_validate_key(key) for key in keys]
        try:
            values = self.client.mget(full)
        except RedisError as error:
            self.backend._failed(error)
            raise LockLost(self.name) from error
        loads = self.backend.serializer.loads
        return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}

    def set_many(self, data: dict[str, Any], timeout: int | None) -> None:
        if self.local is not None:
            self.local.set_many(data, timeout)
            return
        backend = self.backend
        dumps = backend.serializer.dumps
        seconds = backend.get_backend_timeout(timeout)
        keys = [self.lock.name, *(backend.make_and_validate_key(key) for key in data)]
        args = [self.lock.local.token, seconds or 0, *(dumps(value) for value in data.values())]
        try:
            written = backend._write_if_owner(keys=keys, args=args, client=self.client)
        except RedisError as error:
            backend._failed(error)
            raise LockLost(self.name) from error
        if not written:
            raise LockLost(self.name)


def exclusive(backend: Any, name: str, *, ttl: float, wait: float) -> ProcessHeld | RedisHeld:
    """`with exclusive(cache, "roster:CF:lock", ttl=5, wait=6) as held: held.get_many(...);
    held.set_many(...)`: one writer at a time. Raises `LockUnavailable` when the wait ends,
    `LockLost` from `set_many` when the lock was lost before the write (nothing written)."""
    if isinstance(backend, ResilientRedisCache):
        return RedisHeld(backend, name, ttl, wait)
    if isinstance(backend, RedisCache):
        raise TypeError("exclusive sections need conference_admin.cache.ResilientRedisCache, not RedisCache")
    return ProcessHeld(backend, name, wait)
