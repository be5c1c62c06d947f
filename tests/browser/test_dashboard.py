"""A supervisor in real Chromium: every action clicked, both the screen and the simulator checked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
SALES = "Sales: renewal"


def participant(simulator, conference, label):
    return simulator.fetch_participant(simulator.account_sid, conference.sid, label)


def test_login_then_conference_list(page, supervisor, demo, artifacts):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Live conferences")).to_be_visible()
    table = page.get_by_role("table", name="Live conferences")
    for name in demo:
        expect(table.get_by_role("link", name=name)).to_be_visible()
    page.get_by_label("Filter by name").fill("outage")
    expect(table.get_by_role("link")).to_have_count(1)
    expect(table.get_by_role("link", name=ESCALATION)).to_be_visible()
    page.screenshot(path=str(artifacts / "conference-list.png"), full_page=True)


def test_list_refreshes_and_an_ended_conference_drops_off(logged_in, simulator, demo):
    page = logged_in
    page.goto("/")
    link = page.get_by_role("link", name=SALES)
    expect(link).to_be_visible()
    # Keyboard focus survives a refresh.
    escalation = page.get_by_role("link", name=ESCALATION)
    escalation.focus()
    simulator.update_participant(simulator.account_sid, demo[ESCALATION].sid, "agent:carol", {"Hold": "true"})
    held = page.locator(f"#conference-{demo[ESCALATION].sid} td.num").nth(3)
    expect(held).to_have_text("1")
    expect(escalation).to_be_focused()
    simulator.update_conference(simulator.account_sid, demo[SALES].sid, {"Status": "completed"})
    expect(link).to_have_count(0)


def test_mute_hold_coach_announce_kick(logged_in, simulator, demo, artifacts):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    live = page.locator("#live-region")

    carol.get_by_role("button", name="Mute agent:carol", exact=True).click()
    expect(carol.get_by_text("Muted", exact=True)).to_be_visible()
    expect(carol.get_by_role("button", name="Unmute agent:carol")).to_be_visible()
    assert participant(simulator, conference, "agent:carol").muted
    expect(live).to_have_text("Muted agent:carol.")

    carol.get_by_role("button", name="Unmute agent:carol").click()
    expect(carol.get_by_role("button", name="Mute agent:carol", exact=True)).to_be_visible()
    assert not participant(simulator, conference, "agent:carol").muted

    carol.get_by_role("button", name="Hold agent:carol", exact=True).click()
    expect(carol.locator(".chip--held")).to_contain_text(re.compile(r"Held \d+:\d\d"))
    assert participant(simulator, conference, "agent:carol").hold

    carol.get_by_role("button", name="Resume agent:carol").click()
    expect(carol.locator(".chip--held")).to_have_count(0)
    assert not participant(simulator, conference, "agent:carol").hold

    carol.get_by_text("Coach…").click()
    carol.get_by_label("agent:carol coaches").select_option(label="agent:dave")
    page.screenshot(path=str(artifacts / "conference-coach-picker.png"))
    carol.get_by_role("button", name="Start coaching: agent:carol").click()
    expect(carol.locator(".coach-target")).to_have_text("agent:dave")
    carol_now = participant(simulator, conference, "agent:carol")
    assert (
        carol_now.coaching and carol_now.call_sid_to_coach == participant(simulator, conference, "agent:dave").call_sid
    )

    carol.get_by_role("button", name="Stop coaching: agent:carol").click()
    expect(carol.locator(".coach-target")).to_have_count(0)
    assert not participant(simulator, conference, "agent:carol").coaching

    carol.get_by_text("Announce…").click()
    carol.get_by_label("Announcement for agent:carol").select_option(index=1)
    carol.get_by_role("button", name="Play announcement to agent:carol").click()
    expect(live).to_have_text("Playing an announcement to agent:carol.")
    assert len(participant(simulator, conference, "agent:carol").announcements) == 1

    carol.get_by_text("Kick…").click()
    carol.get_by_role("button", name="Confirm kick agent:carol").click()
    expect(carol).to_have_count(0)
    expect(live).to_have_text("Removed agent:carol from the conference.")
    labels = [p.label for p in simulator.list_participants(simulator.account_sid, conference.sid)]
    assert "agent:carol" not in labels


def test_more_menu_settings(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    dave = row(page, simulator, conference.sid, "agent:dave")

    dave.get_by_text("More…").click()
    expect(dave.get_by_text("Beep on exit: not set")).to_be_visible()
    dave.get_by_role("button", name="Beep on exit off for agent:dave").click()
    expect(page.locator("#live-region")).to_have_text("Updated beep-on-exit for agent:dave.")
    assert participant(simulator, conference, "agent:dave").beep_on_exit is False

    dave.get_by_text("More…").click()
    expect(dave.get_by_text("Beep on exit: off")).to_be_visible()
    dave.get_by_role("button", name="Turn on end conference on exit for agent:dave").click()
    expect(dave.locator(".flag")).to_have_text("Ends conference on exit")
    assert participant(simulator, conference, "agent:dave").end_conference_on_exit is True


def test_add_participant_rings_then_connects_and_a_ringing_one_can_be_cancelled(logged_in, simulator, demo):
    page = logged_in
    conference = demo[SALES]
    page.goto(f"/conferences/{conference.sid}/")
    form = page.locator("#add-participant")
    form.get_by_label("To", exact=True).fill("+14155550188")
    form.get_by_label("Label").fill("agent:zoe")
    form.get_by_role("button", name="Dial").click()

    expect(page.locator("#live-region")).to_have_text("Dialling agent:zoe.")
    zoe = row(page, simulator, conference.sid, "agent:zoe").locator(".status-chip")
    expect(zoe).to_have_text("Queued")
    expect(page.locator("#add-participant").get_by_label("Label")).to_have_value("")  # fresh form
    assert participant(simulator, conference, "agent:zoe").status == "queued"

    simulator.clock.advance(simulator.timings.ring_after)
    expect(zoe).to_have_text("Ringing")
    simulator.clock.advance(simulator.timings.answer_after)
    expect(zoe).to_have_text("Connected")
    assert participant(simulator, conference, "agent:zoe").status == "connected"

    form = page.locator("#add-participant")
    form.get_by_label("To", exact=True).fill("+14155550177")
    form.get_by_label("Label").fill("customer:yan")
    form.get_by_role("button", name="Dial").click()
    expect(page.locator("#live-region")).to_have_text("Dialling customer:yan.")
    yan = row(page, simulator, conference.sid, "customer:yan")
    yan.get_by_text("Cancel call…").click()
    yan.get_by_role("button", name="Confirm cancel call customer:yan").click()
    expect(yan).to_have_count(0)
    assert "customer:yan" not in [p.label for p in simulator.list_participants(simulator.account_sid, conference.sid)]


def test_add_participant_bad_input_shows_errors_and_dials_nobody(logged_in, simulator, demo):
    page = logged_in
    conference = demo[SALES]
    page.goto(f"/conferences/{conference.sid}/")
    simulator.reset_request_log()
    form = page.locator("#add-participant")
    form.get_by_label("To", exact=True).fill("555-0100")
    form.get_by_label("Ring timeout (s)").fill("3")
    form.get_by_role("button", name="Dial").click()
    expect(page.locator("#id_to_error")).to_contain_text("E.164")
    expect(page.locator("#id_timeout_error")).to_contain_text("greater than or equal to 5")
    assert "CreateParticipant" not in simulator.request_counts()


def test_end_conference(logged_in, simulator, demo, artifacts):
    page = logged_in
    conference = demo[SALES]
    page.goto(f"/conferences/{conference.sid}/")
    page.get_by_text("End conference…").click()
    page.get_by_role("button", name="End conference now").click()
    expect(page.locator("#conference-header .chip")).to_have_text("Ended")
    expect(page.get_by_text("This conference has ended.")).to_be_visible()
    assert simulator.fetch_conference(simulator.account_sid, conference.sid).status == "completed"


def test_errors_show_inline(logged_in, simulator, demo, artifacts):
    page = logged_in
    sales = demo[SALES]
    page.goto(f"/conferences/{sales.sid}/")
    bob = row(page, simulator, sales.sid, "agent:bob")

    # Twilio refuses: coaching someone who is on hold.
    bob.get_by_text("Coach…").click()
    bob.get_by_label("agent:bob coaches").select_option(label="customer:Dana Whitfield")
    bob.get_by_role("button", name="Start coaching: agent:bob").click()
    expect(bob.locator(".note--error")).to_contain_text("(16027)")

    # Bad input: no target chosen; the message sits next to the field and nothing is sent.
    simulator.reset_request_log()
    bob.get_by_label("agent:bob coaches").select_option(value="")
    bob.get_by_role("button", name="Start coaching: agent:bob").click()
    expect(bob.locator("[id^=coach-error-]")).to_have_text("Choose whom to coach.")
    assert simulator.request_counts()["UpdateParticipant"] == 0
    page.screenshot(path=str(artifacts / "conference-errors.png"))

    # Someone leaves behind the dashboard's back: the refresh drops their row.
    page.keyboard.press("Escape")
    dana = participant(simulator, sales, "customer:Dana Whitfield")
    simulator.hang_up(simulator.account_sid, sales.sid, dana.call_sid)
    expect(page.locator(f"#participant-{dana.call_sid}")).to_have_count(0)


def test_action_on_a_participant_who_left_shows_a_note(logged_in, simulator, demo, settings):
    settings.DASHBOARD_POLL_SECONDS = 600  # no refresh may remove the row first
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    carol_sid = participant(simulator, conference, "agent:carol").call_sid
    simulator.hang_up(simulator.account_sid, conference.sid, carol_sid)

    carol.get_by_role("button", name="Mute agent:carol", exact=True).click()
    expect(carol).to_have_class(re.compile("row--gone"))
    expect(carol).to_contain_text("agent:carol is no longer in the conference.")
    expect(carol).to_contain_text("(20404)")


def test_double_click_sends_one_request(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    simulator.reset_request_log()
    carol.get_by_role("button", name="Mute agent:carol", exact=True).evaluate(
        "button => { button.click(); button.click(); }"
    )
    expect(carol.get_by_role("button", name="Unmute agent:carol")).to_be_visible()
    assert simulator.request_counts()["UpdateParticipant"] == 1


def test_refresh_does_not_clobber_an_open_picker(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    dave = row(page, simulator, conference.sid, "agent:dave")
    carol.get_by_text("Announce…").click()
    carol.get_by_label("or announcement URL").fill("https://example.com/typed.mp3")

    # Another supervisor mutes dave; the refresh shows it while carol's picker stays as it was.
    simulator.update_participant(simulator.account_sid, conference.sid, "agent:dave", {"Muted": "false"})
    expect(dave.get_by_role("button", name="Mute agent:dave", exact=True)).to_be_visible()
    expect(carol.get_by_label("or announcement URL")).to_have_value("https://example.com/typed.mp3")
    expect(carol.get_by_label("or announcement URL")).to_be_focused()


def test_keyboard_only(logged_in, simulator, demo):
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    mute = carol.get_by_role("button", name="Mute agent:carol", exact=True)
    mute.focus()
    page.keyboard.press("Enter")
    unmute = carol.get_by_role("button", name="Unmute agent:carol")
    expect(unmute).to_be_focused()  # focus stays on the same control after the row re-renders
    assert participant(simulator, conference, "agent:carol").muted

    coach = carol.locator("summary", has_text="Coach…")
    coach.focus()
    page.keyboard.press("Enter")
    picker = carol.get_by_label("agent:carol coaches")
    expect(picker).to_be_focused()
    page.keyboard.press("Escape")
    expect(coach).to_be_focused()
    expect(picker).to_be_hidden()


def test_screenshots_desktop_and_tablet(logged_in, simulator, demo, artifacts):
    page = logged_in
    page.goto(f"/conferences/{demo[ESCALATION].sid}/")
    expect(page.locator("#participant-rows tr[id^=participant-]")).to_have_count(4)
    page.screenshot(path=str(artifacts / "conference-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 800, "height": 1000})
    page.screenshot(path=str(artifacts / "conference-tablet.png"), full_page=True)
    # At tablet width nothing spills sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
