"""Every page needs a login; a request whose session has ended is told so, wherever it came from.

`session_ended_redirect(request, login_location)` is the one place that decides how a request
without a signed-in user reaches the login page:

- a page load is redirected as Django does;
- an htmx request (a poll, a row action, a picker) gets `HX-Redirect`, so the browser loads
  the real login page instead of swapping it into a row, or ignoring it as a poll answered
  with no swap would; it comes back to the page it was on (`HX-Current-URL`), not the fragment;
- a request that still carried a session cookie had a session that ended (expired, signed out
  elsewhere): the login page says so (`?session=ended`).

`LoginRequired` is Django's login-required middleware with that answer.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from conference_admin.http import HX_REQUEST

from .directory import REFUSED_REASON
from .directory_oidc import REFUSED_KEY

SESSION_PARAM = "session"
SESSION_ENDED = "ended"
SESSION_ENDED_NOTE = "Your session ended: sign in again to carry on where you were."


def _htmx(request: HttpRequest) -> HtmxDetails:
    return getattr(request, "htmx", None) or HtmxDetails(request)


def session_ended_redirect(request: HttpRequest, *, next_path: str | None = None) -> HttpResponse:
    """The answer to a request that needs a signed-in user and has none (see the module doc)."""
    htmx = _htmx(request)
    if next_path is None:
        try:
            current = urlsplit(htmx.current_url or "") if htmx else None
        except ValueError:  # not a URL (the header is the client's): back to this request's path
            current = None
        if current is not None and current.path:
            next_path = urlunsplit(("", "", current.path, current.query, ""))
        else:
            next_path = request.get_full_path()
    query = {REDIRECT_FIELD_NAME: next_path}
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        query[SESSION_PARAM] = SESSION_ENDED
    location = f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}"
    response: HttpResponse
    if "text/event-stream" in request.headers.get("Accept", ""):
        # A page's event stream: nothing to follow (a login page is not a stream); 204 tells the
        # browser not to reconnect, and the page's own requests take it to the login page.
        response = HttpResponse(status=204)
    elif htmx:
        response = HttpResponseClientRedirect(location)
    else:
        response = HttpResponseRedirect(location)
    # The answer depends on these request headers: no cache may give one's answer to another.
    patch_vary_headers(response, (HX_REQUEST, "HX-Current-URL", "Accept"))
    return response


class LoginRequired(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, answering through `session_ended_redirect`."""

    def handle_no_permission(self, request, view_func):
        return session_ended_redirect(request)


class LoginView(auth_views.LoginView):
    """Django's login view; offers the company's sign-in first when there is one; says why when
    the visitor's session has just ended or a directory sign-in was refused."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.GET.get(SESSION_PARAM) == SESSION_ENDED and not self.request.user.is_authenticated:
            context["session_note"] = SESSION_ENDED_NOTE
        # A refusal: from this request (a password sign-in) or from the provider's callback.
        context["refused"] = getattr(self.request, REFUSED_REASON, None) or self.request.session.pop(REFUSED_KEY, None)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["oidc_provider_name"] = settings.OIDC_PROVIDER_NAME
        context["local_sign_in_for_everyone"] = settings.LOCAL_SIGN_IN_USERS is None
        return context
