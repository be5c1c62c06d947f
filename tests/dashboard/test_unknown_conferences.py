"""Made-up conference SIDs cost Twilio a bounded number of calls and leave almost nothing
behind; every user has a per-minute share of requests that reach Twilio."""

from __future__ import annotations

import secrets
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, assign_role
from conference_admin.live import roster as rosters

from .conftest import ESCALATION, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


def made_up_sid() -> str:
    return "CF" + secrets.token_hex(16)


@pytest.fixture
def observer_client(client, django_user_model, db):
    user = django_user_model.objects.create_user("observer")
    assign_role(user, OBSERVER)
    client.force_login(user)
    return client


def test_fifty_made_up_conferences_cost_at_most_the_lookup_share(observer_client, demo, settings):
    settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE = 10
    sids = [made_up_sid() for _ in range(50)]
    statuses = [
        observer_client.get(reverse("participant-table", args=[sid]), {"version": "0"}, **HTMX).status_code
        for sid in sids
    ]
    assert statuses == [404] * 10 + [429] * 40
    assert [r.operation for r in upstream(demo.simulator)] == ["ListParticipant"] * 10
    # Nothing kept for them but the short-lived "missing" marks: no roster, no meta.
    assert all(rosters.load(sid) is None and rosters.read_meta(sid) is None for sid in sids)
    assert all(cache.get(f"conference:missing:{sid}") is not None for sid in sids[:10])


def test_a_missing_mark_expires(observer_client, demo, settings):
    settings.UNKNOWN_CONFERENCE_CACHE_SECONDS = 1
    sid = made_up_sid()
    assert observer_client.get(reverse("conference-detail", args=[sid])).status_code == 404
    assert observer_client.get(reverse("conference-detail", args=[sid])).status_code == 404
    assert len(upstream(demo.simulator)) == 1
    time.sleep(1.2)
    assert observer_client.get(reverse("conference-detail", args=[sid])).status_code == 404
    assert len(upstream(demo.simulator)) == 2  # asked Twilio again once the mark expired


def test_a_made_up_conference_asked_again_costs_nothing(observer_client, demo):
    sid = made_up_sid()
    assert observer_client.get(reverse("conference-detail", args=[sid])).status_code == 404
    assert [r.operation for r in upstream(demo.simulator)] == ["FetchConference"]
    demo.simulator.reset_request_log()
    for _ in range(5):
        assert observer_client.get(reverse("conference-detail", args=[sid])).status_code == 404
        assert observer_client.get(reverse("participant-table", args=[sid]), **HTMX).status_code == 404
    assert upstream(demo.simulator) == []


def test_made_up_conference_pages_are_limited_per_user_and_say_why(observer_client, demo, settings):
    settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE = 2
    answers = [observer_client.get(reverse("conference-detail", args=[made_up_sid()])) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert "Too many requests to Twilio from your account" in answers[2].content.decode()
    assert int(answers[2]["Retry-After"]) <= 60
    assert len(upstream(demo.simulator)) == 2


def test_a_real_conference_is_still_read_when_the_lookup_share_is_spent(observer_client, demo, settings):
    """Once the dashboard holds a conference's roster, opening it is no lookup."""
    settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE = 1
    assert observer_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).status_code == 200
    assert observer_client.get(reverse("conference-detail", args=[made_up_sid()])).status_code == 429
    assert observer_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).status_code == 200
    table = observer_client.get(reverse("participant-table", args=[demo.sid(ESCALATION)]), **HTMX)
    assert table.status_code == 200


def test_actions_past_the_users_share_send_nothing_and_say_so(supervisor_client, demo, seen, settings):
    settings.USER_TWILIO_REQUESTS_PER_MINUTE = 2
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.reset_request_log()
    url = reverse("participant-action", args=[demo.sid(ESCALATION), call_sid, "mute"])
    answers = [supervisor_client.post(url, {}, **HTMX) for _ in range(3)]
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateParticipant"] * 2
    refused = answers[2]
    assert refused.status_code == 200 and refused["HX-Retarget"] == f"#note-{call_sid}"
    assert "Too many requests to Twilio from your account" in refused.content.decode()
