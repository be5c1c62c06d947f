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

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class _ReusedClients(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool: Django builds a
    new one (and its table of ~250 response callbacks) for every cache call, a sixth of an
    unchanged poll's time. A `redis.Redis` over a pool is safe to share between threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # Django's private helpers, which its type stubs leave out
        index = django_client._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = django_client._get_connection_pool(write)
            client = self._clients[index] = django_client._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params: dict[str, Any]) -> None:
        options = {"socket_connect_timeout": SOCKET_TIMEOUT_SECONDS, "socket_timeout": SOCKET_TIMEOUT_SECONDS}
        params = {**params, "OPTIONS": {**options, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = _ReusedClients
        location = str(server)
        # One local memory per process and Redis (local-memory caches of one name share it).
        self._local = LocMemCache(
            f"redis-fallback:{location}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}},
        )
        self._health = _health(location)
        self._scripts: dict[str, Any] = {}

    @property
    def serializer(self) -> Any:
        """How values are stored in Redis (Django's RedisSerializer)."""
        client: Any = self._cache
        return client._serializer

    def _run_script(self, source: str, *, keys: list[str], args: list[Any], client: Any) -> Any:
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = client.register_script(source)
        return script(keys=keys, args=args, client=client)

    def _write_if_owner(self, *, keys: list[str], args: list[Any], client: Any, release: bool = False) -> Any:
        return self._run_script(_WRITE_AND_RELEASE if release else _WRITE_IF_OWNER, keys=keys, args=args, client=client)

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

    def take_token(self, key: str, *, capacity: float, rate: float, now: float, ttl: int) -> float:
        """`take_token` (below) in ONE round trip: a Lua script reads and refills the bucket
        and takes a token only if one is there (two requests can no longer both take the last)."""
        if time.monotonic() >= self._health.retry_at:
            try:
                client = self._cache.get_client(write=True)
                answer = self._run_script(
                    _TAKE_TOKEN, keys=[self.make_and_validate_key(key)], args=[capacity, rate, now, ttl], client=client
                )
            except RedisError as error:
                self._failed(error)
            else:
                if self._health.down:
                    self._recovered()
                return float(answer)
        return _take_token_over(self._local, key, capacity=capacity, rate=rate, now=now, ttl=ttl)

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


# A token bucket in one key ("<tokens left> <when>"): refilled at ARGV[2] tokens a second up to
# ARGV[1], one token taken if there is one. Answers the tokens there were before taking.
_TAKE_TOKEN = """
local capacity, rate, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = capacity
local held = redis.call('get', KEYS[1])
if held then
  local left, stamp = string.match(held, '^(%S+) (%S+)$')
  if left then tokens = math.min(capacity, tonumber(left) + math.max(0, now - tonumber(stamp)) * rate) end
end
if tokens >= 1 then
  redis.call('set', KEYS[1], string.format('%.17g %.17g', tokens - 1, now), 'EX', ARGV[4])
end
return string.format('%.17g', tokens)
"""


@dataclass(frozen=True)
class Bucket:
    """A token bucket in one cache key: holds `capacity`, refilled at `rate` tokens a second,
    kept `ttl` seconds after its last use; `now` is the time of this take."""

    key: str
    capacity: float
    rate: float
    now: float
    ttl: int

    def take_from(self, backend: Any) -> float:
        return take_token(backend, self.key, capacity=self.capacity, rate=self.rate, now=self.now, ttl=self.ttl)


def _take_token_over(backend: Any, key: str, *, capacity: float, rate: float, now: float, ttl: int) -> float:
    held = backend.get(key)
    tokens = capacity
    if isinstance(held, tuple) and len(held) == 2:
        left, stamp = held
        tokens = min(capacity, left + max(0.0, now - stamp) * rate)
    if tokens >= 1:
        backend.set(key, (tokens - 1, now), timeout=ttl)
    return tokens


def take_token(backend: Any, key: str, *, capacity: float, rate: float, now: float, ttl: int) -> float:
    """Take one token from the bucket at `key` (holding `capacity`, refilled at `rate` a second,
    kept `ttl` seconds after its last use); returns how many there were before: below 1, none
    was taken. One round trip on Redis; a read and a write on any other cache."""
    if isinstance(backend, ResilientRedisCache):
        return backend.take_token(key, capacity=capacity, rate=rate, now=now, ttl=ttl)
    return _take_token_over(backend, key, capacity=capacity, rate=rate, now=now, ttl=ttl)


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
    and needs to: each process has its own memory. Every read value is read in full: no
    `digests` are kept, so nothing is ever `UNCHANGED`."""

    def __init__(self, backend: Any, name: str, wait: float, reads=(), bucket: Bucket | None = None) -> None:
        self.backend, self.name, self.wait = backend, name, wait
        self.reads: list[str] = list(reads)
        self.digests: dict[str, str] = {}
        self.found: dict[str, Any] = {}
        self.bucket = bucket
        self.tokens: float | None = None
        self.released = False

    def __enter__(self) -> ProcessHeld:
        if self.bucket is not None:
            self.tokens = self.bucket.take_from(self.backend)
        if not _PROCESS_LOCKS.acquire(self.name, self.wait):
            raise LockUnavailable(self.name)
        if self.reads:
            self.found = self.backend.get_many(self.reads)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.released:
            _PROCESS_LOCKS.release(self.name)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return self.backend.get_many(keys)

    def set_many(
        self,
        data: dict[str, Any],
        timeout: int | None,
        *,
        release: bool = False,
        publish: tuple[str, str] | None = None,
    ) -> bool:
        """As RedisHeld's; nothing is published here (returns False: the caller announces)."""
        self.backend.set_many(data, timeout=timeout)
        if release:
            self.release()
        return False

    def release(self) -> None:
        """Leave the section now (its last write is done)."""
        if not self.released:
            self.released = True
            _PROCESS_LOCKS.release(self.name)


# Write every key only if the lock (KEYS[1]) still holds this holder's token (ARGV[1]): a
# holder whose lock expired while it worked writes nothing (a later holder may have written).
# Two more arguments after the values: a pub/sub channel and a message, published once written
# (the change's announcement travels in the write's own round trip).
_WRITE_IF_OWNER = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS do
  if ttl > 0 then redis.call('set', KEYS[i], ARGV[i + 1], 'EX', ttl)
  else redis.call('set', KEYS[i], ARGV[i + 1]) end
end
if #ARGV == #KEYS + 3 then redis.call('publish', ARGV[#ARGV - 1], ARGV[#ARGV]) end
return 1
"""

# The same, then release the lock in that round trip (the holder's last write).
_WRITE_AND_RELEASE = _WRITE_IF_OWNER.replace("return 1\n", "redis.call('del', KEYS[1])\nreturn 1\n")

# Take the lock (KEYS[1], token ARGV[1], expiring after ARGV[2] ms) as redis-py's `Lock.acquire`
# does, and read KEYS[2..] in the same round trip; nothing is read when it is held. ARGV[3..],
# when given: the SHA-1 of the value the caller already holds of each read key ('' for none);
# a value still with that digest is not sent back (_UNCHANGED_REPLY in its place).
_ACQUIRE_AND_READ = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
if #KEYS < 2 then return {1} end
local values = redis.call('mget', unpack(KEYS, 2))
for i = 3, #ARGV do
  if ARGV[i] ~= '' and values[i - 2] and redis.sha1hex(values[i - 2]) == ARGV[i] then values[i - 2] = '=' end
end
table.insert(values, 1, 1)
return values
"""
# What the script sends for a value the caller holds already: no serialized value is one byte
# (a pickle starts with its protocol opcode, an integer with a digit or a sign).
_UNCHANGED_REPLY = b"="


class _Unchanged:
    """`found[key]` for a read key whose value is still the one the caller holds (`known`)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


class RedisHeld:
    """An exclusive section across every process and host: redis-py's `Lock` (a token in one
    key, set only if absent, expiring after `ttl` so a crashed holder cannot block for ever,
    released by compare-and-delete so a holder never frees another's lock). Reads go to the
    primary; the write is one Lua script that checks the token and writes every key, or
    nothing (`LockLost`). If Redis fails before the lock is taken, the section is taken in
    this process instead, over the fallback memory, as every other cache operation is then.

    `reads`: keys read in the same round trip as the lock is taken (`found`), and a write
    with `release=True` releases the lock in its own round trip: a read-modify-write is then
    two round trips, not four. `bucket`: a token is taken from it in that same first round
    trip too (`tokens`: how many there were; below 1, none was taken).

    `digest`: read keys whose value's SHA-1 is kept (`digests`), so a later section can name
    it in `known` ({key: digest}): a value still with that digest is not sent again, and
    `found[key]` is `UNCHANGED` (the caller uses the copy it holds)."""

    def __init__(
        self,
        backend: ResilientRedisCache,
        name: str,
        ttl: float,
        wait: float,
        reads=(),
        bucket: Bucket | None = None,
        digest=(),
        known: dict[str, str] | None = None,
    ) -> None:
        self.backend, self.name, self.ttl, self.wait = backend, name, ttl, wait
        self.reads: list[str] = list(reads)
        self.digest, self.known = frozenset(digest), known or {}
        self.digests: dict[str, str] = {}
        self.found: dict[str, Any] = {}
        self.bucket = bucket
        self.tokens: float | None = None
        self.local: ProcessHeld | None = None
        self.lock: Any = None
        self.released = False

    def __enter__(self) -> RedisHeld:
        backend = self.backend
        if not backend.degraded or time.monotonic() >= backend._health.retry_at:
            self.client = backend._cache.get_client(write=True)
            lock = self.client.lock(
                backend.make_key(self.name), timeout=self.ttl, sleep=0.002, blocking_timeout=self.wait
            )
            try:
                acquired = self._acquire(lock)
            except RedisError as error:
                backend._failed(error)
            else:
                if not acquired:
                    raise LockUnavailable(self.name)
                if backend.degraded:
                    backend._recovered()
                self.lock = lock
                return self
        self.local = ProcessHeld(backend._local, self.name, self.wait, self.reads, self.bucket).__enter__()
        self.found, self.tokens = self.local.found, self.local.tokens
        return self

    def _acquire(self, lock: Any) -> bool:
        """`lock.acquire()`, reading `reads` (and taking a token from `bucket`) in the same
        round trip when there are any."""
        if not self.reads and self.bucket is None:
            return bool(lock.acquire())
        backend = self.backend
        token = uuid.uuid4().hex.encode()  # unique, as redis-py's own (uuid1 costs a locked clock read)
        keys = [lock.name, *(backend.make_and_validate_key(key) for key in self.reads)]
        args: list[Any] = [token, int(self.ttl * 1000)]
        known = self.known
        if known:
            args.extend(known.get(key, "") for key in self.reads)
        deadline = time.monotonic() + self.wait
        bucket = self.bucket
        while True:
            if bucket is not None:  # one pipeline: the token, then the lock and the reads
                pipe = self.client.pipeline(transaction=False)
                take: list[Any] = [backend.make_and_validate_key(bucket.key), bucket.capacity, bucket.rate]
                pipe.eval(_TAKE_TOKEN, 1, *take, bucket.now, bucket.ttl)
                pipe.eval(_ACQUIRE_AND_READ, len(keys), *keys, *args)
                tokens, answer = pipe.execute()
                self.tokens, bucket = float(tokens), None
            else:
                answer = backend._run_script(_ACQUIRE_AND_READ, keys=keys, args=args, client=self.client)
            if answer[0]:
                break
            if time.monotonic() + lock.sleep > deadline:
                return False
            time.sleep(lock.sleep)
        lock.local.token = token  # redis-py's own release (compare-and-delete) works from here
        loads = backend.serializer.loads
        found: dict[str, Any] = {}
        for key, value in zip(self.reads, answer[1:], strict=True):
            if value is None:
                continue
            if value == _UNCHANGED_REPLY and key in known:
                found[key] = UNCHANGED
                continue
            if key in self.digest:
                self.digests[key] = hashlib.sha1(value, usedforsecurity=False).hexdigest()
            found[key] = loads(value)
        self.found = found
        return True

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Leave the section now (nothing more to write)."""
        if self.local is not None:
            self.local.release()
            return
        if self.released:
            return
        self.released = True
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

    def set_many(
        self,
        data: dict[str, Any],
        timeout: int | None,
        *,
        release: bool = False,
        publish: tuple[str, str] | None = None,
    ) -> bool:
        """Write every key while the lock is still ours (else nothing: `LockLost`); `release`:
        this is the last write, and the lock is released in the same round trip; `publish`:
        a pub/sub (channel, message) sent by Redis once the keys are written, in that round trip
        too. Returns whether it was published (not while this process answers from its memory)."""
        if self.local is not None:
            return self.local.set_many(data, timeout, release=release)
        backend = self.backend
        dumps = backend.serializer.dumps
        seconds = backend.get_backend_timeout(timeout)
        keys = [self.lock.name, *(backend.make_and_validate_key(key) for key in data)]
        args = [self.lock.local.token, seconds or 0, *(dumps(value) for value in data.values())]
        if publish is not None:
            args.extend(publish)
        try:
            written = backend._write_if_owner(keys=keys, args=args, client=self.client, release=release)
        except RedisError as error:
            backend._failed(error)
            raise LockLost(self.name) from error
        if not written:
            raise LockLost(self.name)
        self.released = release
        return publish is not None


def exclusive(
    backend: Any, name: str, *, ttl: float, wait: float, reads=(), bucket: Bucket | None = None, **on_redis: Any
) -> ProcessHeld | RedisHeld:
    """`with exclusive(cache, "roster:CF:lock", ttl=5, wait=6) as held: held.get_many(...);
    held.set_many(...)`: one writer at a time. Raises `LockUnavailable` when the wait ends,
    `LockLost` from `set_many` when the lock was lost before the write (nothing written).
    `on_redis`: `digest` and `known`, see `RedisHeld` (on Redis only: elsewhere every value is read)."""
    if isinstance(backend, ResilientRedisCache):
        return RedisHeld(backend, name, ttl, wait, reads, bucket, **on_redis)
    if isinstance(backend, RedisCache):
        raise TypeError("exclusive sections need conference_admin.cache.ResilientRedisCache, not RedisCache")
    return ProcessHeld(backend, name, wait, reads, bucket)
