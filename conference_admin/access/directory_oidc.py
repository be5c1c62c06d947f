"""Sign-in with OpenID Connect: mozilla-django-oidc, with discovery, roles from groups and re-checks.

mozilla-django-oidc runs the authorization code flow with PKCE (OIDC_USE_PKCE, S256), checks
state and nonce and the ID token's signature against the provider's keys. Added here:

- discovery: the provider's endpoints come from `OIDC_OP_ISSUER/.well-known/openid-configuration`
  (fetched once per process and kept an hour) unless a setting names one (`OIDC_OP_*_ENDPOINT`);
- who is who: a `DirectoryAccount` keyed on the `sub` claim (never the e-mail address, which a
  provider may let people change); the username is `preferred_username` (else `sub`), and never
  a local account's;
- the role from the groups claim (OIDC_GROUPS_CLAIM) through `directory.role_for` /
  `apply_role`; in no mapped group, no sign-in and the login page says why;
- the refresh token kept in the session, so a re-check (`recheck`) refreshes the tokens and asks
  userinfo again: a new role applies, a refused refresh (disabled or deleted account, revoked
  grant) signs the user out.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import events
from .backends import DirectoryBackend
from .directory import ACCOUNT_GONE, LOCAL_NAME_TAKEN, OIDC, Refused, apply_role, authenticated, refuse, role_for
from .models import DirectoryAccount

log = logging.getLogger(__name__)

DISCOVERY_SECONDS = 3600
REFRESH_TOKEN_KEY = "oidc_refresh_token"
REFUSED_KEY = "sign_in_refused"
UNREACHABLE = "The sign-in provider could not be reached. Try again in a moment."
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}

_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


def discovery() -> dict[str, Any]:
    """The issuer's discovery document (kept DISCOVERY_SECONDS); `Refused` when unreachable."""
    issuer = settings.OIDC_OP_ISSUER.rstrip("/")
    found = _discovered.get(issuer)
    if found is not None and time.monotonic() - found[0] < DISCOVERY_SECONDS:
        return found[1]
    try:
        answer = requests.get(
            f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL
        )
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("OIDC discovery from %s failed: %s", issuer, error)
        raise Refused(UNREACHABLE) from error
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ImproperlyConfigured(f"OIDC_OP_ISSUER {issuer} does not match its discovery document's issuer.")
    _discovered[issuer] = (time.monotonic(), document)
    return document


def oidc_setting(name: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting; an endpoint not set explicitly comes from discovery."""
    if name in ENDPOINTS:
        explicit = getattr(settings, name, "")
        return explicit or discovery().get(ENDPOINTS[name], *default)
    if default:
        return getattr(settings, name, default[0])
    try:
        return getattr(settings, name)
    except AttributeError:
        raise ImproperlyConfigured(f"Setting {name} not found") from None


def _groups(claims: dict[str, Any]) -> list[str]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    return [str(group) for group in groups]


class DirectoryOIDCBackend(DirectoryBackend, OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend: endpoints by discovery, users by `sub`, roles by groups.

    Sessions it signed in load their user (and permissions) through `CachedModelBackend`, as
    every other session does; this backend grants no permission itself."""

    def __init__(self, *args, **kwargs):
        # Django instantiates every backend for every sign-in and session: nothing is fetched here.
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    # The endpoints and the client, read when used (discovery only then).
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):  # noqa: N802  (the library's attribute names)
        return oidc_setting("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self):  # noqa: N802
        return oidc_setting("OIDC_OP_USER_ENDPOINT")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):  # noqa: N802
        return oidc_setting("OIDC_OP_JWKS_ENDPOINT")

    @property
    def OIDC_RP_CLIENT_ID(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self):  # noqa: N802
        return settings.OIDC_RP_SIGN_ALGO

    OIDC_RP_IDP_SIGN_KEY = None

    # --- sign-in ---

    def authenticate(self, request, **kwargs):
        if request is None or not settings.OIDC_ENABLED or "code" not in request.GET:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refused:
            self._refuse(refused.reason)
        except requests.RequestException as error:
            log.warning("OIDC sign-in failed: %s", error)
            self._refuse(UNREACHABLE)
        return None

    def _refuse(self, reason: str, username: str = "") -> None:
        # Shown on the login page after the redirect; audited once the sign-in has failed.
        self.request.session[REFUSED_KEY] = reason
        refuse(self.request, source=OIDC, reason=reason)
        self.request.sign_in_refused_username = username

    def get_token(self, payload):
        token_info = super().get_token(payload)
        if token_info.get("refresh_token"):
            self.request.session[REFRESH_TOKEN_KEY] = token_info["refresh_token"]
        return token_info

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo names another subject than the ID token")
        username = str(claims.get("preferred_username") or claims["sub"])[:150]
        try:
            role = role_for(_groups(claims) or _groups(payload))
            user = self._user_for(claims, username)
        except Refused as refused:
            self._refuse(refused.reason, username)
            return None
        apply_role(user, role, source=OIDC)
        return authenticated(user)

    def _user_for(self, claims: dict[str, Any], username: str):
        account = DirectoryAccount.objects.select_related("user").filter(source=OIDC, subject=claims["sub"]).first()
        fields = {
            "email": str(claims.get("email") or "")[:254],
            "first_name": str(claims.get("given_name") or claims.get("name") or "")[:150],
            "last_name": str(claims.get("family_name") or "")[:150],
        }
        if account is not None:
            user = account.user
            changed = [name for name, value in fields.items() if getattr(user, name) != value]
            for name in changed:
                setattr(user, name, fields[name])
            if changed:
                user.save(update_fields=changed)
            return user
        try:
            with transaction.atomic():
                user = self.UserModel(username=username, **fields)
                user.set_unusable_password()
                user.save()
                DirectoryAccount.objects.create(user=user, source=OIDC, subject=claims["sub"])
        except IntegrityError:
            raise Refused(LOCAL_NAME_TAKEN) from None
        return user


def recheck(request: HttpRequest) -> str | None:
    """The signed-in user's role now, from a token refresh and userinfo; `Refused` when the
    provider refuses (disabled or deleted account, grant revoked); None when it cannot be asked."""
    refresh_token = request.session.get(REFRESH_TOKEN_KEY)
    if not refresh_token:
        raise Refused(ACCOUNT_GONE)
    try:
        answer = requests.post(
            oidc_setting("OIDC_OP_TOKEN_ENDPOINT"),
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "client_secret": settings.OIDC_RP_CLIENT_SECRET,
            },
            timeout=settings.OIDC_TIMEOUT,
            verify=settings.OIDC_VERIFY_SSL,
        )
        if answer.status_code in (400, 401):
            log.info("OIDC refresh refused for %s: %s", request.user.get_username(), answer.text[:200])
            raise Refused(ACCOUNT_GONE)
        answer.raise_for_status()
        tokens = answer.json()
        userinfo = requests.get(
            oidc_setting("OIDC_OP_USER_ENDPOINT"),
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=settings.OIDC_TIMEOUT,
            verify=settings.OIDC_VERIFY_SSL,
        )
        if userinfo.status_code == 401:
            raise Refused(ACCOUNT_GONE)
        userinfo.raise_for_status()
        claims = userinfo.json()
    except (requests.RequestException, ValueError, KeyError) as error:
        log.warning("OIDC re-check of %s could not reach the provider: %s", request.user.get_username(), error)
        return None
    except Refused as refused:
        if refused.reason != ACCOUNT_GONE:  # discovery unreachable
            return None
        raise
    if tokens.get("refresh_token"):
        request.session[REFRESH_TOKEN_KEY] = tokens["refresh_token"]
    account = getattr(request.user, "directory_account", None)
    if account is None or claims.get("sub") != account.subject:
        raise Refused(ACCOUNT_GONE)
    return role_for(_groups(claims) or _id_token_groups(tokens.get("id_token"), account.subject))


def _id_token_groups(id_token: str | None, subject: str) -> list[str]:
    """The groups in a refreshed ID token (signature checked): providers such as Entra ID put
    them there and not in userinfo."""
    if not id_token:
        return []
    backend = DirectoryOIDCBackend()
    try:
        payload = backend.get_payload_data(id_token.encode(), backend.retrieve_matching_jwk(id_token.encode()))
    except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException, ValueError, KeyError) as error:
        log.warning("refreshed ID token not accepted: %s", error)
        return []
    return _groups(payload) if payload.get("sub") == subject else []


class SignInView(OIDCAuthenticationRequestView):
    """Starts the sign-in at the provider (404 when OIDC is not configured)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404("OpenID Connect sign-in is not configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except Refused as refused:
            request.session[REFUSED_KEY] = refused.reason
            return redirect(settings.LOGIN_REDIRECT_URL_FAILURE)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here; a refusal goes to the login page with its reason."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404("OpenID Connect sign-in is not configured")
        if request.GET.get("error"):
            reason = f"The sign-in provider refused: {request.GET.get('error_description') or request.GET['error']}"
            request.session[REFUSED_KEY] = reason[:300]
            events.sign_in_refused.send(sender=type(self), username="", source=OIDC, reason=reason[:300])
        return super().get(request)
