"""Roles from the company directory: the group mapping, sign-in, and the re-check of signed-in users.

Both directory sign-ins (OpenID Connect: `directory_oidc.py`, LDAP / Active Directory:
`directory_ldap.py`) end here:

- `role_for(groups)`: the highest role among the user's mapped groups (DIRECTORY_GROUP_ROLES);
  None, and no sign-in, when no group is mapped (`Refused` carries the reason the login page shows);
- `apply_role(user, role, source)`: the role through `roles.assign_role` (so the auth cache, the
  poll's grants and open streams follow, as for any role change), told to the audit trail
  through `events.directory_role_changed` when it changed;
- `mark_session(request, source)` at sign-in, and `DirectoryRecheck` (middleware) for every later
  request: once DIRECTORY_RECHECK_SECONDS have passed since the last look-up, the account is
  looked up again (OIDC: a token refresh and userinfo; LDAP: the account and its groups). A new
  role applies at once; an account the directory refuses (disabled, deleted, in no mapped group)
  is signed out. The poll's fast path and the event streams send a session whose re-check is due
  down this stack (`recheck_due`).

A directory that cannot be reached keeps the session as it is and is asked again a minute later
(or after the interval, if shorter): only the directory's own answer ends a session.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from . import events
from .roles import ADMIN, LEAD, OBSERVER, ROLE_PERMISSIONS, SUPERVISOR, assign_role

log = logging.getLogger(__name__)

OIDC = "oidc"
LDAP = "ldap"
LOCAL = "local"

SESSION_SOURCE = "directory_source"
UNREACHABLE_RETRY_SECONDS = 60.0
SESSION_CHECKED_AT = "directory_checked_at"

# Highest first: a user in several mapped groups gets the most a group gives.
RANK = [ADMIN, LEAD, SUPERVISOR, OBSERVER]

NO_MAPPED_GROUP = (
    "Your directory account is in no group that may use this dashboard. Ask your administrator to "
    "add you to the Observer, Supervisor, Lead or Admin group for Conference Admin."
)
ACCOUNT_GONE = "Your directory account is disabled or no longer exists."
LOCAL_SIGN_IN_OFF = "Sign in with your company account: password sign-in is off for this account."
LOCAL_NAME_TAKEN = "A local account already has this name; ask your administrator to rename it."


class Refused(Exception):
    """A directory sign-in (or re-check) refused, with the reason the person reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def group_roles(raw: str | None = None) -> dict[str, str]:
    """DIRECTORY_GROUP_ROLES parsed: group (lower-cased) -> role.

    `{"group": "Role", ...}` (JSON) or `group=Role;group=Role`. A group may be an LDAP DN, which
    holds commas and `=`: the role is after the LAST `=` of each `;`-separated item."""
    raw = settings.DIRECTORY_GROUP_ROLES if raw is None else raw
    raw = (raw or "").strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            pairs = list(json.loads(raw).items())
        except (ValueError, AttributeError) as error:
            raise ImproperlyConfigured(f"DIRECTORY_GROUP_ROLES is not a JSON object: {error}") from error
    else:
        pairs = []
        for item in raw.split(";"):
            if item.strip():
                group, _, role = item.rpartition("=")
                pairs.append((group, role))
    mapping = {}
    for group, role in pairs:
        group, role = str(group).strip(), str(role).strip()
        if not group or role not in ROLE_PERMISSIONS:
            raise ImproperlyConfigured(
                f"DIRECTORY_GROUP_ROLES: {group!r}={role!r} is not <group>=<{'|'.join(ROLE_PERMISSIONS)}>."
            )
        mapping[group.lower()] = role
    return mapping


def role_for(groups: list[str] | set[str] | tuple[str, ...]) -> str:
    """The highest role the user's groups are mapped to; `Refused` when none is."""
    mapping = group_roles()
    roles = {mapping[group.lower()] for group in groups if isinstance(group, str) and group.lower() in mapping}
    for role in RANK:
        if role in roles:
            return role
    raise Refused(NO_MAPPED_GROUP)


# Set on the request by a backend that refused a sign-in: the reason (shown on the login page)
# and the source; `signals._sign_in_failed` turns them into one `events.sign_in_refused`.
REFUSED_REASON = "sign_in_refused"
REFUSED_SOURCE = "sign_in_refused_source"
WRONG_CREDENTIALS = "wrong username or password"
OIDC_NOT_ACCEPTED = "the sign-in provider's answer was not accepted"


def refuse(request: HttpRequest | None, *, source: str, reason: str) -> None:
    if request is not None:
        setattr(request, REFUSED_REASON, reason)
        setattr(request, REFUSED_SOURCE, source)


# Set on a user by a backend's successful authenticate(): what makes a login a sign-in (a test's
# or a tool's force_login is not one, and is not audited as one).
AUTHENTICATED = "_signed_in_by_credentials"


def authenticated(user):
    if user is not None:
        setattr(user, AUTHENTICATED, True)
    return user


def source_of_backend(backend_path: str) -> str:
    if backend_path.endswith("DirectoryOIDCBackend"):
        return OIDC
    if backend_path.endswith("DirectoryLDAPBackend"):
        return LDAP
    return LOCAL


def current_role(user) -> str | None:
    names = [group.name for group in user.groups.all() if group.name in ROLE_PERMISSIONS]
    return names[0] if len(names) == 1 else None


def apply_role(user, role: str, *, source: str) -> None:
    """Give `user` exactly `role`, through the one role assignment; audit it when it changed."""
    before = current_role(user)
    if before == role and user.is_staff == (role == ADMIN):
        return
    assign_role(user, role)
    events.directory_role_changed.send(sender=apply_role, user=user, source=source, before=before, after=role)


def mark_session(request: HttpRequest, source: str) -> None:
    """At sign-in: this session's rights came from the directory, looked up now."""
    request.session[SESSION_SOURCE] = source
    request.session[SESSION_CHECKED_AT] = time.time()


def recheck_due(session: Any) -> bool:
    """Whether a session (the session object or its cached dict) is due for a directory re-check."""
    try:
        source = session.get(SESSION_SOURCE)
        checked_at = float(session.get(SESSION_CHECKED_AT) or 0)
    except (AttributeError, TypeError, ValueError):
        return False
    return source in (OIDC, LDAP) and time.time() - checked_at >= settings.DIRECTORY_RECHECK_SECONDS


@dataclass
class Recheck:
    """What one re-check found: the role now, or None when the directory could not be asked."""

    role: str | None


DIRECTORY_GONE = "Sign-in with this directory is no longer offered here: sign in again."


def _recheck(request: HttpRequest, source: str) -> Recheck:
    if not (settings.OIDC_ENABLED if source == OIDC else settings.LDAP_ENABLED):
        raise Refused(DIRECTORY_GONE)  # the directory that vouched for this session is unset
    if source == OIDC:
        from .directory_oidc import recheck as recheck_oidc

        return Recheck(recheck_oidc(request))
    from .directory_ldap import recheck as recheck_ldap

    return Recheck(recheck_ldap(request.user))


SIGNED_OUT_BY = "directory_signed_out_by"


def sign_out(request: HttpRequest, *, source: str, reason: str) -> None:
    user = request.user
    events.directory_signed_out.send(sender=sign_out, user=user, source=source, reason=reason)
    auth.logout(request)
    # The new, anonymous session is kept (not emptied, so its cookie is not deleted): every
    # request the open page makes next, whichever comes first, is told the session ended.
    request.session[SIGNED_OUT_BY] = source


class DirectoryRecheck:
    """Re-checks a directory user's account and groups once DIRECTORY_RECHECK_SECONDS have passed."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and recheck_due(request.session) and self._claim(request):
            source = request.session[SESSION_SOURCE]
            try:
                found = _recheck(request, source)
            except Refused as refused:
                log.info("directory re-check signed %s out: %s", user.get_username(), refused.reason)
                sign_out(request, source=source, reason=refused.reason)
            else:
                if found.role is not None:
                    apply_role(user, found.role, source=source)
                    request.session[SESSION_CHECKED_AT] = time.time()
                    # The user object of this request predates the change.
                    request.user = auth.get_user(request)
                else:
                    # Unanswered: asked again in a minute (or the interval, if shorter), not on
                    # every request meanwhile (a pushed page reloads for each due re-check).
                    retry = min(UNREACHABLE_RETRY_SECONDS, settings.DIRECTORY_RECHECK_SECONDS)
                    request.session[SESSION_CHECKED_AT] = time.time() - settings.DIRECTORY_RECHECK_SECONDS + retry
        return self.get_response(request)

    @staticmethod
    def _claim(request: HttpRequest) -> bool:
        """One re-check per due session: the page's poll and its other requests arrive together,
        and a refresh token is good for one refresh (a provider that rotates them takes a second
        use as theft and revokes the grant). The others go on as they are. The claim names the
        last check's time, so requests that loaded the session before this re-check finished
        find it taken; an unanswered re-check is tried again once the claim expires."""
        checked_at = request.session.get(SESSION_CHECKED_AT)
        key = f"directory:recheck:{request.session.session_key}:{checked_at}"
        return cache.add(key, 1, timeout=max(5, int(settings.OIDC_TIMEOUT * 2)))
