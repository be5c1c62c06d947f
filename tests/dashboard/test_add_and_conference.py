"""Add participant (create) and the conference-level actions (announce to all, end)."""

from __future__ import annotations

import json
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, assign_role

from .conftest import ESCALATION, SALES, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


def add(client, demo, conference, data, **extra):
    demo.simulator.reset_request_log()
    return client.post(reverse("participant-add", args=[demo.sid(conference)]), data, **{**HTMX, **extra})


# A dial-out as the form sends it, two boxes ticked as Twilio's defaults have them.
ZOE = {
    "to": "+14155550199",
    "from_": "+15005550006",
    "label": "agent:zoe",
    "early_media": "on",
    "start_conference_on_enter": "on",
}


def test_add_participant_creates_and_returns_the_new_row(supervisor_client, demo, seen):
    seen(SALES)
    response = add(supervisor_client, demo, SALES, ZOE)

    assert response.status_code == 200
    log = upstream(demo.simulator)
    assert [(r.method, r.operation) for r in log] == [("POST", "CreateParticipant")]
    assert log[0].path.endswith(f"/Conferences/{demo.sid(SALES)}/Participants.json")
    # Checkboxes left at Twilio's defaults are not sent.
    assert dict(log[0].params) == {"From": ["+15005550006"], "To": ["+14155550199"], "Label": ["agent:zoe"]}
    zoe = demo.participant(SALES, "agent:zoe")
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="participant-{zoe.call_sid}"')
    assert "Queued" in html and "Cancel call…" in html
    trigger = json.loads(response["HX-Trigger"])
    assert "participant-added" in trigger
    assert trigger["dashboard:announce"]["message"] == "Dialling agent:zoe."


def test_add_participant_sends_common_and_advanced_options(supervisor_client, demo, seen):
    seen(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    data = {
        "to": "client:zoe",
        "from_": "client:supervisor",
        "label": "coach:zoe",
        "muted": "on",
        "coaching": "on",
        "call_sid_to_coach": carol,
        "timeout": "30",
        "beep": "onExit",
        "end_conference_on_exit": "on",
        "record": "on",
        # early_media and start_conference_on_enter unticked: sent as false (Twilio's default is true)
        "caller_id": "client:desk",
        "caller_display_name": "Support desk",
        "call_reason": "Escalation follow-up",
        "time_limit": "3600",
        "jitter_buffer_size": "small",
        "byoc": "BY" + "ab" * 16,
        "call_token": "tok",
        "sip_auth_username": "u",
        "sip_auth_password": "p",
        "status_callback": "https://hooks.example.com/status",
        "status_callback_method": "POST",
        "status_callback_event": ["initiated", "answered"],
        "client_notification_url": "https://hooks.example.com/notify",
        "wait_url": "https://music.example.com/wait.xml",
        "wait_method": "GET",
        "max_participants": "10",
        "region": "ie1",
        "conference_record": "record-from-start",
        "conference_trim": "do-not-trim",
        "conference_status_callback": "https://hooks.example.com/conf",
        "conference_status_callback_method": "GET",
        "conference_status_callback_event": ["start", "end", "join"],
        "conference_recording_status_callback": "https://hooks.example.com/crec",
        "conference_recording_status_callback_method": "POST",
        "conference_recording_status_callback_event": ["completed"],
        "recording_channels": "dual",
        "recording_track": "inbound",
        "trim": "trim-silence",
        "recording_status_callback": "https://hooks.example.com/rec",
        "recording_status_callback_method": "GET",
        "recording_status_callback_event": ["completed", "failed"],
        "machine_detection": "Enable",
        "machine_detection_timeout": "30",
        "machine_detection_speech_threshold": "2400",
        "machine_detection_speech_end_threshold": "1200",
        "machine_detection_silence_timeout": "5000",
        "amd_status_callback": "https://hooks.example.com/amd",
        "amd_status_callback_method": "POST",
    }
    response = add(supervisor_client, demo, ESCALATION, data)
    assert response.status_code == 200, response.content.decode()[:500]
    [request] = upstream(demo.simulator)
    params = dict(request.params)
    assert params["Muted"] == ["true"] and params["Coaching"] == ["true"] and params["CallSidToCoach"] == [carol]
    assert params["EarlyMedia"] == ["false"] and params["StartConferenceOnEnter"] == ["false"]
    assert params["EndConferenceOnExit"] == ["true"] and params["Record"] == ["true"]
    assert params["StatusCallbackEvent"] == ["initiated", "answered"]
    assert params["ConferenceStatusCallbackEvent"] == ["start", "end", "join"]
    assert params["RecordingStatusCallbackEvent"] == ["completed", "failed"]
    assert params["MachineDetectionSpeechThreshold"] == ["2400"]
    assert params["Byoc"] == ["BY" + "ab" * 16] and params["Region"] == ["ie1"]
    assert params["ClientNotificationUrl"] == ["https://hooks.example.com/notify"]
    assert params["CallerDisplayName"] == ["Support desk"]
    sent = {key for key in params}
    from conference_admin.twilio.params import CreateParticipantParams, wire_name

    every = {wire_name(name) for name in CreateParticipantParams.__annotations__} | {"From", "To"}
    assert sent == every  # every create parameter is reachable from the form


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"to": "4155550100"}, "to", "E.164"),
        ({"to": "+0155550100"}, "to", "E.164"),
        ({"to": "sip:nobody"}, "to", "E.164"),
        ({"to": "+14155550100", "from_": "client:bob"}, "from_", "needs a phone number"),
        ({"to": "client:bob", "from_": "not a number"}, "from_", "client:name"),
        ({"timeout": "4"}, "timeout", "greater than or equal to 5"),
        ({"timeout": "601"}, "timeout", "less than or equal to 600"),
        ({"max_participants": "1"}, "max_participants", "greater than or equal to 2"),
        ({"max_participants": "251"}, "max_participants", "less than or equal to 250"),
        ({"machine_detection_speech_threshold": "999"}, "machine_detection_speech_threshold", "1000"),
        ({"machine_detection_speech_end_threshold": "5001"}, "machine_detection_speech_end_threshold", "5000"),
        ({"machine_detection_silence_timeout": "1999"}, "machine_detection_silence_timeout", "2000"),
        ({"machine_detection_timeout": "60"}, "machine_detection_timeout", "59"),
        ({"coaching": "on"}, "call_sid_to_coach", "Choose whom the new participant coaches."),
        ({"coaching": "on", "call_sid_to_coach": "CA1"}, "call_sid_to_coach", "CA followed by 32 hex"),
        ({"byoc": "BY123"}, "byoc", "BY followed by 32 hex"),
        ({"status_callback": "ftp://x.example.com"}, "status_callback", "http:// or https://"),
        ({"region": "mars1"}, "region", "Select a valid choice"),
        ({"beep": "loud"}, "beep", "Select a valid choice"),
        ({"status_callback_event": ["exploded"]}, "status_callback_event", "Select a valid choice"),
        ({"label": "a/b"}, "label", "cannot contain '/'"),
        ({"label": "CA" + "f" * 32}, "label", "look like a call SID"),
        ({"to": ""}, "to", "This field is required."),
    ],
)
def test_add_participant_bad_input_shows_field_errors_and_sends_nothing(supervisor_client, demo, data, field, message):
    base = {"to": "+14155550199", "from_": "+15005550006", "early_media": "on", "start_conference_on_enter": "on"}
    response = add(supervisor_client, demo, SALES, {**base, **data})

    assert response.status_code == 200
    assert upstream(demo.simulator) == []
    assert response["HX-Retarget"] == "#add-participant"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert f'<span class="field-error" id="id_{field}_error">' in html
    error = unescape(html.split(f'id="id_{field}_error">')[1].split("</span></span>")[0])
    assert message in error
    assert 'aria-invalid="true"' in html


def test_add_participant_twilio_error_is_shown_on_the_form(supervisor_client, demo):
    response = add(
        supervisor_client,
        demo,
        SALES,
        {
            "to": "+14155550199",
            "from_": "+15005550006",
            "label": "agent:bob",  # label in use
            "early_media": "on",
            "start_conference_on_enter": "on",
        },
    )
    assert response.status_code == 200
    assert [r.status for r in upstream(demo.simulator)] == [400]
    assert response["HX-Retarget"] == "#add-participant"
    assert "(16026)" in response.content.decode()


def test_add_participant_plain_post_redirects(supervisor_client, demo):
    response = supervisor_client.post(
        reverse("participant-add", args=[demo.sid(SALES)]),
        {
            "to": "+14155550199",
            "from_": "+15005550006",
            "label": "agent:yan",
            "early_media": "on",
            "start_conference_on_enter": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("conference-detail", args=[demo.sid(SALES)])
    assert "Dialling agent:yan." in response.content.decode()
    assert demo.participant(SALES, "agent:yan").status in ("queued", "connecting", "ringing", "connected")


def test_fresh_add_form_after_success_makes_no_upstream_call(supervisor_client, demo):
    response = supervisor_client.get(reverse("participant-add", args=[demo.sid(SALES)]), **HTMX)
    assert response.status_code == 200
    assert '<section id="add-participant"' in response.content.decode()
    assert upstream(demo.simulator) == []


def test_new_participant_moves_from_queued_to_connected(supervisor_client, demo, settings):
    settings.ROSTER_POLL_INTERVAL_SECONDS = 0  # reconcile on every refresh: the clock is the simulator's
    add(supervisor_client, demo, SALES, ZOE)
    zoe = demo.participant(SALES, "agent:zoe")
    table = reverse("participant-table", args=[demo.sid(SALES)])

    def chip() -> str:
        html = supervisor_client.get(table, **HTMX).content.decode()
        row = html.split(f'<tr id="participant-{zoe.call_sid}"')[1].split("</tr>")[0]
        return row.split('class="chip chip--')[1].split()[0]

    assert chip() == "queued"
    demo.simulator.clock.advance(demo.simulator.timings.ring_after)
    assert chip() == "ringing"
    demo.simulator.clock.advance(demo.simulator.timings.answer_after)
    assert chip() == "connected"


# --- conference actions ----------------------------------------------------------------


def test_end_conference(supervisor_client, demo):
    response = supervisor_client.post(reverse("conference-end", args=[demo.sid(SALES)]), **HTMX)
    assert response.status_code == 200
    [request] = upstream(demo.simulator)
    assert (request.method, request.operation, dict(request.params)) == (
        "POST",
        "UpdateConference",
        {"Status": ["completed"]},
    )
    assert request.path.endswith(f"/Conferences/{demo.sid(SALES)}.json")
    html = response.content.decode()
    assert html.lstrip().startswith('<header id="conference-header"')
    assert "Ended" in html and "End conference…" not in html
    assert "conference-ended" in json.loads(response["HX-Trigger"])
    assert demo.simulator.fetch_conference(demo.simulator.account_sid, demo.sid(SALES)).status == "completed"


def test_announce_to_everyone(supervisor_client, demo):
    announcement = settings.DASHBOARD_ANNOUNCEMENTS[1]
    response = supervisor_client.post(
        reverse("conference-announce", args=[demo.sid(SALES)]), {"choice": announcement["url"]}, **HTMX
    )
    [request] = upstream(demo.simulator)
    assert dict(request.params) == {"AnnounceUrl": [announcement["url"]], "AnnounceMethod": [announcement["method"]]}
    assert response["HX-Retarget"] == "#conference-note"
    assert "Announcement sent to everyone." in response.content.decode()
    conference = demo.simulator.fetch_conference(demo.simulator.account_sid, demo.sid(SALES))
    assert conference.announcements[-1].url == announcement["url"]


def test_announce_to_everyone_bad_url(supervisor_client, demo):
    response = supervisor_client.post(
        reverse("conference-announce", args=[demo.sid(SALES)]), {"custom_url": "file:///etc/passwd"}, **HTMX
    )
    assert upstream(demo.simulator) == []
    assert response["HX-Retarget"] == "#conference-announce-error"
    assert "http:// or https:// URL" in response.content.decode()


def test_end_conference_plain_post_and_the_ended_page(supervisor_client, demo):
    response = supervisor_client.post(reverse("conference-end", args=[demo.sid(SALES)]), follow=True)
    html = response.content.decode()
    assert "Ended Sales: renewal." in html
    assert "This conference has ended." in html
    assert "Add participant" not in html


def test_the_dial_out_form_comes_after_the_page_and_opens_on_its_own_page_without_javascript(supervisor_client, demo):
    sid = demo.sid(ESCALATION)
    add_url = reverse("participant-add", args=[sid])
    page = supervisor_client.get(reverse("conference-detail", args=[sid])).content.decode()
    # The page carries the place for the form and a link to it, not the form's fields.
    assert 'id="add-participant"' in page and f'hx-get="{add_url}"' in page and f'href="{add_url}"' in page
    assert 'name="to"' not in page and 'id="caller-ids"' not in page
    # htmx fetches the section (the form, the room's names to coach) once the page is up.
    section = supervisor_client.get(add_url, **HTMX).content.decode()
    assert section.lstrip().startswith('<section id="add-participant"')
    assert 'name="to"' in section and "agent:carol" in section and "<html" not in section
    # Without JavaScript the link opens the same form on a page of its own.
    own_page = supervisor_client.get(add_url)
    assert own_page.status_code == 200
    html = own_page.content.decode()
    assert "<html" in html and 'name="to"' in html and 'name="csrfmiddlewaretoken"' in html


def test_an_observer_gets_no_dial_out_form(client, django_user_model, demo):
    observer = django_user_model.objects.create_user("observer")
    assign_role(observer, OBSERVER)
    client.force_login(observer)
    observer_client = client
    sid = demo.sid(ESCALATION)
    page = observer_client.get(reverse("conference-detail", args=[sid])).content.decode()
    assert 'id="add-participant"' not in page
    assert observer_client.get(reverse("participant-add", args=[sid])).status_code == 403
