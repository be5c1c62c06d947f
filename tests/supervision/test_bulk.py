"""Bulk actions: bounded-concurrency loops of single calls, a result per participant, one bulk record."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import override_settings
from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from conference_admin.supervision import services
from conference_admin.twilio import Participant

from .conftest import ESCALATION, ONBOARDING, SALES
from .helpers import HTMX, announced, flat, reconcile


def bulk(client, demo, conference, action):
    demo.simulator.reset_request_log()
    return client.post(reverse("supervision-bulk", args=[demo.sid(conference)]), {"action": action}, **HTMX)


def test_mute_all_but_staff_mutes_only_connected_customers(supervisor_client, demo, seen):
    seen(ONBOARDING)
    response = bulk(supervisor_client, demo, ONBOARDING, "mute-customers")
    body = response.content.decode()
    unlabelled = next(
        p for p in demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ONBOARDING)) if not p.label
    )
    # agent:erin is staff, Northwind IT is already muted: one update, for the unlabelled caller.
    log = demo.simulator.request_log
    assert [(r.operation, flat(r.params)) for r in log] == [("UpdateParticipant", {"Muted": "true"})]
    assert log[0].path.endswith(f"/Participants/{unlabelled.call_sid}.json")
    assert (
        demo.simulator.fetch_participant(demo.simulator.account_sid, demo.sid(ONBOARDING), unlabelled.call_sid).muted
        is True
    )
    assert "all 1 done" in announced(response)
    assert f'id="participant-{unlabelled.call_sid}"' in body and 'hx-swap-oob="true"' in body
    assert "Mute all except agents and supervisors: Muted." in body
    record = AuditRecord.objects.get(action="bulk:mute-customers")
    assert record.outcome == "ok" and record.parameters["targets"] == 1 and record.parameters["failed"] == 0
    assert record.parameters["results"][0]["call_sid"] == unlabelled.call_sid
    assert AuditRecord.objects.filter(action="mute", participant_sid=unlabelled.call_sid, outcome="ok").count() == 1


def test_bulk_mute_with_one_participant_gone_shows_per_row_results(supervisor_client, demo, seen):
    sim, sid = demo.simulator, demo.sid(ESCALATION)
    sim.join(sid, label="customer:Zed", from_="+14155550177")
    seen(ESCALATION)
    reconcile(sid)
    gone = demo.call_sid(ESCALATION, "customer:+14155550103")
    zed = demo.call_sid(ESCALATION, "customer:Zed")
    sim.hang_up(sim.account_sid, sid, gone)  # behind the dashboard's back

    response = bulk(supervisor_client, demo, ESCALATION, "mute-customers")
    body = response.content.decode()
    assert sorted(r.path.rsplit("/", 1)[-1] for r in sim.request_log) == sorted([f"{gone}.json", f"{zed}.json"])
    assert "1 of 2 done, 1 failed" in body
    assert "customer:+14155550103: No longer in the conference" in body  # the summary lists the failure
    assert 'class="bulk-failures"' in body
    # Each affected row is re-rendered: the gone one as gone with the reason, the muted one with its note.
    assert f'id="participant-{gone}" class="row row--gone"' in body
    assert f'id="participant-{zed}"' in body and "Mute all except agents and supervisors: Muted." in body
    assert demo.participant(ESCALATION, "customer:Zed").muted is True
    record = AuditRecord.objects.get(action="bulk:mute-customers")
    assert record.outcome == "failed" and record.parameters["failed"] == 1 and "1 of 2 failed" in record.error_message
    outcomes = dict(AuditRecord.objects.filter(action="mute").values_list("participant_sid", "outcome"))
    assert outcomes == {gone: "failed", zed: "ok"}


def test_unmute_all_leaves_supervisor_legs_muted(supervisor_client, demo, seen):
    sim, sid = demo.simulator, demo.sid(ESCALATION)
    sim.join(sid, label="supervisor:kim", from_="+14155550178")
    sim.update_participant(sim.account_sid, sid, "supervisor:kim", {"Muted": "true"})
    seen(ESCALATION)
    bulk(supervisor_client, demo, ESCALATION, "unmute-all")
    assert [r.path.rsplit("/", 1)[-1] for r in sim.request_log] == [f"{demo.call_sid(ESCALATION, 'agent:dave')}.json"]
    assert demo.participant(ESCALATION, "agent:dave").muted is False
    assert demo.participant(ESCALATION, "supervisor:kim").muted is True


def test_resume_everyone_on_hold(supervisor_client, demo, seen):
    seen(SALES)
    response = bulk(supervisor_client, demo, SALES, "resume-all")
    assert [flat(r.params) for r in demo.simulator.request_log] == [{"Hold": "false"}]
    assert demo.participant(SALES, "customer:Dana Whitfield").hold is False
    assert "all 1 done" in announced(response)


def test_remove_everyone_but_the_agents(supervisor_client, demo, seen):
    seen(ONBOARDING)
    response = bulk(supervisor_client, demo, ONBOARDING, "remove-customers")
    log = demo.simulator.request_log
    assert [r.method for r in log] == ["DELETE", "DELETE"]
    left = [p.label for p in demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ONBOARDING))]
    assert left == ["agent:erin"]
    assert response.content.decode().count("row--gone") == 2
    assert AuditRecord.objects.filter(action="kick").count() == 2
    assert AuditRecord.objects.get(action="bulk:remove-customers").parameters["targets"] == 2


def test_end_the_conference(supervisor_client, demo, seen):
    seen(SALES)
    response = bulk(supervisor_client, demo, SALES, "end")
    assert [(r.operation, flat(r.params)) for r in demo.simulator.request_log] == [
        ("UpdateConference", {"Status": "completed"})
    ]
    assert "conference-ended" in response["HX-Trigger"]
    assert AuditRecord.objects.get(action="bulk:end").outcome == "ok"
    assert AuditRecord.objects.get(action="end-conference").outcome == "ok"


def test_bulk_needs_the_bulk_permission(plain_supervisor_client, demo, seen):
    demo.simulator.reset_request_log()
    response = plain_supervisor_client.post(
        reverse("supervision-bulk", args=[demo.sid(ONBOARDING)]), {"action": "mute-customers"}, **HTMX
    )
    assert response.status_code == 403
    assert demo.simulator.request_log == []
    assert not AuditRecord.objects.exists()


def test_unknown_bulk_action_is_refused_politely(supervisor_client, demo, seen):
    seen(ONBOARDING)
    response = bulk(supervisor_client, demo, ONBOARDING, "mute-everyone-forever")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert demo.simulator.request_log == []


def test_non_htmx_bulk_redirects_with_the_summary(supervisor_client, demo, seen):
    seen(ONBOARDING)
    response = supervisor_client.post(
        reverse("supervision-bulk", args=[demo.sid(ONBOARDING)]), {"action": "mute-customers"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_at_most_four_calls_at_once(monkeypatch, django_user_model):
    """Twelve customers, a slow fake client: never more than SUPERVISION_BULK_CONCURRENCY in flight."""
    from conference_admin.live import roster as rosters

    conference = "CF" + "1" * 32
    for n in range(12):
        rosters.record_participant(
            conference, Participant(call_sid=f"CA{n:032x}", label=f"customer:{n}", status="connected", muted=False)
        )
    active, peak, lock = 0, 0, threading.Lock()

    class SlowClient:
        def update_participant(self, conference_sid, call_sid, **params):
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.02)
            with lock:
                active -= 1
            return Participant(call_sid=call_sid, label="x", status="connected", muted=params["muted"])

    monkeypatch.setattr(services, "get_twilio_client", lambda: SlowClient())
    actor = django_user_model.objects.create_user("lead")
    with override_settings(SUPERVISION_BULK_CONCURRENCY=4):
        outcome = services.conference_bulk(actor=actor, conference_sid=conference, name="mute-customers")
    assert len(outcome.results) == 12 and not outcome.failed
    assert 2 <= peak <= 4
    assert [r.call_sid for r in outcome.results] == [f"CA{n:032x}" for n in range(12)]  # roster order kept


def test_a_bulk_action_moves_the_version_once_per_result_and_once_for_the_marks(supervisor_client, demo, seen):
    """Everyone concerned is marked in flight in one step (one version), then each result is
    one write that also clears its mark (one version each): N + 1, not 3 N."""
    from conference_admin.live import roster as rosters

    sim, sid = demo.simulator, demo.sid(ESCALATION)
    sim.join(sid, label="customer:Zed", from_="+14155550177")
    sim.join(sid, label="customer:Ann", from_="+14155550178")
    seen(ESCALATION)
    reconcile(sid)
    before = rosters.current_version(sid)
    response = bulk(supervisor_client, demo, ESCALATION, "mute-customers")
    assert response.status_code == 200
    targets = [r for r in demo.simulator.request_log if r.operation == "UpdateParticipant"]
    assert len(targets) >= 2
    assert rosters.current_version(sid) - before <= len(targets) + 1
    assert rosters.load_marks(sid).live(time.time()) == {}  # every mark cleared by its result
