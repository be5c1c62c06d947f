"""Row actions: one POST, ONE upstream call, the row re-rendered from what Twilio returned."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve, reverse

from conference_admin.live import roster as rosters
from conference_admin.simulator.errors import SimulatorError
from conference_admin.twilio import TwilioClient, TwilioTimeout

from .conftest import BILLING, ESCALATION, HUDDLE, SALES, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}
DEFAULT_HOLD = settings.DASHBOARD_HOLD_MUSIC[0]


def participant_url(demo, conference: str, label: str) -> str:
    """A participant action's one URL: the participant's, the action named in the POST's body."""
    return reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])


def post_action(client, demo, conference, label, action, data=None, **extra):
    url = participant_url(demo, conference, label)
    demo.simulator.reset_request_log()
    return client.post(url, {"action": action, **(data or {})}, **{**HTMX, **extra})


def the_one_request(demo, conference, label):
    """The single upstream request of an action, checked to be that participant's update."""
    log = upstream(demo.simulator)
    assert len(log) == 1, [(r.method, r.path) for r in log]
    request = log[0]
    call_sid = demo.call_sid(conference, label) if request.method != "DELETE" else None
    if call_sid:
        assert request.path.endswith(f"/Conferences/{demo.sid(conference)}/Participants/{call_sid}.json")
    return request


def announced(response) -> str:
    return json.loads(response["HX-Trigger"])["dashboard:announce"]["message"]


@pytest.mark.parametrize(
    ("conference", "label", "action", "data", "params", "check"),
    [
        (ESCALATION, "agent:carol", "mute", {}, {"Muted": ["true"]}, lambda p: p.muted is True),
        (ESCALATION, "agent:dave", "unmute", {}, {"Muted": ["false"]}, lambda p: p.muted is False),
        (
            ESCALATION,
            "agent:carol",
            "hold",
            {},
            {"Hold": ["true"], "HoldUrl": [DEFAULT_HOLD["url"]], "HoldMethod": [DEFAULT_HOLD["method"]]},
            lambda p: p.hold is True,
        ),
        (
            ESCALATION,
            "agent:carol",
            "hold",
            {"hold_url": settings.DASHBOARD_HOLD_MUSIC[1]["url"], "hold_method": "POST"},
            {"Hold": ["true"], "HoldUrl": [settings.DASHBOARD_HOLD_MUSIC[1]["url"]], "HoldMethod": ["POST"]},
            lambda p: p.hold is True and p.hold_method == "POST",
        ),
        (SALES, "customer:Dana Whitfield", "resume", {}, {"Hold": ["false"]}, lambda p: p.hold is False),
        (BILLING, "supervisor:sam", "stop-coaching", {}, {"Coaching": ["false"]}, lambda p: p.coaching is False),
        (
            ESCALATION,
            "agent:carol",
            "announce",
            {"choice": settings.DASHBOARD_ANNOUNCEMENTS[0]["url"]},
            {
                "AnnounceUrl": [settings.DASHBOARD_ANNOUNCEMENTS[0]["url"]],
                "AnnounceMethod": [settings.DASHBOARD_ANNOUNCEMENTS[0]["method"]],
            },
            lambda p: p.announcements[-1].url == settings.DASHBOARD_ANNOUNCEMENTS[0]["url"],
        ),
        (
            ESCALATION,
            "agent:carol",
            "announce",
            {
                "choice": settings.DASHBOARD_ANNOUNCEMENTS[0]["url"],
                "custom_url": "https://example.com/a.xml",
                "method": "GET",
            },
            {"AnnounceUrl": ["https://example.com/a.xml"], "AnnounceMethod": ["GET"]},
            lambda p: p.announcements[-1].url == "https://example.com/a.xml",
        ),
        (
            ESCALATION,
            "agent:carol",
            "end-on-exit",
            {"end_conference_on_exit": "true"},
            {"EndConferenceOnExit": ["true"]},
            lambda p: p.end_conference_on_exit is True,
        ),
        (
            BILLING,
            "agent:alice",
            "end-on-exit",
            {"end_conference_on_exit": "false"},
            {"EndConferenceOnExit": ["false"]},
            lambda p: p.end_conference_on_exit is False,
        ),
        (
            ESCALATION,
            "agent:carol",
            "beep-on-exit",
            {"beep_on_exit": "false"},
            {"BeepOnExit": ["false"]},
            lambda p: p.beep_on_exit is False,
        ),
        (
            HUDDLE,
            "agent:frank",
            "wait-music",
            {"choice": settings.DASHBOARD_WAIT_MUSIC[0]["url"]},
            {
                "WaitUrl": [settings.DASHBOARD_WAIT_MUSIC[0]["url"]],
                "WaitMethod": [settings.DASHBOARD_WAIT_MUSIC[0]["method"]],
            },
            lambda p: p.wait_url == settings.DASHBOARD_WAIT_MUSIC[0]["url"],
        ),
        (
            HUDDLE,
            "agent:frank",
            "wait-music",
            {"custom_url": "http://music.example.com/wait.mp3", "method": "GET"},
            {"WaitUrl": ["http://music.example.com/wait.mp3"], "WaitMethod": ["GET"]},
            lambda p: p.wait_url == "http://music.example.com/wait.mp3" and p.wait_method == "GET",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_row_action_sends_one_update_and_renders_the_returned_row(
    supervisor_client, demo, seen, conference, label, action, data, params, check
):
    seen(conference)
    response = post_action(supervisor_client, demo, conference, label, action, data)

    assert response.status_code == 200
    request = the_one_request(demo, conference, label)
    assert (request.method, request.operation, dict(request.params)) == ("POST", "UpdateParticipant", params)
    assert check(demo.participant(conference, label))
    html = response.content.decode()
    call_sid = demo.call_sid(conference, label)
    assert html.lstrip().startswith(f'<tr id="participant-{call_sid}"')
    assert html.count("<tr") == 1
    assert label in announced(response)


def test_mute_row_shows_muted_chip_and_unmute_button(supervisor_client, demo, seen):
    page = seen(ESCALATION).content.decode()
    carol = demo.call_sid(ESCALATION, "agent:carol")
    before = int(re.search(rf'id="participant-{carol}"[^>]*data-row-version="(\d+)"', page).group(1))
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "mute")
    html = response.content.decode()
    # The answer carries a newer row version, so a slower, older refresh cannot undo it on screen.
    assert int(re.search(r'data-row-version="(\d+)"', html).group(1)) > before
    assert '<span class="chip chip--muted">Muted</span>' in html
    assert 'aria-label="Unmute agent:carol"' in html
    assert 'aria-label="Mute agent:carol"' not in html


def test_hold_row_shows_hold_time_recorded_by_the_dashboard(supervisor_client, demo, seen):
    seen(ESCALATION)
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "hold")
    html = response.content.decode()
    assert "chip--held" in html and "Held" in html and "0:00" in html
    assert 'aria-label="Resume agent:carol"' in html
    carol = demo.call_sid(ESCALATION, "agent:carol")
    entry = rosters.load(demo.sid(ESCALATION)).entries[carol]
    assert entry.hold_since is not None and entry.hold_start_exact

    resume = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "resume")
    assert "chip--held" not in resume.content.decode()
    assert rosters.load(demo.sid(ESCALATION)).entries[carol].hold_since is None


def test_coach_sends_target_and_row_names_the_coached_participant(supervisor_client, demo, seen):
    seen(ESCALATION)
    target = demo.call_sid(ESCALATION, "customer:+14155550103")
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "coach", {"call_sid_to_coach": target})

    request = the_one_request(demo, ESCALATION, "agent:carol")
    assert dict(request.params) == {"Coaching": ["true"], "CallSidToCoach": [target]}
    carol = demo.participant(ESCALATION, "agent:carol")
    assert carol.coaching and carol.call_sid_to_coach == target
    html = response.content.decode()
    assert '<span class="coach-target">customer:+14155550103</span>' in html
    assert 'aria-label="Stop coaching: agent:carol"' in html
    assert announced(response) == "agent:carol now coaches customer:+14155550103."


def picker(client, demo, conference, label, name):
    """What a row's picker shows once opened (it loads then)."""
    url = reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])
    return client.get(url, {"picker": name}, **HTMX).content.decode()


def test_coach_picker_lists_the_other_participants_when_it_opens(supervisor_client, demo, seen):
    html = seen(ESCALATION).content.decode()
    carol = demo.call_sid(ESCALATION, "agent:carol")
    dave = demo.call_sid(ESCALATION, "agent:dave")
    picker_html = html.split(f'id="participant-{carol}"')[1].split('data-picker="coach"')[1].split("</details>")[0]
    assert dave not in picker_html  # loaded on open: a row's size does not grow with the conference
    options = picker(supervisor_client, demo, ESCALATION, "agent:carol", "coach")
    assert f'<option value="{dave}">agent:dave</option>' in options
    assert f'value="{carol}"' not in options
    assert upstream(demo.simulator) == []  # from the shared roster


def test_beep_on_exit_is_not_set_until_the_dashboard_sets_it(supervisor_client, demo, seen):
    seen(ESCALATION)
    page = picker(supervisor_client, demo, ESCALATION, "agent:carol", "more")  # the row's More… picker
    assert "Beep on exit: <strong>not set</strong>" in page
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "beep-on-exit", {"beep_on_exit": "true"})
    assert response.status_code == 200
    assert "Beep on exit: <strong>on</strong>" in picker(supervisor_client, demo, ESCALATION, "agent:carol", "more")
    # Twilio does not report it; after the table refresh the row still shows what the dashboard set.
    rosters.release_reconcile(demo.sid(ESCALATION))  # the refresh reads Twilio again
    supervisor_client.get(reverse("participant-table", args=[demo.sid(ESCALATION)]), **HTMX)
    carol_row = picker(supervisor_client, demo, ESCALATION, "agent:carol", "more")
    assert "Beep on exit: <strong>on</strong>" in carol_row


def test_kick_deletes_and_removes_the_row(supervisor_client, demo, seen):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "kick")

    log = upstream(demo.simulator)
    assert [(r.method, r.operation) for r in log] == [("DELETE", "DeleteParticipant")]
    assert log[0].path.endswith(f"/Participants/{call_sid}.json")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<tr id="participant-{call_sid}" class="row row--gone"' in html  # the next refresh removes it
    assert "Removed agent:carol from the conference." in html
    assert announced(response) == "Removed agent:carol from the conference."
    assert call_sid not in rosters.load(demo.sid(ESCALATION)).entries
    with pytest.raises(SimulatorError) as gone:
        demo.participant(ESCALATION, "agent:carol")
    assert gone.value.status == 404


def test_cancel_a_ringing_participant(supervisor_client, demo, seen):
    page = seen(ESCALATION).content.decode()
    assert "Cancel call…" in page
    response = post_action(supervisor_client, demo, ESCALATION, "customer:Acme on-call", "kick")
    assert "row--gone" in response.content.decode()
    assert [r.operation for r in upstream(demo.simulator)] == ["DeleteParticipant"]


# --- bad input: a clear message and no upstream call ------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "slot", "message"),
    [
        ("coach", {}, "coach-error", "Choose whom to coach."),
        ("coach", {"call_sid_to_coach": "CA123"}, "coach-error", "CA followed by 32 hex digits"),
        ("coach", {"call_sid_to_coach": "XX" + "0" * 32}, "coach-error", "CA followed by 32 hex digits"),
        ("announce", {}, "announce-error", "Choose one from the list or type an http(s) URL."),
        ("announce", {"custom_url": "ftp://example.com/a.mp3"}, "announce-error", "http:// or https:// URL"),
        ("announce", {"custom_url": "example.com/a.mp3"}, "announce-error", "http:// or https:// URL"),
        ("announce", {"choice": "https://not-configured.example.com/"}, "announce-error", "Select a valid choice"),
        (
            "announce",
            {"custom_url": "https://example.com/a.xml", "method": "PUT"},
            "announce-error",
            "Select a valid choice",
        ),
        ("hold", {"hold_url": "https://evil.example.com/x.mp3"}, "hold-error", "Select a valid choice"),
        ("wait-music", {"custom_url": "javascript:alert(1)"}, "wait-music-error", "http:// or https:// URL"),
        ("end-on-exit", {"end_conference_on_exit": "maybe"}, "note", "Select a valid choice"),
        ("beep-on-exit", {}, "note", "This field is required."),
    ],
)
def test_bad_input_is_reported_next_to_the_field_without_calling_twilio(
    supervisor_client, demo, seen, action, data, slot, message
):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", action, data)

    assert response.status_code == 200
    assert upstream(demo.simulator) == []
    assert response["HX-Retarget"] == f"#{slot}-{call_sid}"
    assert response["HX-Reswap"] == "innerHTML"
    assert message in response.content.decode()


def test_coach_cannot_coach_themselves(supervisor_client, demo, seen):
    seen(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "coach", {"call_sid_to_coach": carol})
    assert "cannot coach themselves" in response.content.decode()
    assert upstream(demo.simulator) == []


@pytest.mark.parametrize(
    "path,action",
    [
        ("/conferences/CFnothex{}/participants/CA{}/".format("0" * 26, "0" * 32), "mute"),
        ("/conferences/CF{}/participants/CA123/".format("0" * 32), "mute"),
        ("/conferences/CF{}/participants/CA{}/".format("a" * 32, "b" * 32), "launch-missiles"),
        ("/conferences/XX{}/".format("0" * 32), None),
        ("/conferences/CF{}/participants/".format("0" * 31), None),
    ],
)
def test_malformed_path_is_404_without_upstream_call(supervisor_client, demo, path, action):
    if action:
        response = supervisor_client.post(path, {"action": action}, **HTMX)
    else:
        response = supervisor_client.get(path, **HTMX)
    assert response.status_code == 404
    assert upstream(demo.simulator) == []


@pytest.mark.parametrize("action", ["mute", "kick", "end-on-exit"])
def test_the_old_per_action_url_is_gone(supervisor_client, demo, seen, action):
    """A participant action has one URL, the participant's: `.../<CA>/<action>/` resolves nothing."""
    seen(ESCALATION)
    old = participant_url(demo, ESCALATION, "agent:carol") + f"{action}/"
    with pytest.raises(Resolver404):
        resolve(old)
    demo.simulator.reset_request_log()
    assert supervisor_client.post(old, {"action": action}, **HTMX).status_code == 404
    assert upstream(demo.simulator) == []
    assert demo.participant(ESCALATION, "agent:carol").status == "connected"


def test_actions_only_act_on_post(supervisor_client, demo, seen):
    """GET shows the participant's pickers (nothing is done, whatever the query says); other methods: 405."""
    seen(ESCALATION)
    url = participant_url(demo, ESCALATION, "agent:carol")
    response = supervisor_client.get(url, {"action": "mute"})
    assert response.status_code == 200 and "Start coaching" in response.content.decode()
    for method in (supervisor_client.put, supervisor_client.delete, supervisor_client.patch):
        assert method(url, {"action": "mute"}).status_code == 405
    assert [r for r in upstream(demo.simulator) if r.method != "GET"] == []
    assert demo.participant(ESCALATION, "agent:carol").muted is False


# --- Twilio says no ----------------------------------------------------------------------


def test_participant_gone_meanwhile_shows_a_note_and_drops_the_row(supervisor_client, demo, seen):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.hang_up(demo.simulator.account_sid, demo.sid(ESCALATION), call_sid)

    url = reverse("participant", args=[demo.sid(ESCALATION), call_sid])
    demo.simulator.reset_request_log()
    response = supervisor_client.post(url, {"action": "mute"}, **HTMX)

    assert response.status_code == 200
    assert [r.status for r in upstream(demo.simulator)] == [404]
    html = response.content.decode()
    assert f'id="participant-{call_sid}" class="row row--gone"' in html
    assert "agent:carol is no longer in the conference." in html
    assert "(20404)" in html
    assert call_sid not in rosters.load(demo.sid(ESCALATION)).entries


def test_twilio_error_code_is_shown_inline_in_the_row(supervisor_client, demo, seen):
    """Coaching a participant who is on hold: Twilio refuses with its own code."""
    seen(SALES)
    dana = demo.call_sid(SALES, "customer:Dana Whitfield")
    bob = demo.call_sid(SALES, "agent:bob")
    response = post_action(supervisor_client, demo, SALES, "agent:bob", "coach", {"call_sid_to_coach": dana})

    assert response.status_code == 200
    assert [r.status for r in upstream(demo.simulator)] == [400]
    assert response["HX-Retarget"] == f"#note-{bob}"
    assert response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert 'class="note note--error"' in html and "(16027)" in html
    assert "(16027)" in announced(response)


def test_outcome_unknown_rereads_the_row_once(supervisor_client, demo, seen, monkeypatch):
    seen(ESCALATION)

    def times_out(self, *args, **kwargs):
        raise TwilioTimeout("Twilio did not answer in time", outcome_unknown=True, method="POST")

    monkeypatch.setattr(TwilioClient, "update_participant", times_out)
    response = post_action(supervisor_client, demo, ESCALATION, "agent:carol", "mute")

    assert response.status_code == 200
    assert [r.operation for r in upstream(demo.simulator)] == ["FetchParticipant"]
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="participant-{demo.call_sid(ESCALATION, "agent:carol")}"')
    assert "the outcome is unknown" in html and "re-read from Twilio" in html
    assert 'aria-label="Mute agent:carol"' in html  # the truth: still unmuted


def test_twilio_unreachable_says_so(supervisor_client, demo, seen, settings):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # discard port: connection refused
    settings.TWILIO_TOTAL_TIMEOUT = 2
    response = supervisor_client.post(
        reverse("participant", args=[demo.sid(ESCALATION), call_sid]), {"action": "mute"}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#note-{call_sid}"
    assert "Twilio is unreachable" in response.content.decode()


# --- without htmx ------------------------------------------------------------------------


def test_plain_post_redirects_back_with_a_message(supervisor_client, demo, seen):
    seen(ESCALATION)
    url = participant_url(demo, ESCALATION, "agent:carol")
    response = supervisor_client.post(url, {"action": "mute"}, follow=True)
    assert response.redirect_chain == [(reverse("conference-detail", args=[demo.sid(ESCALATION)]), 302)]
    assert "Muted agent:carol." in response.content.decode()
    assert demo.participant(ESCALATION, "agent:carol").muted


def test_plain_post_with_bad_input_redirects_with_the_error(supervisor_client, demo, seen):
    seen(ESCALATION)
    demo.simulator.reset_request_log()
    response = supervisor_client.post(
        participant_url(demo, ESCALATION, "agent:carol"), {"action": "coach"}, follow=True
    )
    assert "Choose whom to coach." in response.content.decode()
    assert [r.operation for r in upstream(demo.simulator) if r.method == "POST"] == []


def test_plain_post_error_uses_django_messages(supervisor_client, demo, seen):
    seen(SALES)
    dana = demo.call_sid(SALES, "customer:Dana Whitfield")
    response = supervisor_client.post(
        participant_url(demo, SALES, "agent:bob"), {"action": "coach", "call_sid_to_coach": dana}, follow=True
    )
    assert response.status_code == 200
    assert "(16027)" in response.content.decode()
