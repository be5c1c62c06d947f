"""The unchanged poll's fast path: one cache round trip, no middleware stack.

Every open conference page asks "what changed since version V?" every few seconds, and
nearly always nothing did. `UnchangedPollMiddleware` (right after SecurityMiddleware) answers
those polls with 204 from ONE `get_many`: the session, this session's poll grant, the grant
epoch, the roster's meta and its reconcile lease. Anything else (another URL, a version that
moved, a reconcile that is due, no or an invalid grant) goes down the normal stack to
`views.participant_table`, which answers exactly as before.

Authorization stays as strict as the normal stack's: a grant is written only by the
participant-table view, after the login and view-permission checks passed; it names the
session's user and session hash, and it holds only while

- the session still exists in the cache with that user and hash (logout, expiry, a password
  change end it), and
- the grant epoch it was made in is current: any change to a user, a group or a permission
  (the same signals the cached auth backend listens to) starts a new epoch, so every grant is
  re-earned on the normal stack at once; and
- it is younger than AUTH_CACHE_SECONDS (the bound the auth cache has for bulk updates that
  bypass signals); and
- a directory user's session is not due for its re-check (DIRECTORY_RECHECK_SECONDS), which
  `access.directory.DirectoryRecheck` makes on the normal stack.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from conference_admin.access.directory import recheck_due
from conference_admin.live import roster as rosters
from conference_admin.requestvalues import Refused, whole_number

EPOCH_KEY = "poll:epoch"
POLL_URL_NAME = "participant-table"


@dataclass(frozen=True)
class Grant:
    user_id: str
    session_hash: str
    epoch: str


def _grant_key(session_key: str) -> str:
    return f"poll:grant:{session_key}"


def _session_cache_key(session_key: str) -> str | None:
    """Where the session engine keeps this session in the cache; None when it does not."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    prefix = getattr(store, "cache_key_prefix", None)
    return f"{prefix}{session_key}" if prefix else None


def nothing_changed() -> HttpResponse:
    """The answer most refreshes get: as small as HTTP allows. No body, so no content type
    and no Content-Security-Policy (there is nothing for it to govern)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    response._csp_exempt = True  # type: ignore[attr-defined]  # django-csp reads this marker
    return response


def new_epoch(**kwargs) -> None:
    """Every grant is void: the next poll of every session takes the normal stack once."""
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # a login changes no one's rights
    cache.delete(EPOCH_KEY)


def grant(request: HttpRequest, found: dict | None = None) -> None:
    """Called by the poll view once the normal stack has let this request through."""
    session_key = request.session.session_key
    if not session_key or _session_cache_key(session_key) is None:
        return
    epoch = (found or {}).get(EPOCH_KEY) or cache.get(EPOCH_KEY)
    if epoch is None:
        cache.add(EPOCH_KEY, uuid.uuid4().hex, None)
        epoch = cache.get(EPOCH_KEY)
    value = Grant(str(request.session.get(SESSION_KEY)), request.session.get(HASH_SESSION_KEY, ""), epoch)
    cache.set(_grant_key(session_key), value, settings.AUTH_CACHE_SECONDS)


class UnchangedPollMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        plain = request.method == "GET" and "version" in request.GET and "behind" not in request.GET
        answer = self._unchanged(request) if plain else None
        return answer if answer is not None else self.get_response(request)

    def _unchanged(self, request: HttpRequest) -> HttpResponse | None:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        session_cache_key = _session_cache_key(session_key) if session_key else None
        if session_key is None or session_cache_key is None:
            return None
        try:
            match = resolve(request.path_info)
            known = whole_number(request.GET["version"], name="version")
        except (Resolver404, Refused):
            return None
        if known is None:
            return None
        if match.url_name != POLL_URL_NAME:
            return None
        request.resolver_match = match  # the request's metrics name its view from it (ops/middleware.py)
        conference_sid = match.kwargs["conference_sid"]
        keys = [session_cache_key, _grant_key(session_key), EPOCH_KEY, rosters.key(conference_sid, "meta")]
        lease = rosters.key(conference_sid, "lease")
        found = cache.get_many([*keys, lease])
        request.poll_found = found  # type: ignore[attr-defined]  # the view re-grants without reading again
        session, held, meta = found.get(session_cache_key), found.get(_grant_key(session_key)), found.get(keys[3])
        valid = (
            isinstance(held, Grant)
            and held.epoch == found.get(EPOCH_KEY)
            and isinstance(session, dict)
            and str(session.get(SESSION_KEY)) == held.user_id
            and session.get(HASH_SESSION_KEY, "") == held.session_hash
            # A directory user due for a re-check takes the normal stack (access/directory.py).
            and not recheck_due(session)
        )
        request.poll_granted = valid  # type: ignore[attr-defined]  # read by the view (no second grant)
        if not valid or meta is None or meta.ended or meta.version != known or lease not in found:
            return None  # the normal stack decides (and reconciles, when due)
        return nothing_changed()
