"""Is a stream's viewer still signed in and allowed to view? Checked for all streams at once.

An open stream was authorized once, by the normal stack. Every PUSH_HEARTBEAT_SECONDS the
hub asks `revoked(viewers)` about all of its streams in ONE cache round trip: each viewer's
session (as the session engine keeps it in the cache) and the permission epoch the poll's
fast path uses (`dashboard.poll.EPOCH_KEY`, voided by any change to users, groups or
permissions). A session that is gone or signs in someone else ends its stream (a logout);
a session not in the cache, or a new epoch, costs that viewer the full check (the session
engine's own load, `auth.get_user`, which also checks the password hash, and the view
permission), as the page would make. A viewer whose rights changed (a role change) or whose
directory re-check is due (access/directory.py) gets its stream ended with `reload`: the page
loads itself again, under the rights the user has now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest

from conference_admin.access.directory import recheck_due
from conference_admin.access.roles import VIEW, rights
from conference_admin.dashboard.poll import EPOCH_KEY


@dataclass(eq=False)
class Viewer:
    """Who holds one stream: set when it opens, from the request the normal stack authorized."""

    session_key: str
    user_id: str
    session_hash: str
    epoch: str | None = None
    rights: str = ""  # access.roles.rights when the stream opened
    closed: Any = field(default=None)  # an asyncio.Event, set when the stream must end
    # Set with `closed` when the page must reload rather than stop: its user's rights changed
    # (a role change), or the directory re-check is due (made by the page's next load).
    reload: bool = False


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _cache_key(session_key: str) -> str | None:
    prefix = getattr(_store(), "cache_key_prefix", None)
    return f"{prefix}{session_key}" if prefix else None


def current_epoch() -> str:
    epoch = cache.get(EPOCH_KEY)
    if epoch is None:
        cache.add(EPOCH_KEY, uuid.uuid4().hex, None)
        epoch = cache.get(EPOCH_KEY)
    return epoch


def viewer_of(request: HttpRequest) -> Viewer:
    """Called once the request has passed the page's checks."""
    return Viewer(
        session_key=request.session.session_key or "",
        user_id=str(request.session.get(SESSION_KEY)),
        session_hash=request.session.get(HASH_SESSION_KEY, ""),
        epoch=current_epoch(),
        rights=rights(request.user),
    )


def _fully_allowed(viewer: Viewer) -> bool:
    probe = HttpRequest()
    probe.session = _store()(viewer.session_key)
    user = auth.get_user(probe)
    if not (user.is_authenticated and str(user.pk) == viewer.user_id and user.has_perm(VIEW)):
        return False
    if recheck_due(probe.session) or rights(user) != viewer.rights:
        viewer.reload = True
        return False
    return True


def revoked(viewers: list[Viewer]) -> list[Viewer]:
    """The viewers whose streams must end now."""
    keys = {viewer: _cache_key(viewer.session_key) for viewer in viewers}
    found = cache.get_many([key for key in keys.values() if key] + [EPOCH_KEY])
    epoch = found.get(EPOCH_KEY)
    ended = []
    for viewer, key in keys.items():
        session = found.get(key) if key else None
        if isinstance(session, dict):
            if (
                str(session.get(SESSION_KEY)) != viewer.user_id
                or session.get(HASH_SESSION_KEY, "") != viewer.session_hash
            ):
                ended.append(viewer)
                continue
            if recheck_due(session):
                viewer.reload = True
                ended.append(viewer)
                continue
            if epoch is not None and epoch == viewer.epoch:
                continue  # nothing about anyone's rights changed since the last check
        if _fully_allowed(viewer):
            viewer.epoch = epoch or current_epoch()
        else:
            ended.append(viewer)
    return ended
