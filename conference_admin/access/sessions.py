"""Django's session middleware, except that a cookie naming a session that has ended is kept.

Django deletes the session cookie whenever a request carried one and the session is empty. For
a cookie whose session ended elsewhere (expired, or signed out by another request of the same
page) that answer races the page's other requests: a poll answered after the sign-out that set
the new cookie deletes it again, and the page's next request, carrying no cookie at all, lands on
a login page that cannot say the session ended. So a cookie is deleted only when this request
emptied the session (a sign-out here); a stale one stays until a sign-in replaces it, and every
request carrying it is told the session ended (`access/login.session_ended_redirect`). It names
no session, so keeping it grants nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.utils.cache import patch_vary_headers


class KeepEndedSessionCookie(SessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        stale = (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and session.accessed
            and not session.modified
            and session.is_empty()
        )
        if stale:
            patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
