"""Small helpers shared by the supervision tests."""

from __future__ import annotations

import json

from django.urls import reverse

from conference_admin.dashboard import services as dashboard
from conference_admin.live import roster as rosters

HTMX = {"HTTP_HX_REQUEST": "true"}


def announced(response) -> str:
    return json.loads(response["HX-Trigger"])["dashboard:announce"]["message"]


def reconcile(conference_sid: str) -> None:
    """What the page's poller does every few seconds: list the participants from Twilio now."""
    rosters.release_reconcile(conference_sid)
    dashboard.roster_refresh(conference_sid=conference_sid)


def post(client, name: str, conference_sid: str, data=None, **kwargs):
    return client.post(reverse(name, kwargs={"conference_sid": conference_sid, **kwargs}), data or {}, **HTMX)


def requests_made(simulator) -> list[tuple[str, str, str]]:
    return [(r.method, r.operation, r.path.rsplit("/", 1)[-1]) for r in simulator.request_log]


def flat(params) -> dict[str, str]:
    return {key: values[-1] for key, values in params.items()}
