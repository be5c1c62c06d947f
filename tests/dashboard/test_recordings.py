"""Recording controls through the dashboard's real views, checked against the simulator's truth:
the conference header's state, pause (skip or silence) / resume / stop, a participant's call
recording, errors with Twilio's code, unknown outcomes re-read, and the upstream budget."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from conference_admin.live import recordings as live
from conference_admin.live import roster as rosters

from .conftest import BILLING, ESCALATION, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


def conference_recordings(demo, name):
    return demo.simulator.list_conference_recordings(demo.simulator.account_sid, demo.sid(name))


def call_recordings(demo, name, label):
    return demo.simulator.list_call_recordings(demo.simulator.account_sid, demo.call_sid(name, label))


def header(client, demo, name):
    """What the page's header asks once it has loaded (hx-trigger="load")."""
    response = client.get(reverse("conference-recording", args=[demo.sid(name)]), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def post(client, demo, url_name, name, data=None, label=None):
    args = [demo.sid(name)] if label is None else [demo.sid(name), demo.call_sid(name, label)]
    demo.simulator.reset_request_log()
    return client.post(reverse(url_name, args=args), data or {}, **HTMX)


def state_text(html: str) -> str:
    found = re.search(
        r'<span id="recording-status" class="rec-state">(.*?)</span>\s*(?:<form|<details|<p|<span id)', html, re.S
    )
    assert found, html
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- the header's state -------------------------------------------------------------------


def test_page_asks_once_then_reads_the_state_at_most_once_per_interval(supervisor_client, demo, seen):
    page = seen(BILLING).content.decode()
    assert "Checking…" in page and 'hx-trigger="load"' in page  # nothing read yet: the page asks
    html = header(supervisor_client, demo, BILLING)
    assert state_text(html) == "Recording"
    assert [r.operation for r in upstream(demo.simulator)] == ["ListConferenceRecording"]
    demo.simulator.reset_request_log()
    for _ in range(5):  # every viewer, every poll: no more reads within the interval
        header(supervisor_client, demo, BILLING)
        supervisor_client.get(reverse("participant-table", args=[demo.sid(BILLING)]), **HTMX)
    assert "ListConferenceRecording" not in [r.operation for r in upstream(demo.simulator)]
    # Once a page has asked, a poll that reaches the table refreshes it when due (a pause made
    # outside the dashboard shows up).
    demo.simulator.update_conference_recording(
        demo.simulator.account_sid, demo.sid(BILLING), "Twilio.CURRENT", {"Status": "paused"}
    )
    live.forget_read(demo.sid(BILLING))
    rosters.release_reconcile(demo.sid(BILLING))
    version = rosters.current_version(demo.sid(BILLING))
    response = supervisor_client.get(
        reverse("participant-table", args=[demo.sid(BILLING)]), {"version": version}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="recording-state"' in response.content.decode() and "Paused for" in response.content.decode()


def test_unrecorded_conference_says_not_recording_and_why_none_can_start(supervisor_client, demo, seen):
    seen(ESCALATION)
    html = header(supervisor_client, demo, ESCALATION)
    assert state_text(html) == "Not recording"
    assert "Twilio cannot start a conference recording during a call" in html
    assert "Pause" not in html and "Stop recording" not in html


# --- pause, resume, stop -----------------------------------------------------------------


@pytest.mark.parametrize("behavior", ["silence", "skip"])
def test_pause_then_resume(supervisor_client, demo, seen, behavior):
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    version = rosters.current_version(demo.sid(BILLING))
    response = post(supervisor_client, demo, "conference-recording-pause", BILLING, {"pause_behavior": behavior})
    html = response.content.decode()
    assert state_text(html).startswith("Paused for 0:0")
    assert f"({behavior})" in html and "Resume recording" in html
    [recording] = conference_recordings(demo, BILLING)
    assert recording.status == "paused" and recording.pause_behavior == behavior
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateConferenceRecording"]
    assert rosters.current_version(demo.sid(BILLING)) > version  # every page's next poll shows it
    [record] = AuditRecord.objects.filter(action="recording-pause")
    assert record.outcome == "ok" and record.parameters["pause_behavior"] == behavior

    html = post(supervisor_client, demo, "conference-recording-resume", BILLING).content.decode()
    assert state_text(html) == "Recording"
    assert conference_recordings(demo, BILLING)[0].status == "in-progress"
    assert AuditRecord.objects.get(action="recording-resume").outcome == "ok"


def test_pause_without_a_choice_uses_the_configured_default(supervisor_client, demo, seen, settings):
    settings.RECORDING_PAUSE_BEHAVIOR = "skip"
    seen(BILLING)
    html = header(supervisor_client, demo, BILLING)
    buttons = re.findall(r'name="pause_behavior" value="(\w+)"', html)
    assert buttons == ["skip", "silence"]  # the default first
    post(supervisor_client, demo, "conference-recording-pause", BILLING)
    assert conference_recordings(demo, BILLING)[0].pause_behavior == "skip"


def test_stop_ends_the_recording(supervisor_client, demo, seen):
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    html = post(supervisor_client, demo, "conference-recording-stop", BILLING).content.decode()
    assert state_text(html) == "Stopped"
    assert conference_recordings(demo, BILLING)[0].status in live.ENDED  # ended (0 s on the manual clock: absent)
    assert "Pause" not in html.split('id="recording-note"')[0]


class _Confirmations(HTMLParser):
    """The `<details>` around each form posting to `url`: its attributes (`open` when drawn open)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.open_details, self.found = url, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            self.open_details.append(dict(attrs))
        elif tag == "form" and dict(attrs).get("action") == self.url:
            self.found.append(self.open_details[-1] if self.open_details else None)

    def handle_endtag(self, tag):
        if tag == "details" and self.open_details:
            self.open_details.pop()


def stop_confirmations(html: str, conference_sid: str) -> list[dict | None]:
    parser = _Confirmations(reverse("conference-recording-stop", args=[conference_sid]))
    parser.feed(html)
    return parser.found


def test_the_stop_confirmation_is_drawn_closed_wherever_the_header_is_drawn(supervisor_client, demo, seen):
    """Stopping cannot be undone: its confirmation opens only when asked for (its summary
    clicked), never already open, in every answer that draws the recording state."""
    sid = demo.sid(BILLING)
    seen(BILLING)
    drawn = {"header": header(supervisor_client, demo, BILLING)}
    drawn["page"] = supervisor_client.get(reverse("conference-detail", args=[sid])).content.decode()
    drawn["full table"] = supervisor_client.get(reverse("participant-table", args=[sid]), **HTMX).content.decode()
    drawn["after pause"] = post(supervisor_client, demo, "conference-recording-pause", BILLING).content.decode()
    drawn["after resume"] = post(supervisor_client, demo, "conference-recording-resume", BILLING).content.decode()
    for where, html in drawn.items():
        found = stop_confirmations(html, sid)
        assert len(found) == 1, f"{where}: {found}"
        (details,) = found
        assert details is not None, f"{where}: the stop form is not behind a confirmation"
        assert "open" not in details, f"{where}: the stop confirmation is drawn open"
        assert re.search(r"<details[^>]*>\s*<summary[^>]*>Stop recording…</summary>", html), where


def test_pausing_what_is_not_recorded_shows_twilios_code_and_rereads(supervisor_client, demo, seen):
    seen(ESCALATION)
    response = post(supervisor_client, demo, "conference-recording-pause", ESCALATION)
    assert response.status_code == 200
    html = response.content.decode()
    assert "(20404)" in html and "re-read from Twilio" in html
    assert state_text(html) == "Not recording"
    record = AuditRecord.objects.get(action="recording-pause")
    assert (record.outcome, record.error_code) == ("failed", 20404)


def test_a_pause_whose_answer_is_lost_says_unknown_and_rereads(supervisor_client, demo, seen, settings):
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    settings.TWILIO_TOTAL_TIMEOUT = 0.8
    demo.simulator.faults.inject(kind="stall", seconds=2.0, operation="UpdateConferenceRecording", count=1, apply=True)
    try:
        html = post(supervisor_client, demo, "conference-recording-pause", BILLING).content.decode()
    finally:
        demo.simulator.faults.clear()
    assert "the outcome is unknown" in html and "re-read from Twilio" in html
    assert state_text(html).startswith("Paused for")  # the truth: it was applied
    unknown, resolution = AuditRecord.objects.filter(action="recording-pause").order_by("id")
    assert (unknown.outcome, resolution.outcome) == ("unknown", "ok")


# --- a participant's call recording -------------------------------------------------------


def test_call_recording_start_pause_resume_stop_from_the_row(supervisor_client, demo, seen):
    seen(ESCALATION)
    label = "agent:carol"
    call_sid = demo.call_sid(ESCALATION, label)
    html = post(supervisor_client, demo, "participant-recording-start", ESCALATION, label=label).content.decode()
    assert f'id="participant-{call_sid}"' in html and "Rec</span>" in html
    [recording] = call_recordings(demo, ESCALATION, label)
    assert recording.status == "in-progress" and recording.source == "StartCallRecordingAPI"

    html = post(
        supervisor_client, demo, "participant-recording-pause", ESCALATION, {"pause_behavior": "skip"}, label=label
    ).content.decode()
    assert "Rec paused" in html
    assert call_recordings(demo, ESCALATION, label)[0].status == "paused"
    html = post(supervisor_client, demo, "participant-recording-resume", ESCALATION, label=label).content.decode()
    assert "Rec</span>" in html
    html = post(supervisor_client, demo, "participant-recording-stop", ESCALATION, label=label).content.decode()
    assert "Rec stopped" in html
    assert call_recordings(demo, ESCALATION, label)[0].status in live.ENDED  # ended (0 s on the manual clock: absent)
    actions = list(AuditRecord.objects.filter(participant_sid=call_sid).order_by("id").values_list("action", "outcome"))
    assert actions == [
        ("call-recording-start", "ok"),
        ("call-recording-pause", "ok"),
        ("call-recording-resume", "ok"),
        ("call-recording-stop", "ok"),
    ]
    # The row stays small with its recording shown.
    row = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    row = row.split(f'<tr id="participant-{call_sid}"')[1].split("</tr>")[0]
    assert "Rec stopped" in row and len(row.encode()) <= 1536


def test_call_recording_pause_when_none_runs_shows_the_code(supervisor_client, demo, seen):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    html = post(supervisor_client, demo, "participant-recording-pause", ESCALATION, label="agent:carol").content
    assert b"(20404)" in html and f'id="participant-{call_sid}"'.encode() in html
    assert AuditRecord.objects.get(action="call-recording-pause").outcome == "failed"


# --- what each role sees and may do ------------------------------------------------------


@pytest.fixture
def as_role(client, django_user_model, db):
    from conference_admin.access.roles import assign_role

    def make(role):
        user = django_user_model.objects.create_user(role.lower())
        assign_role(user, role)
        client.force_login(user)
        return client

    return make


@pytest.mark.parametrize(
    "role,pause,stop",
    [("Observer", False, False), ("Supervisor", True, False), ("Lead", True, True), ("Admin", True, True)],
)
def test_what_each_role_sees_in_the_header(as_role, demo, role, pause, stop):
    client = as_role(role)
    client.get(reverse("conference-detail", args=[demo.sid(BILLING)]))
    html = header(client, demo, BILLING)
    assert state_text(html) == "Recording"  # everyone sees the state
    assert ('name="pause_behavior"' in html) is pause
    assert ("Stop recording…" in html) is stop


@pytest.mark.parametrize(
    "role,start,pause,stop",
    [("Supervisor", False, True, False), ("Lead", True, True, True)],
)
def test_what_each_role_sees_in_the_row_menu(as_role, demo, role, start, pause, stop):
    client = as_role(role)
    client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)]))
    url = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    idle = client.get(url, {"picker": "more"}, **HTMX).content.decode()
    assert "Call recording: <strong>not recording</strong>" in idle
    assert ("Start call recording" in idle) is start
    live.record_call_recording(
        demo.sid(ESCALATION),
        demo.call_sid(ESCALATION, "agent:carol"),
        live.RecordingState("RE" + "1" * 32, "in-progress"),
    )
    running = client.get(url, {"picker": "more"}, **HTMX).content.decode()
    assert ("Pause call recording" in running) is pause
    assert ("Stop call recording" in running) is stop


def test_supervisor_may_pause_but_not_stop(as_role, demo):
    client = as_role("Supervisor")
    client.get(reverse("conference-detail", args=[demo.sid(BILLING)]))
    assert post(client, demo, "conference-recording-stop", BILLING).status_code == 403
    assert post(client, demo, "participant-recording-start", BILLING, label="agent:alice").status_code == 403
    assert upstream(demo.simulator) == []
    assert post(client, demo, "conference-recording-pause", BILLING).status_code == 200
    assert conference_recordings(demo, BILLING)[0].status == "paused"


# --- alerts: the page and the list agree ---------------------------------------------------


def test_a_long_pause_is_an_alert_on_the_page_and_the_list(supervisor_client, demo, seen, settings):
    settings.RECORDING_ALERT_PAUSED_SECONDS = 300
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    post(supervisor_client, demo, "conference-recording-pause", BILLING)
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(BILLING)])).content.decode()
    assert "Recording paused" not in page  # not yet
    roster = rosters.load(demo.sid(BILLING))
    earlier = roster.recording.since - timedelta(minutes=5, seconds=3)
    state = live.RecordingState(roster.recording.sid, "paused", since=earlier, exact=True)
    live.record_conference_recording(demo.sid(BILLING), state)
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(BILLING)])).content.decode()
    listing = supervisor_client.get(reverse("conference-list")).content.decode()
    alert = "Recording paused 5 min: resume?"
    assert alert in page and alert in listing


# --- what the dashboard creates asks for recording callbacks ------------------------------


def test_a_dial_out_that_records_asks_for_recording_status_callbacks(supervisor_client, demo, settings):
    settings.PUBLIC_BASE_URL = "https://dash.example.com"
    demo.simulator.reset_request_log()
    response = supervisor_client.post(
        reverse("participant-add", args=[demo.sid(ESCALATION)]),
        {"to": "+14155550177", "from_": "+15005550006", "label": "agent:yuri", "record": "on"},
        **HTMX,
    )
    assert response.status_code == 200
    # The new call's identity is fetched in the background (FetchCall), at a time of its own.
    [create] = [r for r in upstream(demo.simulator) if r.method == "POST" and r.path.endswith("/Participants.json")]
    url = f"https://dash.example.com/webhooks/twilio/recording-status?conference={demo.sid(ESCALATION)}"
    assert create.params["RecordingStatusCallback"] == [url]
    assert create.params["RecordingStatusCallbackEvent"] == ["in-progress", "completed", "absent"]
    assert "ConferenceRecordingStatusCallback" not in create.params  # it does not record the conference


def test_a_call_recording_started_from_the_row_asks_for_its_callbacks(supervisor_client, demo, seen, settings):
    settings.PUBLIC_BASE_URL = "https://dash.example.com"
    seen(ESCALATION)
    post(supervisor_client, demo, "participant-recording-start", ESCALATION, label="agent:carol")
    [create] = upstream(demo.simulator)
    assert create.operation == "CreateCallRecording"
    assert create.params["RecordingStatusCallback"] == [
        f"https://dash.example.com/webhooks/twilio/recording-status?conference={demo.sid(ESCALATION)}"
    ]


def test_the_poll_sends_the_header_only_when_the_recording_changed(supervisor_client, demo, seen):
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    sid = demo.sid(BILLING)

    def poll():
        version = rosters.current_version(sid)
        return version, lambda: supervisor_client.get(
            reverse("participant-table", args=[sid]), {"version": version}, **HTMX
        )

    _, after_mute = poll()
    supervisor_client.post(
        reverse("participant", args=[sid, demo.call_sid(BILLING, "agent:alice")]), {"action": "mute"}, **HTMX
    )
    body = after_mute().content.decode()
    assert "chip--muted" in body and 'id="recording-state"' not in body  # an open "Stop…" stays open
    _, after_pause = poll()
    post(supervisor_client, demo, "conference-recording-pause", BILLING)
    body = after_pause().content.decode()
    assert '<section id="recording-state" class="rec rec--paused"' in body and 'hx-swap-oob="true"' in body


def test_ending_the_conference_keeps_the_recording_state_in_the_header(supervisor_client, demo, seen):
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    html = supervisor_client.post(reverse("conference-end", args=[demo.sid(BILLING)]), **HTMX).content.decode()
    assert 'id="recording-state"' in html  # the last poll's out-of-band swap still finds its target
    assert "Pause" not in html.split('id="recording-state"')[1]  # nothing to control once it ended


def test_history_says_what_the_recording_did(supervisor_client, demo, seen):
    from conference_admin.history.models import ConferenceRecord

    seen(BILLING)
    header(supervisor_client, demo, BILLING)  # the recording list is read: "recorded"
    sid = demo.sid(BILLING)
    assert ConferenceRecord.objects.get(sid=sid).recording_state == "recorded"
    post(supervisor_client, demo, "conference-recording-pause", BILLING)
    post(supervisor_client, demo, "conference-recording-resume", BILLING)
    post(supervisor_client, demo, "conference-recording-stop", BILLING)
    assert ConferenceRecord.objects.get(sid=sid).recording_state == "recorded, paused at times, stopped early"
    report = supervisor_client.get(reverse("history-report", args=[sid])).content.decode()
    assert "recorded, paused at times, stopped early" in report
    seen(ESCALATION)
    header(supervisor_client, demo, ESCALATION)  # never recorded: history keeps saying so
    assert not ConferenceRecord.objects.filter(sid=demo.sid(ESCALATION)).exclude(recording_state="").exists()


def test_an_unknown_pause_behaviour_is_refused_with_a_reason_and_nothing_is_sent(supervisor_client, demo, seen):
    seen(BILLING)
    header(supervisor_client, demo, BILLING)
    html = post(supervisor_client, demo, "conference-recording-pause", BILLING, {"pause_behavior": "mute"})
    html = html.content.decode()
    assert "A pause either skips or leaves silence (silence or skip): nothing was changed." in html
    assert state_text(html) == "Recording"
    assert upstream(demo.simulator) == []
    assert conference_recordings(demo, BILLING)[0].status == "in-progress"
    assert not AuditRecord.objects.filter(action="recording-pause").exists()
