"""Holding someone whose exit ends the conference asks first; "Clear end-on-exit and hold" is two updates."""

from __future__ import annotations

from django.urls import reverse

from conference_admin.audit.models import AuditRecord

from .conftest import BILLING, ESCALATION
from .helpers import HTMX, flat


def hold(client, demo, label, data=None, conference=BILLING):
    demo.simulator.reset_request_log()
    url = reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])
    return client.post(url, {"action": "hold", **(data or {})}, **HTMX)


def test_the_row_offers_the_confirm_step_for_end_on_exit(supervisor_client, demo, seen):
    body = seen(BILLING).content.decode()
    alice = demo.call_sid(BILLING, "agent:alice")
    # The row's "Hold…" opens a picker, loaded when opened, with the two ways to hold.
    assert '<details data-picker="hold"><summary>Hold…</summary></details>' in body
    assert "Clear end-on-exit and hold" not in body
    url = reverse("participant", args=[demo.sid(BILLING), alice])
    demo.simulator.reset_request_log()
    picker = supervisor_client.get(url, {"picker": "hold"}, **HTMX).content.decode()
    assert "agent:alice ends the conference on exit" in picker
    assert 'aria-label="Clear end-on-exit and hold agent:alice"' in picker
    assert 'aria-label="Hold agent:alice anyway"' in picker and 'name="confirm" value="anyway"' in picker
    assert f'formaction="/conferences/{demo.sid(BILLING)}/supervision/participants/{alice}/safe-hold/"' in picker
    assert "<form" not in picker  # its buttons join the row's one form
    assert demo.simulator.request_log == []  # from the shared roster
    # Others keep the plain one-click Hold.
    assert 'aria-label="Hold customer:+14155550101">Hold</button>' in body


def test_without_javascript_the_participant_page_offers_the_safe_hold(supervisor_client, demo, seen):
    seen(BILLING)
    alice = demo.call_sid(BILLING, "agent:alice")
    html = supervisor_client.get(reverse("participant", args=[demo.sid(BILLING), alice])).content.decode()
    assert "<h2>Hold</h2>" in html and 'aria-label="Clear end-on-exit and hold agent:alice"' in html
    carol = demo.call_sid(ESCALATION, "agent:carol")
    seen(ESCALATION)
    html = supervisor_client.get(reverse("participant", args=[demo.sid(ESCALATION), carol])).content.decode()
    assert "<h2>Hold</h2>" not in html  # only for someone whose exit ends the conference


def test_hold_without_confirm_asks_and_calls_nobody(supervisor_client, demo, seen):
    seen(BILLING)
    alice = demo.call_sid(BILLING, "agent:alice")
    response = hold(supervisor_client, demo, "agent:alice")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#note-{alice}"
    assert "ends the conference on exit" in body and "Clear end-on-exit and hold" in body and "Hold anyway" in body
    assert demo.simulator.request_log == []
    assert demo.participant(BILLING, "agent:alice").hold is False


def test_hold_anyway_is_one_update(supervisor_client, demo, seen):
    seen(BILLING)
    response = hold(supervisor_client, demo, "agent:alice", {"confirm": "anyway"})
    assert response.status_code == 200
    assert [r.operation for r in demo.simulator.request_log] == ["UpdateParticipant"]
    alice = demo.participant(BILLING, "agent:alice")
    assert alice.hold is True and alice.end_conference_on_exit is True


def test_clear_end_on_exit_and_hold_is_two_audited_updates(supervisor_client, demo, seen):
    seen(BILLING)
    alice = demo.call_sid(BILLING, "agent:alice")
    demo.simulator.reset_request_log()
    response = supervisor_client.post(reverse("supervision-safe-hold", args=[demo.sid(BILLING), alice]), {}, **HTMX)
    body = response.content.decode()
    assert [flat(r.params).keys() for r in demo.simulator.request_log][0] == {"EndConferenceOnExit"}
    assert [flat(r.params).get("Hold") for r in demo.simulator.request_log] == [None, "true"]
    state = demo.participant(BILLING, "agent:alice")
    assert state.hold is True and state.end_conference_on_exit is False
    assert f'id="participant-{alice}"' in body and "Cleared end-on-exit" in body
    assert list(AuditRecord.objects.order_by("id").values_list("action", "outcome")) == [
        ("end-on-exit", "ok"),
        ("hold", "ok"),
    ]


def test_hold_music_picked_in_more_is_carried_through_the_confirm_step(supervisor_client, demo, seen, settings):
    seen(BILLING)
    music = settings.DASHBOARD_HOLD_MUSIC[1]["url"]
    body = hold(supervisor_client, demo, "agent:alice", {"hold_url": music, "hold_method": "POST"}).content.decode()
    assert body.count(f'name="hold_url" value="{music}"') == 2


def test_participants_without_end_on_exit_hold_at_once(supervisor_client, demo, seen):
    seen(ESCALATION)
    hold(supervisor_client, demo, "agent:carol", conference=ESCALATION)
    assert demo.participant(ESCALATION, "agent:carol").hold is True


def test_without_htmx_the_confirm_step_is_a_page(supervisor_client, demo, seen):
    seen(BILLING)
    url = reverse("participant", args=[demo.sid(BILLING), demo.call_sid(BILLING, "agent:alice")])
    response = supervisor_client.post(url, {"action": "hold"})
    assert response.status_code == 200 and "Hold agent:alice?" in response.content.decode()
    assert demo.simulator.request_log == []
