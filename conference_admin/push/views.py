"""One Server-Sent Events stream per open conference page.

`GET /events/conferences/<CF>/?version=V` (or `Last-Event-ID: V` when the browser reconnects)
is authorized exactly as the page's poll is (a session, the view permission, 404 for a
conference Twilio does not know: `dashboard.services.conference_lookup_allowed` and
`roster_refresh`). It then sends, whenever the conference's version moves, one `roster`
event whose id is the new version and whose data is the poll's own answer for the page's
version (`dashboard.views.roster_changes`: the changed rows and the status line as
out-of-band swaps), so a page that reconnects gets exactly what it missed. A comment line
every PUSH_HEARTBEAT_SECONDS keeps proxies from closing an idle stream; as often, the hub
checks every stream's session and permission at once (`sessions.revoked`): a logout or a
revoked role ends the stream (`closed` event); other rights, or a directory re-check that is
due, end it with `reload` (the page loads itself again).
A page that shows the live transcript (the user may read transcripts) also names its transcript
cursor (`&transcript=C`): whenever the conference's transcript moves past it, one `transcript`
event carries the lines written since (`dashboard.transcript_views.transcript_batch`, the panel's
own poll answer); its id is left alone, so Last-Event-ID stays the roster's version.
An ended conference gets its last answer and an `ended` event. At most
PUSH_STREAMS_PER_USER streams per user and process (429 past it: the page polls); a user whose
share of unknown-conference lookups is spent gets 429 with Retry-After, as from the poll.

Served by the ASGI server (conference_admin/asgi.py); the view is async, so an open stream
holds no worker thread while it waits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from conference_admin.access.roles import VIEW, VIEW_TRANSCRIPTS
from conference_admin.dashboard import services
from conference_admin.dashboard.transcript_views import transcript_batch
from conference_admin.dashboard.views import roster_changes
from conference_admin.http import HtmxHttpRequest
from conference_admin.offthread import closing_connections
from conference_admin.requestvalues import Refused, whole_number

from . import hub as hubs
from .sessions import Viewer, viewer_of


def _known(request: HttpRequest) -> int | None:
    """The version the page shows: the last event it received, else the one it was rendered at."""
    candidates = (("Last-Event-ID", request.headers.get("Last-Event-ID")), ("version", request.GET.get("version")))
    for name, value in candidates:
        try:
            known = whole_number(value, name=name)
        except Refused:
            continue  # unreadable: as if absent (the page gets the whole table)
        if known is not None:
            return known
    return None


def _transcript_known(request: HttpRequest) -> int | None:
    """The page's transcript cursor, when it shows the transcript and its user may read it."""
    if not request.user.has_perm(VIEW_TRANSCRIPTS):
        return None
    try:
        return whole_number(request.GET.get("transcript"), name="transcript")
    except Refused:
        return None  # unreadable: as if the page showed no transcript


def _open(request: HttpRequest, conference_sid: str) -> tuple[int | None, Viewer]:
    """The page's checks, on the normal stack's request (session and user from the middleware);
    the conference's version now (None: not loaded) and who watches."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    try:
        services.conference_lookup_allowed(actor=request.user, conference_sid=conference_sid)
        meta = services.roster_refresh(conference_sid=conference_sid)
    except services.ConferenceNotFound as missing:
        raise Http404("No such conference") from missing
    return (meta.version if meta is not None else None), viewer_of(request)


def _render(request: HtmxHttpRequest, conference_sid: str, known: int | None) -> tuple[int, str, bool]:
    response = roster_changes(request, conference_sid, known)
    return int(response["X-Roster-Version"]), response.content.decode(), response.status_code == 286


def _render_transcript(request: HtmxHttpRequest, conference_sid: str, known: int) -> tuple[int, str]:
    response = transcript_batch(request, conference_sid, known)
    return int(response.get("X-Transcript-Cursor", str(known))), response.content.decode()


def event(name: str, data: str = "", event_id: int | None = None) -> str:
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in (data.splitlines() or [""])]
    return "\n".join(lines) + "\n\n"


async def _stream(
    request: HtmxHttpRequest,
    conference_sid: str,
    known: int | None,
    current: int | None,
    viewer: Viewer,
    transcript: int | None = None,
) -> AsyncIterator[str]:
    hub = hubs.current()
    render = sync_to_async(closing_connections(_render))
    render_transcript = sync_to_async(closing_connections(_render_transcript))
    try:
        async with hub.stream(conference_sid, viewer) as watch:
            yield f"retry: {settings.PUSH_RETRY_MILLISECONDS}\n\n"
            if current is not None:
                watch.advance(current)
            while True:
                woke = await watch.wait_past(known, settings.PUSH_HEARTBEAT_SECONDS, transcript)
                if viewer.closed is not None and viewer.closed.is_set():
                    if viewer.reload:
                        yield event("reload", "rights changed")
                    else:
                        yield event("closed", "signed out or no longer allowed")
                    return
                if transcript is not None and watch.transcript_past(transcript):
                    heard = watch.transcript  # before the render: a line written during it is not skipped
                    cursor, lines = await render_transcript(request, conference_sid, transcript)
                    if cursor > transcript:
                        yield event("transcript", lines)
                        transcript = cursor  # a batch may stop short: the next wake sends the rest
                    else:
                        transcript = heard  # nothing readable past it: do not wake for it again
                if watch.version is None or (known is not None and watch.version <= known):
                    if not woke:
                        yield ": heartbeat\n\n"
                    continue
                key = (known, watch.version, viewer.user_id)
                version, html, ended = await watch.rendered(key, partial(render, request, conference_sid, known))
                if version != known or ended:
                    yield event("roster", html, version)
                    known = version
                if ended:
                    yield event("ended")
                    return
                if watch.version < version:
                    watch.advance(version)  # read a newer version than notified: no need to wait
    except hubs.TooManyStreams:
        return


@require_GET
async def conference_events(request: HtmxHttpRequest, conference_sid: str) -> HttpResponse | StreamingHttpResponse:
    if not isinstance(request, ASGIRequest):
        # A WSGI server would hold a worker thread for the stream's life: not here, and nothing
        # read or reconciled either. 204 tells the browser not to reconnect; the page polls
        # (docs/DEPLOY.md routes /events/ to the ASGI server).
        return HttpResponse(status=204)
    try:
        current, viewer = await sync_to_async(closing_connections(_open))(request, conference_sid)
    except services.UserBudgetSpent as spent:
        # As the poll and the page answer: 429 with when to try again (the browser's EventSource
        # does not reconnect after a 429; the page's poll takes over and honours Retry-After).
        refused = HttpResponse(str(spent), status=429, content_type="text/plain")
        refused["Retry-After"] = str(spent.retry_after)
        return refused
    if hubs.current().full(viewer.user_id):
        return HttpResponse("Too many open streams; this page polls instead.", status=429, content_type="text/plain")
    # The events carry htmx fragments, rendered as for an htmx request (rows without a form token).
    request.META["HTTP_HX_REQUEST"] = "true"
    request.__dict__.pop("headers", None)
    response = StreamingHttpResponse(
        _stream(request, conference_sid, _known(request), current, viewer, _transcript_known(request)),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
