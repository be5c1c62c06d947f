"""Every GET whose answer differs by the HX-Request header (a page or its fragment, a redirect or
`HX-Redirect`) says so in `Vary`, so no cache (the browser's back and forward included) gives the
fragment where the page was asked for, or the other way round."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.cache import has_vary_header

from .conftest import BILLING, ESCALATION

HTMX = {"HTTP_HX_REQUEST": "true"}


def urls(demo) -> dict[str, str]:
    sid = demo.sid(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    return {
        "conference list": reverse("conference-list"),
        "conference page": reverse("conference-detail", args=[sid]),
        "participant table": reverse("participant-table", args=[sid]),
        "add participant form": reverse("participant-add", args=[sid]),
        "participant page or picker": reverse("participant", args=[sid, carol]) + "?picker=coach",
        "recording state": reverse("conference-recording", args=[demo.sid(BILLING)]),
        "transcript poll": reverse("conference-transcript", args=[sid]),
        "supervision panel": reverse("supervision-panel", args=[sid]),
        "history report": reverse("history-report", args=[sid]),
    }


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_views_that_answer_htmx_differently_vary_on_it(supervisor_client, demo, seen, headers):
    seen(ESCALATION)
    seen(BILLING)
    answers = {name: supervisor_client.get(url, **headers) for name, url in urls(demo).items()}
    for name, response in answers.items():
        assert response.status_code in (200, 204, 302), (name, response.status_code)
        assert has_vary_header(response, "HX-Request"), (name, response.get("Vary"))


def test_the_two_answers_really_differ(supervisor_client, demo, seen):
    seen(ESCALATION)
    url = reverse("conference-list")
    page, fragment = supervisor_client.get(url), supervisor_client.get(url, **HTMX)
    assert b"<html" in page.content and b"<html" not in fragment.content


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_the_session_ended_answer_varies_on_htmx(db, headers):
    response = Client().get(reverse("conference-list"), **headers)
    assert ("HX-Redirect" in response) == bool(headers)
    assert response.status_code == (200 if headers else 302)
    assert has_vary_header(response, "HX-Request") and has_vary_header(response, "Accept")
