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
    url = reverse("participant", args=[demo.sid(ESCALATION), call_sid])
    answers = [supervisor_client.post(url, {"action": "mute"}, **HTMX) for _ in range(3)]
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateParticipant"] * 2
    refused = answers[2]
    assert refused.status_code == 200 and refused["HX-Retarget"] == f"#note-{call_sid}"
    assert "Too many requests to Twilio from your account" in refused.content.decode()


class _Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.at, UTC)


@pytest.mark.parametrize("kind", ["request", "lookup"])
def test_a_burst_across_a_minute_boundary_passes_the_budget_once_not_twice(db, django_user_model, settings, kind):
    """The share is a rate, not a clock minute: the budget spent in the last second of one
    minute is not handed out again in the first second of the next."""
    from django.utils import timezone

    from conference_admin.dashboard import services

    settings.USER_TWILIO_REQUESTS_PER_MINUTE = settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE = 10
    user = django_user_model.objects.create_user("burst")
    minute = 60 * (int(time.time()) // 60 + 10)
    clock = _Clock(minute - 0.5)  # half a second before a minute ends

    def burst() -> int:
        passed = 0
        for _ in range(10):
            try:
                services.user_budget_spend(actor=user, kind=kind)
                passed += 1
            except services.UserBudgetSpent:
                pass
        return passed

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", clock.now)
        first = burst()
        clock.at = minute + 0.5  # one second later, in the next minute
        second = burst()
        clock.at = minute + 0.5 + 30  # half a minute on: half the share is back
        third = burst()
    assert first == 10
    assert second <= 1  # about a second's worth of refill (10 a minute): none
    assert 4 <= third <= 6


def test_a_spent_share_says_when_one_more_request_is_possible(db, django_user_model, settings):
    from django.utils import timezone

    from conference_admin.dashboard import services

    settings.USER_TWILIO_REQUESTS_PER_MINUTE = 6  # one every 10 s
    user = django_user_model.objects.create_user("waiting")
    clock = _Clock(1_900_000_000.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", clock.now)
        for _ in range(6):
            services.user_budget_spend(actor=user)
        with pytest.raises(services.UserBudgetSpent) as spent:
            services.user_budget_spend(actor=user)
        assert spent.value.retry_after == 10
        clock.at += 10
        services.user_budget_spend(actor=user)  # the promised one


def test_counting_a_request_costs_at_most_two_cache_round_trips(db, django_user_model, settings, monkeypatch):
    from django.core.cache import caches

    from conference_admin.dashboard import services

    settings.USER_TWILIO_REQUESTS_PER_MINUTE = 3
    user = django_user_model.objects.create_user("counted")
    backend, calls = caches["default"], []
    for name in ("get", "get_many", "set", "set_many", "add", "incr", "decr", "delete"):
        original = getattr(backend, name)
        monkeypatch.setattr(
            backend, name, lambda *a, _name=name, _original=original, **k: (calls.append(_name), _original(*a, **k))[1]
        )
    spent = []
    for _ in range(5):
        calls.clear()
        try:
            services.user_budget_spend(actor=user)
        except services.UserBudgetSpent:
            spent.append(True)
        assert len(calls) <= 2, calls
    assert len(spent) == 2
