"""Which supervisors have a conference page open.

One cache entry per conference ({username: last seen}), written at most once per
PRESENCE_WRITE_SECONDS per user (an atomic `cache.add` throttle), read by the small
supervision panel each page polls. The participant table's hot refresh never touches it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _key(conference_sid: str) -> str:
    return f"supervision:presence:{conference_sid}"


def presence_touch(*, conference_sid: str, username: str, now: float | None = None) -> bool:
    """Note that `username` watches this conference; True when the shared entry was written."""
    now = time.time() if now is None else now
    every = settings.SUPERVISION_PRESENCE_WRITE_SECONDS
    if not cache.add(f"{_key(conference_sid)}:{username}", 1, timeout=every):
        return False
    ttl = settings.SUPERVISION_PRESENCE_TTL_SECONDS
    # No lock: two writes racing may drop one name until that user's next write (within
    # PRESENCE_WRITE_SECONDS), well inside the TTL, so nobody visibly disappears.
    seen = {name: at for name, at in (cache.get(_key(conference_sid)) or {}).items() if now - at < ttl}
    seen[username] = now
    cache.set(_key(conference_sid), seen, timeout=ttl)
    return True


def presence_watchers(*, conference_sid: str, exclude: str = "", now: float | None = None) -> list[str]:
    """Usernames seen on this conference's page within the TTL, sorted, `exclude` left out."""
    now = time.time() if now is None else now
    ttl = settings.SUPERVISION_PRESENCE_TTL_SECONDS
    seen = cache.get(_key(conference_sid)) or {}
    return sorted(name for name, at in seen.items() if now - at < ttl and name != exclude)
