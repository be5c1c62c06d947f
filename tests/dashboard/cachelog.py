"""A fixture that logs every cache read and write by key (outer calls only)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.cache import caches

from conference_admin.cache import UNCHANGED, RedisHeld


@pytest.fixture
def cache_log(monkeypatch):
    """Every cache read and write, by kind and key."""
    backend = caches["default"]
    log: Counter = Counter()
    depth = [0]  # a backend's get_many may call its own get: count the outer call only

    def wrap(name, kind, keys_of):
        original = getattr(backend, name)

        def logged(*args, **kwargs):
            if not depth[0]:
                for key in keys_of(*args, **kwargs):
                    log[(kind, key)] += 1
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, logged)

    # In production a locked read-modify-write reads and writes through its lock (the write is
    # conditional on still holding it): count those too.
    for name, kind in (("get_many", "read"), ("set_many", "write")):
        original_held = getattr(RedisHeld, name)

        def held(self, keys, *args, _original=original_held, _kind=kind, **kwargs):
            for key in keys:
                log[(_kind, key)] += 1
            return _original(self, keys, *args, **kwargs)

        monkeypatch.setattr(RedisHeld, name, held)

    # ... and the keys it reads as it takes the lock (one round trip).
    original_acquire = RedisHeld._acquire

    def acquire(self, lock, _original=original_acquire):
        acquired = _original(self, lock)
        for key in self.reads:
            # A value the holder named as known and Redis found unchanged is not sent: not a read.
            log[("unchanged" if self.found.get(key) is UNCHANGED else "read", key)] += 1
        return acquired

    monkeypatch.setattr(RedisHeld, "_acquire", acquire)

    wrap("get", "read", lambda key, *a, **k: [key])
    wrap("get_many", "read", lambda keys, *a, **k: list(keys))
    wrap("set", "write", lambda key, *a, **k: [key])
    wrap("set_many", "write", lambda data, *a, **k: list(data))
    wrap("add", "write", lambda key, *a, **k: [key])
    wrap("delete", "write", lambda key, *a, **k: [key])
    return log
