"""Every URL in the URLconf × every role: allowed or 403, and nothing reaches Twilio when refused.

The URLs are enumerated from `get_resolver()`, so a new view without an entry in EXPECTED
fails `test_every_url_is_covered` until someone decides who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conference_admin.access.roles import (
    ADD,
    BULK,
    CONTROL_RECORDINGS,
    END,
    MODERATE,
    MOVE,
    PAUSE_RECORDINGS,
    ROLE_PERMISSIONS,
    START_TRANSCRIPTS,
    VIEW,
    VIEW_AUDIT,
    VIEW_TRANSCRIPTS,
)
from conference_admin.dashboard.views import ACTIONS

from ..dashboard.conftest import ESCALATION, upstream
from .conftest import ROLES

# name: (permission needed, methods served). None: open to anyone (login, logout, OIDC sign-in).
EXPECTED: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "login": (None, ("GET", "POST")),
    "logout": (None, ("POST",)),
    # Sign-in with the company's OpenID provider: the way in, open to anyone (404 unconfigured).
    "oidc_authentication_init": (None, ("GET",)),
    "oidc_authentication_callback": (None, ("GET",)),
    # operations (conference_admin/ops): probes need no login and answer nothing sensitive
    "healthz": (None, ("GET",)),
    "readyz": (None, ("GET",)),
    # guarded by the scraper's bearer token or network allow-list instead of a login (tests/ops)
    "metrics": (None, ("GET",)),
    "dependency-status": (VIEW, ("GET",)),
    "conference-list": (VIEW, ("GET",)),
    "conference-detail": (VIEW, ("GET",)),
    "conference-timeline": (VIEW, ("GET",)),
    "participant-table": (VIEW, ("GET",)),
    "conference-events": (VIEW, ("GET",)),  # the page's event stream (conference_admin/push)
    "participant-add": (ADD, ("GET", "POST")),
    # a participant's page (its pickers, without JavaScript) and the row's one form, whose POST
    # names the participant action in its body (the only URL of a participant action)
    "participant": (MODERATE, ("GET", "POST")),
    "participant-pages": (MODERATE, ("GET",)),
    "conference-announce": (END, ("POST",)),
    "conference-end": (END, ("POST",)),
    "audit-list": (VIEW_AUDIT, ("GET",)),
    "audit-export": (VIEW_AUDIT, ("GET",)),
    # supervision (conference_admin/supervision): own line, bulk actions, safe hold
    "supervision-profile": (VIEW, ("GET", "POST")),
    "supervision-panel": (VIEW, ("GET",)),
    "supervision-line-dial": (MODERATE, ("POST",)),
    "supervision-line-listen": (MODERATE, ("POST",)),
    "supervision-line-whisper": (MODERATE, ("POST",)),
    "supervision-line-barge": (MODERATE, ("POST",)),
    "supervision-line-leave": (MODERATE, ("POST",)),
    "supervision-bulk": (BULK, ("POST",)),
    "supervision-safe-hold": (MODERATE, ("POST",)),
    # history (conference_admin/history): read by every role; exports follow the audit export
    "history-list": (VIEW, ("GET",)),
    "history-search": (VIEW, ("GET",)),
    "history-search-export": (VIEW_AUDIT, ("GET",)),
    "history-report": (VIEW, ("GET",)),
    "history-report-export": (VIEW_AUDIT, ("GET",)),
    # transcripts in history: read with view_transcripts; exported with the export permission too
    "history-transcripts": (VIEW_TRANSCRIPTS, ("GET",)),
    "history-transcripts-export": (VIEW_AUDIT, ("GET",)),
    # recordings (dashboard/recording_views.py): Supervisor pauses and resumes, Lead also starts and stops
    "conference-recording": (VIEW, ("GET",)),
    "conference-recording-pause": (PAUSE_RECORDINGS, ("POST",)),
    "conference-recording-resume": (PAUSE_RECORDINGS, ("POST",)),
    "conference-recording-stop": (CONTROL_RECORDINGS, ("POST",)),
    "participant-recording-pause": (PAUSE_RECORDINGS, ("POST",)),
    "participant-recording-resume": (PAUSE_RECORDINGS, ("POST",)),
    "participant-recording-start": (CONTROL_RECORDINGS, ("POST",)),
    "participant-recording-stop": (CONTROL_RECORDINGS, ("POST",)),
    # live transcripts (dashboard/transcript_views.py): Supervisor reads, Lead and Admin also start and stop
    "conference-transcript": (VIEW_TRANSCRIPTS, ("GET",)),
    "conference-transcript-start": (START_TRANSCRIPTS, ("POST",)),
    "conference-transcript-stop": (START_TRANSCRIPTS, ("POST",)),
    "participant-transcript-start": (START_TRANSCRIPTS, ("POST",)),
    "participant-transcript-stop": (START_TRANSCRIPTS, ("POST",)),
}
# Signed by Twilio instead of a login (conference_admin/live/webhooks.py).
WEBHOOKS = {"webhook-conference-status", "webhook-call-status", "webhook-recording-status", "webhook-transcription"}
PARTICIPANT = "agent:carol"
# Requests that perform the participant action their body names: every action is its own case.
ACTING = {("participant", "POST")}


@dataclass(frozen=True)
class Route:
    name: str
    converters: tuple[str, ...]  # converter kwargs the URL needs, e.g. ("conference_sid", "call_sid")


def _walk(patterns, namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django admin checks is_staff and model permissions itself (tested apart)
            yield from _walk(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield Route(entry.name, tuple(getattr(entry.pattern, "converters", {}).keys()))


ROUTES = {route.name: route for route in _walk(get_resolver().url_patterns)}


def _cases():
    """(name, action named in the body, method): every participant action is its own case."""
    for name in sorted(ROUTES):
        if name in WEBHOOKS or name not in EXPECTED:
            continue
        for method in EXPECTED[name][1]:
            if (name, method) in ACTING:
                for action in ACTIONS:
                    yield pytest.param(name, action, method, id=f"{name}-{action}-{method}")
            else:
                yield pytest.param(name, "", method, id=f"{name}-{method}")


CASES = list(_cases())


def url_for(demo, name: str) -> str:
    """Fill the route's path converters with valid SIDs from the demo conferences."""
    kwargs = {}
    for converter in ROUTES[name].converters:
        if converter == "conference_sid":
            kwargs[converter] = demo.sid(ESCALATION)
        elif converter == "call_sid":
            kwargs[converter] = demo.call_sid(ESCALATION, PARTICIPANT)
        else:  # a new converter: teach this test how to fill it
            raise AssertionError(f"Unknown path converter {converter!r} in {name}")
    return reverse(name, kwargs=kwargs)


def test_every_url_is_covered():
    names = set(ROUTES) - WEBHOOKS
    assert names == set(EXPECTED), (
        f"URLs without an access rule here: {names - set(EXPECTED)}; gone: {set(EXPECTED) - names}"
    )
    assert WEBHOOKS <= set(ROUTES)
    assert len(CASES) > len(EXPECTED)  # participant actions multiply


def _data(action: str) -> dict[str, str]:
    return {"action": action} if action else {}


def _request(client: Client, method: str, url: str, action: str):
    return client.get(url) if method == "GET" else client.post(url, _data(action))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,action,method", CASES)
def test_role_is_allowed_or_refused_without_calling_twilio(client_as, demo, role, name, action, method):
    permission = EXPECTED[name][0]
    if permission is None:
        pytest.skip("open to everyone")
    if action:  # a row action may need more than the URL's permission (move, bring back: MOVE)
        needed = {permission, ACTIONS[action].permission}
        permission = permission if all(p in ROLE_PERMISSIONS[role] for p in needed) else "refused"
    client = client_as(role)
    url = url_for(demo, name)
    demo.simulator.reset_request_log()
    response = _request(client, method, url, action)
    if permission in ROLE_PERMISSIONS[role]:
        assert response.status_code != 403, f"{role} refused {method} {url}"
    else:
        assert response.status_code == 403, f"{role} allowed {method} {url}: {response.status_code}"
        assert upstream(demo.simulator) == [], f"{role}: a refused {method} {url} reached Twilio"


def test_the_matrix_reads_as_intended():
    """The rule table in words, so a change to roles.py shows up here too."""
    observer, supervisor, lead, admin = (set(ROLE_PERMISSIONS[r]) for r in ROLES)
    assert observer == {VIEW}
    assert {VIEW, MODERATE, VIEW_AUDIT, PAUSE_RECORDINGS} <= supervisor
    assert not {ADD, END, CONTROL_RECORDINGS} & supervisor
    assert {VIEW, MODERATE, VIEW_AUDIT, ADD, END, PAUSE_RECORDINGS, CONTROL_RECORDINGS, MOVE} <= lead
    assert MOVE not in supervisor
    assert lead <= admin
    assert VIEW_TRANSCRIPTS in supervisor and START_TRANSCRIPTS not in supervisor
    assert not {VIEW_TRANSCRIPTS, START_TRANSCRIPTS} & observer
    assert {VIEW_TRANSCRIPTS, START_TRANSCRIPTS} <= lead


@pytest.mark.parametrize("name,action,method", [c for c in CASES if EXPECTED[c.values[0]][0] is not None])
def test_anonymous_is_sent_to_login_without_calling_twilio(client, demo, name, action, method):
    url = url_for(demo, name)
    response = _request(client, method, url, action)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert upstream(demo.simulator) == []


@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_probes_answer_anonymous_requests_without_a_login(client, demo, name):
    demo.simulator.reset_request_log()
    response = client.get(reverse(name))
    assert response.status_code == 200, response.content  # not a redirect to the login page
    assert response["Content-Type"] == "application/json"
    # Readiness only knocks on Twilio's host: no API resource is asked for.
    assert [(r.method, r.path) for r in upstream(demo.simulator)] == ([("HEAD", "/")] if name == "readyz" else [])


def test_metrics_need_the_scrapers_token_not_a_login(client, db, settings):
    settings.METRICS_BEARER_TOKEN = "scraper-token"
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get(reverse("metrics")).status_code == 401  # not a redirect to the login page
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scraper-token").status_code == 200


@pytest.mark.parametrize("name", sorted(WEBHOOKS))
def test_webhooks_need_a_signature_not_a_login(client, demo, settings, name):
    settings.PUBLIC_BASE_URL = "https://dash.example.com"
    response = client.post(reverse(name), {"ConferenceSid": demo.sid(ESCALATION)})
    assert response.status_code == 403  # not a redirect to the login page
    assert upstream(demo.simulator) == []


@pytest.mark.parametrize("name,action,method", [c for c in CASES if c.values[2] == "POST"])
def test_post_without_csrf_token_is_refused(client_as, demo, name, action, method):
    from conference_admin.access.roles import ADMIN

    client = client_as(ADMIN, enforce_csrf_checks=True)
    url = url_for(demo, name)
    demo.simulator.reset_request_log()
    response = client.post(url, _data(action))
    assert response.status_code == 403
    assert upstream(demo.simulator) == []
