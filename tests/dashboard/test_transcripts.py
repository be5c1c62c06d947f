"""Live transcript controls through the dashboard's real views, checked against the simulator's
truth: one audited Twilio call per start or stop (audited before it is sent), the row's flag, a
whole conference at once, errors with Twilio's code, and the lines arriving through the signed
webhook end to end."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from conference_admin.dashboard import transcripts
from conference_admin.live import roster as rosters
from conference_admin.live.models import TranscriptLine
from conference_admin.simulator import speech

from .conftest import ESCALATION, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}
LABEL = "agent:carol"


def post(client, demo, url_name, name, label=None):
    args = [demo.sid(name)] if label is None else [demo.sid(name), demo.call_sid(name, label)]
    demo.simulator.reset_request_log()
    return client.post(reverse(url_name, args=args), {}, **HTMX)


def running(demo, call_sid):
    return demo.simulator._transcriptions.active_of(call_sid)


def test_start_then_stop_one_participant_from_the_row(supervisor_client, demo, seen, settings):
    settings.PUBLIC_BASE_URL = "https://dash.example.com"
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, LABEL)
    html = post(supervisor_client, demo, "participant-transcript-start", ESCALATION, label=LABEL).content.decode()
    assert f'id="participant-{call_sid}"' in html and "Transcribing</span>" in html
    assert [r.operation for r in upstream(demo.simulator)] == ["CreateRealtimeTranscription"]
    sent = upstream(demo.simulator)[0].params
    assert sent["Name"] == [transcripts.NAME] and sent["Track"] == ["inbound_track"]
    assert sent["PartialResults"] == ["true"] and sent["InboundTrackLabel"] == [LABEL]
    callback = urlsplit(sent["StatusCallbackUrl"][0])
    assert callback.path == "/webhooks/twilio/transcription"
    assert parse_qs(callback.query) == {"conference": [demo.sid(ESCALATION)], "speaker": [LABEL]}
    [transcription] = running(demo, call_sid)
    state = rosters.load(demo.sid(ESCALATION)).entries[call_sid].transcription
    assert state is not None and state.sid == transcription.sid and state.speaker == LABEL
    record = AuditRecord.objects.get(action="transcript-start")
    assert (record.outcome, record.participant_sid, record.participant_label) == ("ok", call_sid, LABEL)

    html = post(supervisor_client, demo, "participant-transcript-stop", ESCALATION, label=LABEL).content.decode()
    assert "Transcribing</span>" not in html and "Transcript stopped." in html
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateRealtimeTranscription"]
    assert upstream(demo.simulator)[0].path.endswith(f"/Transcriptions/{transcripts.NAME}.json")
    assert running(demo, call_sid) == []
    assert rosters.load(demo.sid(ESCALATION)).entries[call_sid].transcription is None
    assert AuditRecord.objects.get(action="transcript-stop").outcome == "ok"


def test_stopping_what_twilio_already_stopped_clears_the_flag(supervisor_client, demo, seen):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, LABEL)
    post(supervisor_client, demo, "participant-transcript-start", ESCALATION, label=LABEL)
    demo.simulator.update_transcription(demo.simulator.account_sid, call_sid, transcripts.NAME, {"Status": "stopped"})
    html = post(supervisor_client, demo, "participant-transcript-stop", ESCALATION, label=LABEL).content.decode()
    assert "Transcript stopped." in html and "Transcribing</span>" not in html
    assert rosters.load(demo.sid(ESCALATION)).entries[call_sid].transcription is None


def test_a_twilio_error_shows_inline_with_its_code(supervisor_client, demo, seen):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="not_found", operation="CreateRealtimeTranscription", count=1)
    try:
        html = post(supervisor_client, demo, "participant-transcript-start", ESCALATION, label=LABEL).content.decode()
    finally:
        demo.simulator.faults.clear()
    assert "20404" in html and "Transcrib" not in html.split("<td", 1)[0]
    assert AuditRecord.objects.get(action="transcript-start").outcome == "failed"


def test_an_unknown_outcome_says_so_and_stop_still_works(supervisor_client, demo, seen):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, LABEL)
    demo.simulator.faults.inject(kind="error", status=503, operation="CreateRealtimeTranscription", count=1, apply=True)
    try:
        html = post(supervisor_client, demo, "participant-transcript-start", ESCALATION, label=LABEL).content.decode()
    finally:
        demo.simulator.faults.clear()
    assert "20503" in html and "Transcribing?</span>" in html  # it may have started: Twilio will say
    assert AuditRecord.objects.get(action="transcript-start").outcome == "unknown"
    assert len(running(demo, call_sid)) == 1  # it had
    html = post(supervisor_client, demo, "participant-transcript-stop", ESCALATION, label=LABEL).content.decode()
    assert "Transcript stopped." in html and running(demo, call_sid) == []  # stopped by name


def test_nothing_is_sent_when_the_audit_trail_is_unavailable(supervisor_client, demo, seen, audit_writes_refused):
    seen(ESCALATION)

    html = post(supervisor_client, demo, "participant-transcript-start", ESCALATION, label=LABEL).content.decode()
    assert "audit trail is unavailable" in html
    assert upstream(demo.simulator) == []
    assert running(demo, demo.call_sid(ESCALATION, LABEL)) == []


def test_a_whole_conference_at_once(supervisor_client, demo, seen):
    seen(ESCALATION)
    connected = [
        p.call_sid
        for p in demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ESCALATION))
        if p.status == "connected"
    ]
    html = post(supervisor_client, demo, "conference-transcript-start", ESCALATION).content.decode()
    assert f"Transcript started for {len(connected)} participants." in html
    assert [r.operation for r in upstream(demo.simulator)] == ["CreateRealtimeTranscription"] * len(connected)
    assert all(len(running(demo, sid)) == 1 for sid in connected)
    again = post(supervisor_client, demo, "conference-transcript-start", ESCALATION).content.decode()
    assert "Transcript started for 0 participants." in again and upstream(demo.simulator) == []
    html = post(supervisor_client, demo, "conference-transcript-stop", ESCALATION).content.decode()
    assert f"Transcript stopped for {len(connected)} participants." in html
    assert all(running(demo, sid) == [] for sid in connected)
    assert AuditRecord.objects.filter(action="transcript-stop", outcome="ok").count() == len(connected)


def test_the_page_says_real_time_transcription_is_not_pci_compliant(supervisor_client, demo, seen):
    page = seen(ESCALATION).content.decode()
    assert "not PCI compliant" in page and "Transcribe everyone" in page


@pytest.mark.django_db(transaction=True)
def test_lines_arrive_through_the_signed_webhook(supervisor_client, demo, seen, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, LABEL)
    post(supervisor_client, demo, "participant-transcript-start", ESCALATION, label=LABEL)
    demo.simulator.clock.advance(30)
    demo.simulator.tick()
    assert demo.simulator.callbacks.flush(10)
    deliveries = [d for d in demo.simulator.callbacks.deliveries if d.kind == "transcription"]
    assert deliveries and {d.status for d in deliveries} == {204}, {(d.event, d.status) for d in deliveries}
    deadline = time.monotonic() + 5
    while not TranscriptLine.objects.filter(call_sid=call_sid, final=True).exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    finals = list(TranscriptLine.objects.filter(call_sid=call_sid, final=True).values_list("speaker", "text"))
    assert finals and all(speaker == LABEL and text in speech.AGENT_LINES for speaker, text in finals)
    # Partials were replaced in place: one line per utterance, at most one still open.
    assert TranscriptLine.objects.filter(call_sid=call_sid, final=False).count() <= 1
    state = rosters.load(demo.sid(ESCALATION)).entries[call_sid].transcription
    assert state is not None and state.sid.startswith("GT")
