"""Each fault Twilio (or the network) can throw, through the dashboard's real views.

Faults are injected in the simulator (docs/SIMULATOR.md, "Fault injection"); upstream requests
are counted in its request log, whatever happened to them.
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from conference_admin.live import roster as rosters
from conference_admin.twilio import RetryPolicy

from .conftest import ESCALATION, HTMX, SALES, announced, due, operations, upstream

TABLE = "participant-table"


def action(client, demo, label, name, data=None, conference=ESCALATION):
    url = reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])
    demo.simulator.reset_request_log()
    return client.post(url, {"action": name, **(data or {})}, **HTMX)


def add(client, demo, data, conference=ESCALATION):
    demo.simulator.reset_request_log()
    return client.post(reverse("participant-add", args=[demo.sid(conference)]), data, **HTMX)


def table(client, demo, conference=ESCALATION):
    due(demo.sid(conference))
    demo.simulator.reset_request_log()
    return client.get(reverse(TABLE, args=[demo.sid(conference)]), **HTMX)


def records(action_name):
    return list(AuditRecord.objects.filter(action=action_name).order_by("id"))


# --- reads: retried with bounded backoff --------------------------------------------------


def test_get_503_503_then_200_succeeds_after_bounded_backoff(supervisor_client, demo, seen, fake_clock):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="error", status=503, operation="ListParticipant", count=2)
    response = table(supervisor_client, demo)
    assert response.status_code == 200
    assert operations(demo.simulator) == ["ListParticipant"] * 3
    assert len(fake_clock.sleeps) == 2
    policy = RetryPolicy()
    assert all(0 <= wait <= policy.backoff_cap for wait in fake_clock.sleeps)
    assert "Showing the last known state" not in response.content.decode()


def test_get_429_waits_retry_after_before_the_next_attempt(supervisor_client, demo, seen, fake_clock):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="rate_limit", retry_after=2, operation="ListParticipant", count=1)
    response = table(supervisor_client, demo)
    assert response.status_code == 200
    assert operations(demo.simulator) == ["ListParticipant"] * 2
    assert fake_clock.sleeps and fake_clock.sleeps[0] >= 2


def test_update_429_retries_after_retry_after_then_says_twilio_is_busy(supervisor_client, demo, seen, fake_clock):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="rate_limit", retry_after=2, operation="UpdateParticipant")
    response = action(supervisor_client, demo, "agent:carol", "mute")
    assert response.status_code == 200
    assert operations(demo.simulator) == ["UpdateParticipant"] * RetryPolicy().max_attempts
    assert len(fake_clock.sleeps) == RetryPolicy().max_attempts - 1
    assert all(wait >= 2 for wait in fake_clock.sleeps)
    body = response.content.decode()
    assert "Twilio is busy, try again" in body and "20429" in body
    assert response["HX-Retarget"].startswith("#note-")
    assert demo.participant(ESCALATION, "agent:carol").muted is False
    [record] = records("mute")
    assert record.outcome == "failed" and record.error_code == 20429


def test_update_429_then_200_is_done(supervisor_client, demo, seen, fake_clock):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="rate_limit", retry_after=2, operation="UpdateParticipant", count=1)
    response = action(supervisor_client, demo, "agent:carol", "mute")
    assert announced(response) == "Muted agent:carol."
    assert operations(demo.simulator) == ["UpdateParticipant"] * 2
    assert fake_clock.sleeps[0] >= 2
    assert [r.outcome for r in records("mute")] == ["ok"]


# --- create ------------------------------------------------------------------------------


def test_create_429_then_201_is_retried_and_creates_exactly_one(supervisor_client, demo, seen, fake_clock):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="rate_limit", retry_after=1, operation="CreateParticipant", count=1)
    response = add(supervisor_client, demo, {"to": "+14155550177", "from_": "+15005550006", "label": "customer:retry"})
    assert response.status_code == 200
    assert operations(demo.simulator) == ["CreateParticipant"] * 2
    everyone = demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ESCALATION), {})
    assert [p.label for p in everyone].count("customer:retry") == 1
    assert "customer:retry" in response.content.decode()
    assert [r.outcome for r in records("add")] == ["ok"]


def test_create_timeout_is_not_retried_and_is_checked_by_label(supervisor_client, demo, seen, settings):
    """The call was placed but its answer was lost: the dashboard finds it by its label."""
    seen(ESCALATION)
    settings.TWILIO_READ_TIMEOUT = 0.4
    demo.simulator.faults.inject(kind="stall", seconds=1.2, operation="CreateParticipant", count=1, apply=True)
    response = add(supervisor_client, demo, {"to": "+14155550178", "from_": "+15005550006"})
    body = response.content.decode()
    assert response.status_code == 200
    assert operations(demo.simulator, wait_for=2) == ["CreateParticipant", "FetchParticipant"]
    # No label was typed: the dashboard set one, and asked for it.
    [fetch] = [r for r in upstream(demo.simulator) if r.operation == "FetchParticipant"]
    assert "/Participants/dial%3A" in fetch.path or "/Participants/dial:" in fetch.path
    assert "the outcome is unknown" in body and "the call was placed" in body
    placed = [
        p
        for p in demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ESCALATION), {})
        if (p.label or "").startswith("dial:")
    ]
    assert len(placed) == 1
    assert f'id="participant-{placed[0].call_sid}"' in body  # the row, as it is now
    unknown, resolution = records("add")
    assert unknown.outcome == "unknown" and resolution.resolves_id == unknown.id and resolution.outcome == "ok"
    assert unknown.participant_label == placed[0].label


@pytest.mark.parametrize("status", [500, 503])
def test_create_5xx_is_not_retried_and_the_label_check_says_not_placed(
    supervisor_client, demo, seen, fake_clock, status
):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="error", status=status, operation="CreateParticipant", count=1)
    response = add(supervisor_client, demo, {"to": "+14155550179", "from_": "+15005550006", "label": "customer:lost"})
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#add-participant"
    assert operations(demo.simulator) == ["CreateParticipant", "FetchParticipant"]
    assert "the outcome is unknown" in body and "Checked by label customer:lost: not placed" in body
    assert fake_clock.sleeps == []
    unknown, resolution = records("add")
    assert (unknown.outcome, resolution.outcome, resolution.resolves_id) == ("unknown", "failed", unknown.id)


def test_create_5xx_applied_anyway_shows_the_row(supervisor_client, demo, seen):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="error", status=500, operation="CreateParticipant", count=1, apply=True)
    response = add(
        supervisor_client, demo, {"to": "+14155550180", "from_": "+15005550006", "label": "customer:applied"}
    )
    placed = demo.participant(ESCALATION, "customer:applied")
    body = response.content.decode()
    assert f'id="participant-{placed.call_sid}"' in body and "the call was placed" in body
    assert "participant-added" in response["HX-Trigger"]
    assert [r.outcome for r in records("add")] == ["unknown", "ok"]


# --- kick, announce ------------------------------------------------------------------------


def test_kick_timeout_then_404_on_retry_is_already_removed(supervisor_client, demo, seen, settings):
    seen(ESCALATION)
    settings.TWILIO_READ_TIMEOUT = 0.4
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.faults.inject(kind="stall", seconds=1.0, operation="DeleteParticipant", count=1, apply=True)
    response = action(supervisor_client, demo, "agent:carol", "kick")
    assert operations(demo.simulator, wait_for=2) == ["DeleteParticipant", "DeleteParticipant"]
    assert "already removed" in announced(response)
    assert "already removed" in response.content.decode()
    assert "row--gone" in response.content.decode()
    [record] = records("kick")
    assert record.outcome == "ok" and record.participant_sid == call_sid


def test_participant_announce_503_is_not_replayed_and_says_so(supervisor_client, demo, seen, settings):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="error", status=503, operation="UpdateParticipant", count=1)
    response = action(
        supervisor_client, demo, "agent:carol", "announce", {"choice": settings.DASHBOARD_ANNOUNCEMENTS[0]["url"]}
    )
    assert operations(demo.simulator) == ["UpdateParticipant"]  # not replayed, not even re-read
    text = response.content.decode()
    assert "Twilio failed" in text and "20503" in text and "not sent again" in text
    assert response["HX-Retarget"].startswith("#note-")
    assert [r.outcome for r in records("announce")] == ["unknown"]


def test_conference_announce_503_is_not_replayed_and_says_so(supervisor_client, demo, seen, settings):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind="error", status=503, operation="UpdateConference", count=1)
    demo.simulator.reset_request_log()
    response = supervisor_client.post(
        reverse("conference-announce", args=[demo.sid(ESCALATION)]),
        {"choice": settings.DASHBOARD_ANNOUNCEMENTS[0]["url"]},
        **HTMX,
    )
    assert operations(demo.simulator) == ["UpdateConference"]
    assert "Twilio failed" in response.content.decode() and "20503" in response.content.decode()
    assert response["HX-Retarget"] == "#conference-note"


# --- stalls and garbage ----------------------------------------------------------------------


def test_stall_beyond_the_total_timeout_ends_in_time_and_rereads_the_row(supervisor_client, demo, seen, settings):
    seen(ESCALATION)
    settings.TWILIO_TOTAL_TIMEOUT = 0.8
    demo.simulator.faults.inject(kind="stall", seconds=2.5, operation="UpdateParticipant", count=1, apply=True)
    started = time.monotonic()
    response = action(supervisor_client, demo, "agent:carol", "mute")
    elapsed = time.monotonic() - started
    assert elapsed < 0.8 + 0.8  # the update's bound, plus one quick re-read
    body = response.content.decode()
    assert "the outcome is unknown" in body and "re-read from Twilio" in body
    assert "chip--muted" in body  # the truth: it was applied
    assert "re-read from Twilio: it was applied." in body
    assert operations(demo.simulator, wait_for=2) == ["FetchParticipant", "UpdateParticipant"]
    unknown, resolution = records("mute")
    assert (unknown.outcome, resolution.outcome) == ("unknown", "ok")


@pytest.mark.parametrize(("name", "chip"), [("mute", "chip--muted"), ("hold", "chip--held")])
def test_update_timeout_not_applied_is_reread_as_not_applied_never_done(
    supervisor_client, demo, seen, settings, name, chip
):
    """The update timed out and Twilio never applied it: the re-read says so (audit `failed`,
    the row as Twilio has it), and nothing claims it was done."""
    seen(ESCALATION)
    settings.TWILIO_TOTAL_TIMEOUT = 0.8
    demo.simulator.faults.inject(kind="stall", seconds=2.5, operation="UpdateParticipant", count=1)  # not applied
    response = action(supervisor_client, demo, "agent:carol", name)
    body = response.content.decode()
    assert operations(demo.simulator, wait_for=2) == ["FetchParticipant", "UpdateParticipant"]
    truth = demo.participant(ESCALATION, "agent:carol")
    assert (truth.muted, truth.hold) == (False, False)  # the simulator did not apply it
    assert "the outcome is unknown" in body and "re-read from Twilio" in body
    assert chip not in body  # the row shows the truth, not what was asked for
    assert "re-read from Twilio: it was not applied." in body
    assert "Muted" not in announced(response) and "Held" not in announced(response)
    unknown, resolution = records(name)
    assert (unknown.outcome, resolution.outcome, resolution.resolves_id) == ("unknown", "failed", unknown.id)
    assert resolution.error_message == "Re-read: not applied."
    entry = rosters.snapshot(demo.sid(ESCALATION)).roster.entries[truth.call_sid]
    assert (entry.participant.muted, entry.participant.hold) == (False, False)


def test_kick_timeout_still_in_the_conference_is_not_done(supervisor_client, demo, seen, settings):
    """Every DELETE timed out and none was applied: the re-read finds them still there, so the
    kick is recorded as failed and the row stays, with the re-read's word."""
    seen(ESCALATION)
    settings.TWILIO_TOTAL_TIMEOUT = 0.8
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.faults.inject(kind="stall", seconds=2.5, operation="DeleteParticipant")  # never applied
    response = action(supervisor_client, demo, "agent:carol", "kick")
    body = response.content.decode()
    demo.simulator.faults.clear()
    assert "FetchParticipant" in operations(demo.simulator, wait_for=2)
    assert demo.participant(ESCALATION, "agent:carol").call_sid == call_sid  # still in the conference
    assert "the outcome is unknown" in body and "re-read from Twilio" in body
    assert "row--gone" not in body and f'id="participant-{call_sid}"' in body
    assert "re-read from Twilio: it was not applied." in body
    assert "removed" not in announced(response).lower()
    unknown, resolution = records("kick")
    assert (unknown.outcome, resolution.outcome, resolution.resolves_id) == ("unknown", "failed", unknown.id)
    assert resolution.error_message == "Re-read: still in the conference."
    assert call_sid in rosters.snapshot(demo.sid(ESCALATION)).roster.entries


@pytest.mark.parametrize("kind", ["malformed_json", "html", "empty"])
def test_garbage_answer_to_an_update_is_a_clear_message_not_a_500(supervisor_client, demo, seen, kind):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind=kind, operation="UpdateParticipant", count=1)
    response = action(supervisor_client, demo, "agent:carol", "mute")
    assert response.status_code == 200
    body = response.content.decode()
    assert "the outcome is unknown" in body and "re-read from Twilio" in body
    assert "Traceback" not in body


@pytest.mark.parametrize("kind", ["malformed_json", "html", "empty"])
def test_garbage_answer_to_the_table_read_keeps_the_table_and_says_why(supervisor_client, demo, seen, fake_clock, kind):
    seen(ESCALATION)
    demo.simulator.faults.inject(kind=kind, operation="ListParticipant")
    response = table(supervisor_client, demo)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Showing the last known state" in body
    assert ("unreadable" in body) if kind != "html" else ("502" in body)


@pytest.mark.parametrize("kind", ["malformed_json", "html"])
def test_garbage_answer_to_the_conference_list_is_a_clear_error(supervisor_client, demo, fake_clock, kind):
    demo.simulator.faults.inject(kind=kind, operation="ListConference")
    page = supervisor_client.get(reverse("conference-list"))
    assert page.status_code in (502, 503)
    assert "Retrying every" in page.content.decode()
    poll = supervisor_client.get(reverse("conference-list"), **HTMX)
    assert poll.status_code == 200 and "Refresh failed" in poll.content.decode()


# --- the participant left meanwhile -------------------------------------------------------


@pytest.mark.parametrize("name", ["mute", "hold", "kick"])
def test_participant_left_between_render_and_click(supervisor_client, demo, seen, name):
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.hang_up(demo.simulator.account_sid, demo.sid(ESCALATION), call_sid)
    url = reverse("participant", args=[demo.sid(ESCALATION), call_sid])
    response = supervisor_client.post(url, {"action": name}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "row--gone" in body and "no longer in the conference" in body
    # The next refresh removes the row for good.
    changes = table(supervisor_client, demo)
    assert call_sid not in changes.content.decode() or 'hx-swap-oob="delete"' in changes.content.decode()


# --- Twilio unreachable ---------------------------------------------------------------------


CLOSED = "http://127.0.0.1:9"


def test_unreachable_list_shows_a_banner_and_keeps_polling(supervisor_client, demo, settings, fake_clock):
    settings.TWILIO_API_BASE_URL = CLOSED
    page = supervisor_client.get(reverse("conference-list"))
    body = page.content.decode()
    assert page.status_code == 503
    assert "Twilio is unreachable" in body and "Retrying every" in body
    assert 'hx-trigger="every' in body  # the table keeps asking
    poll = supervisor_client.get(reverse("conference-list"), **HTMX)
    assert poll.status_code == 200 and "Twilio is unreachable" in poll.content.decode()
    assert demo.simulator.request_log == []


def test_unreachable_conference_page_keeps_the_last_roster_and_retries(
    supervisor_client, demo, seen, settings, simulator_server, fake_clock
):
    seen(ESCALATION)
    settings.TWILIO_API_BASE_URL = CLOSED
    due(demo.sid(ESCALATION))
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Twilio is unreachable" in body and "Retrying" in body
    assert 'id="roster-poller"' in body
    assert "agent:carol" in body  # the last known state
    # Each poll retries; once Twilio is back the banner goes.
    due(demo.sid(ESCALATION))
    assert (
        "Twilio is unreachable"
        in supervisor_client.get(reverse(TABLE, args=[demo.sid(ESCALATION)]), **HTMX).content.decode()
    )
    settings.TWILIO_API_BASE_URL = simulator_server.base_url
    due(demo.sid(ESCALATION))
    back = supervisor_client.get(reverse(TABLE, args=[demo.sid(ESCALATION)]), **HTMX)
    assert back.status_code == 200 and "Twilio is unreachable" not in back.content.decode()


def test_unreachable_first_visit_is_an_error_page_that_refreshes_itself(supervisor_client, demo, settings, fake_clock):
    settings.TWILIO_API_BASE_URL = CLOSED
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(SALES)]))
    assert page.status_code == 503
    assert "Twilio is unreachable" in page.content.decode()
    assert page["Refresh"] == str(settings.DASHBOARD_POLL_SECONDS)


def test_unreachable_actions_fail_fast_with_a_message(supervisor_client, demo, seen, settings):
    seen(ESCALATION)
    settings.TWILIO_API_BASE_URL = CLOSED
    started = time.monotonic()
    response = action(supervisor_client, demo, "agent:carol", "mute")
    assert time.monotonic() - started < 3
    body = response.content.decode()
    assert "Twilio is unreachable" in body and "nothing was changed" in body
    assert [r.outcome for r in records("mute")] == ["failed"]
