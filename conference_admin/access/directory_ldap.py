"""Sign-in with LDAP / Active Directory: django-auth-ldap, with roles from group DNs and re-checks.

django-auth-ldap binds (AUTH_LDAP_BIND_DN, or anonymously), finds the account with
AUTH_LDAP_USER_SEARCH_BASE / _FILTER, binds as it with the typed password (StartTLS with
AUTH_LDAP_START_TLS, or an ldaps:// AUTH_LDAP_SERVER_URI) and finds its groups with
AUTH_LDAP_GROUP_SEARCH_BASE / _FILTER and AUTH_LDAP_GROUP_TYPE. Added here: the role from the
group DNs (`directory.role_for`), a `DirectoryAccount` (source ldap, the username), never taking
over a local account of the same name, and `recheck`: the account and its groups looked up again
with the service account (a disabled account must not match the user filter: see docs/DEPLOY.md).
"""

from __future__ import annotations

import logging
from typing import Any

import ldap
import ldap.cidict
from django.conf import settings
from django.db import IntegrityError, transaction
from django_auth_ldap import config as ldap_config
from django_auth_ldap.backend import LDAPBackend, _LDAPUser
from ldap.filter import escape_filter_chars

from .backends import DirectoryBackend
from .directory import ACCOUNT_GONE, LDAP, LOCAL_NAME_TAKEN, Refused, apply_role, authenticated, refuse, role_for
from .models import DirectoryAccount

log = logging.getLogger(__name__)


def _search_settings() -> dict[str, Any]:
    """The library's search objects, made from the plain settings (env) in settings.py."""
    found: dict[str, Any] = {}
    if settings.AUTH_LDAP_USER_SEARCH_BASE:
        found["USER_SEARCH"] = ldap_config.LDAPSearch(
            settings.AUTH_LDAP_USER_SEARCH_BASE, ldap.SCOPE_SUBTREE, settings.AUTH_LDAP_USER_SEARCH_FILTER
        )
    if settings.AUTH_LDAP_GROUP_SEARCH_BASE:
        found["GROUP_SEARCH"] = ldap_config.LDAPSearch(
            settings.AUTH_LDAP_GROUP_SEARCH_BASE, ldap.SCOPE_SUBTREE, settings.AUTH_LDAP_GROUP_SEARCH_FILTER
        )
        found["GROUP_TYPE"] = getattr(ldap_config, settings.AUTH_LDAP_GROUP_TYPE_NAME)()
    options: dict[int, Any] = {ldap.OPT_NETWORK_TIMEOUT: 10, ldap.OPT_TIMEOUT: 10, ldap.OPT_REFERRALS: 0}
    if settings.AUTH_LDAP_TLS_CA_FILE:
        options[ldap.OPT_X_TLS_CACERTFILE] = settings.AUTH_LDAP_TLS_CA_FILE
        options[ldap.OPT_X_TLS_NEWCTX] = 0
    found["CONNECTION_OPTIONS"] = options
    return found


class DirectoryLDAPBackend(DirectoryBackend, LDAPBackend):
    """django-auth-ldap's backend; sessions it signed in load through `CachedModelBackend`."""

    @property
    def default_settings(self):  # the library's class attribute, made per use
        return _search_settings()

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.LDAP_ENABLED or not username or not password:
            return None
        self._request = request
        return super().authenticate(request, username=username, password=password, **kwargs)

    def authenticate_ldap_user(self, ldap_user, password):
        try:
            user = ldap_user.authenticate(password)
            if user is None:
                return None  # wrong password, unknown or disabled account: the form's own message
            ensure_account(user, user.get_username())
            role = role_for(ldap_user.group_dns)
        except Refused as refused:
            refuse(getattr(self, "_request", None), source=LDAP, reason=refused.reason)
            return None
        apply_role(user, role, source=LDAP)
        return authenticated(user)

    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        if not built:
            account = DirectoryAccount.objects.filter(user=user).first()
            if account is None or account.source != LDAP:
                raise Refused(LOCAL_NAME_TAKEN)
        return user, built

    def ldap_to_django_username(self, username):
        return username.lower()


def ensure_account(user, username: str) -> None:
    if DirectoryAccount.objects.filter(user=user).exists():
        return
    try:
        with transaction.atomic():
            DirectoryAccount.objects.create(user=user, source=LDAP, subject=username)
    except IntegrityError:
        raise Refused(LOCAL_NAME_TAKEN) from None


def _service_connection():
    """A connection bound as the service account (StartTLS when set); LDAPError when it cannot."""
    connection = ldap.initialize(settings.AUTH_LDAP_SERVER_URI)
    for option, value in _search_settings()["CONNECTION_OPTIONS"].items():
        connection.set_option(option, value)
    if settings.AUTH_LDAP_START_TLS:
        connection.start_tls_s()
    connection.simple_bind_s(settings.AUTH_LDAP_BIND_DN, settings.AUTH_LDAP_BIND_PASSWORD)
    return connection


def recheck(user) -> str | None:
    """The user's role now, from the directory (service account); `Refused` when the account is
    no longer found (disabled or deleted) or is in no mapped group; None when LDAP cannot be asked.

    The account is searched here, not through django-auth-ldap, which logs a failed search and
    answers "not found", the same as for a deleted account; its group types then find the groups."""
    username = user.get_username()
    backend = DirectoryLDAPBackend()
    search = backend.settings.USER_SEARCH
    if search is None:
        raise Refused(ACCOUNT_GONE)
    try:
        connection = _service_connection()
    except ldap.LDAPError as error:
        log.warning("LDAP re-check of %s could not reach the directory: %s", username, error)
        return None
    try:
        try:
            found = [
                (dn, attributes)
                for dn, attributes in connection.search_s(
                    search.base_dn, search.scope, search.filterstr % {"user": escape_filter_chars(username)}
                )
                if dn  # not a referral
            ]
        except ldap.LDAPError as error:
            log.warning("LDAP re-check of %s: the user search failed: %s", username, error)
            return None
        if len(found) != 1:
            raise Refused(ACCOUNT_GONE)
        ldap_user = _LDAPUser(backend, username=username)
        dn, attributes = found[0]
        # django-auth-ldap's own user (version pinned): the DN and attributes just found.
        ldap_user._user_dn = dn
        ldap_user._user_attrs = ldap.cidict.cidict(
            {name: [value.decode("utf-8", "replace") for value in values] for name, values in attributes.items()}
        )
        try:
            return role_for(ldap_user.group_dns)
        except Refused:
            # The library answers "no groups" when its group search fails: make sure it did not.
            try:
                connection.search_s(settings.AUTH_LDAP_GROUP_SEARCH_BASE or search.base_dn, ldap.SCOPE_BASE)
            except ldap.LDAPError as error:
                log.warning("LDAP re-check of %s: the group search failed: %s", username, error)
                return None
            raise
    finally:
        connection.unbind_s()
