"""Every kind of participant row stays within 1,536 bytes, everything included: each kind is made
through the dashboard's real paths (actions, callbacks, marks) against the simulator and measured
on the conference page as a supervisor (a Lead: every control) receives it."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from conference_admin.live import phrases, transcripts
from conference_admin.live import roster as rosters
from conference_admin.live.models import PhraseRule
from conference_admin.live.roster import transitions

from .conftest import BILLING, ESCALATION, HUDDLE, ONBOARDING, SALES

HTMX = {"HTTP_HX_REQUEST": "true"}
SIDE_ROOM = "Side room 9"
HELD = "customer:+14155550199"
EVERYTHING = "held, muted, identified, recorded, transcribed, alerted, in flight"
ROW_BUDGET = 1536  # bytes of one rendered row, everything included


def rows_of(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<tr id="participant-(CA\w+)".*?</tr>', html, re.S)}


def act(client, url_name: str, *args: str, **data: str) -> None:
    response = client.post(reverse(url_name, args=args), data, **HTMX)
    assert response.status_code == 200, response.content


def said(conference_sid: str, call_sid: str, label: str, text: str) -> None:
    running = rosters.load(conference_sid).entries[call_sid].transcription
    transcripts.receive_transcription_callback(
        {
            "CallSid": call_sid,
            "TranscriptionSid": running.sid if running is not None and running.sid else "GT" + "5a" * 16,
            "Timestamp": "2026-12-07T12:00:02.000000Z",
            "SequenceId": "2",
            "TranscriptionEvent": "transcription-content",
            "Track": "inbound_track",
            "Final": "true",
            "TranscriptionData": json.dumps({"transcript": text, "confidence": 0.9}),
        },
        conference_sid,
        label,
    )


def room_sid(demo, name: str) -> str:
    sim = demo.simulator
    return next(
        c.sid for c in sim.list_conferences(sim.account_sid) if c.friendly_name == name and c.status != "completed"
    )


@pytest.fixture
def every_kind(supervisor_client, demo, seen, settings, call_identity):
    """{kind: (conference, label)} with each kind made through the real paths."""
    settings.PUBLIC_BASE_URL = "https://dash.example.com"
    phrases.forget_rules()
    PhraseRule.objects.create(name="Churn", phrases="cancel my account", severity="critical")
    for name in (ESCALATION, BILLING, SALES, ONBOARDING, HUDDLE):
        seen(name)
    sid, call = demo.sid, demo.call_sid

    # A call recording and a live transcript, each from its row.
    act(supervisor_client, "participant-recording-start", sid(BILLING), call(BILLING, "customer:+14155550101"))
    act(supervisor_client, "participant-transcript-start", sid(SALES), call(SALES, "agent:bob"))
    # A watched phrase said: the row's alert (its one-click listen-in is beside the status line's).
    customer = call(ESCALATION, "customer:+14155550103")
    said(sid(ESCALATION), customer, "customer:+14155550103", "I want to cancel my account now.")
    # Another supervisor's action in flight.
    rosters.begin(sid(ONBOARDING), call(ONBOARDING, "agent:erin"), actor="kim", action="hold")
    # Speaking, as Twilio's callback says it.
    transitions.participant_speaking(
        sid(ONBOARDING), call_sid=call(ONBOARDING, "customer:Northwind IT"), sequence=None, speaking=True, fields={}
    )
    # Moved here from another room (with "Bring back").
    act(
        supervisor_client,
        "participant",
        sid(HUDDLE),
        call(HUDDLE, "agent:grace"),
        action="move",
        move_new_room=SIDE_ROOM,
        move_arrive="open",
    )
    # A caller who joins and is put on hold (reported by Twilio: the next reconcile).
    demo.simulator.join(sid(ESCALATION), label=HELD, from_="+14155550199", account_sid=demo.simulator.account_sid)
    demo.simulator.update_participant(demo.simulator.account_sid, sid(ESCALATION), HELD, {"Hold": "true"})
    rosters.release_reconcile(sid(ESCALATION))
    # Everything at once on one held customer: the longest row a supervisor can get.
    dana = call(SALES, "customer:Dana Whitfield")
    act(supervisor_client, "participant", sid(SALES), dana, action="mute")
    act(supervisor_client, "participant-recording-start", sid(SALES), dana)
    act(supervisor_client, "participant-transcript-start", sid(SALES), dana)
    said(sid(SALES), dana, "customer:Dana Whitfield", "Please cancel my account today.")
    rosters.begin(sid(SALES), dana, actor="kim", action="resume")
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 0  # and the hold alert
    # Who is on each call (number, direction, caller name), fetched as in the background.
    supervisor_client.get(reverse("conference-detail", args=[room_sid(demo, SIDE_ROOM)]))
    call_identity.run()
    return {
        "plain": (ESCALATION, "agent:carol"),
        "muted": (ESCALATION, "agent:dave"),
        "ringing": (ESCALATION, "customer:Acme on-call"),
        "phrase alert": (ESCALATION, "customer:+14155550103"),
        "held, with its hold alert": (ESCALATION, HELD),
        "safe hold": (BILLING, "agent:alice"),
        "coach": (BILLING, "supervisor:sam"),
        "recording": (BILLING, "customer:+14155550101"),
        "transcribing": (SALES, "agent:bob"),
        EVERYTHING: (SALES, "customer:Dana Whitfield"),
        "in flight": (ONBOARDING, "agent:erin"),
        "speaking": (ONBOARDING, "customer:Northwind IT"),
        "no label": (ONBOARDING, None),
        "moved here": (SIDE_ROOM, "agent:grace"),
        "waiting to start": (HUDDLE, "agent:frank"),
    }


def test_every_kind_of_row_is_within_the_byte_budget(supervisor_client, demo, every_kind):
    sim = demo.simulator
    shown, sizes = {}, {}
    for kind, (conference, label) in every_kind.items():
        sid = room_sid(demo, conference)
        call_sid = next(p.call_sid for p in sim.list_participants(sim.account_sid, sid) if p.label == label)
        response = supervisor_client.get(reverse("conference-detail", args=[sid]))
        shown[kind] = rows_of(response.content.decode())[call_sid]
        sizes[kind] = len(shown[kind].encode())
    # Each kind really is what its name says.
    # The safe hold's choice is a picker loaded when opened, not markup carried by the row.
    assert 'data-picker="hold"><summary>Hold…</summary>' in shown["safe hold"]
    assert "Ends conference on exit" in shown["safe hold"] and "Clear end-on-exit" not in shown["safe hold"]
    assert "chip--held" in shown["held, with its hold alert"] and "on hold" in shown["held, with its hold alert"]
    assert "chip--coach" in shown["coach"] and "chip--muted" in shown["muted"]
    assert "Ringing" in shown["ringing"] and "row-warning" in shown["phrase alert"]
    assert "Rec</span>" in shown["recording"] and "Transcribing</span>" in shown["transcribing"]
    assert "hold by kim, in flight" in shown["in flight"] and "Speaking</span>" in shown["speaking"]
    assert "Moved here from" in shown["moved here"] and "Bring back" in shown["moved here"]
    everything = shown[EVERYTHING]
    parts = ("chip--held", "chip--muted", "WHITFIELD DANA", "Rec</span>", "Transcribing", "in flight", "row-warning")
    for part in parts:
        assert part in everything, part
    print("row bytes:", json.dumps(sizes))  # pytest -s: the figures docs/PERFORMANCE.md quotes
    combined = sizes.pop(EVERYTHING)
    assert max(sizes.values()) <= ROW_BUDGET, sizes
    # Every flag and alert at once on one row is past the budget, but by its flags' text only:
    # no picker, form or button markup inline.
    assert combined <= ROW_BUDGET + 512, combined
