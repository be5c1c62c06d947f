"""Supervisor power tools in real Chromium against the simulator: the screen and the simulator checked.

Chromium runs on a thread of its own: the browser suite's session-wide sync Playwright keeps
an event loop on the main thread, and a second one there would clash with it. The browser
suite's fixtures (settings, user, demo, artifacts) are reused by import.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from conference_admin.supervision.models import SupervisorProfile
from tests.browser.conftest import (  # noqa: F401  (fixtures: the browser suite's, autouse ones included)
    CHROMIUM_ARGS,
    PageProblems,
    artifacts,
    demo,
    fast_browser_settings,
    row,
    supervisor,
    unhashed_static,
)

pytestmark = pytest.mark.browser

BILLING = "Support: billing dispute"
ESCALATION = "Escalation: outage #4471"
LABEL = "supervisor:supervisor"


def in_chromium(live_server, user, steps) -> None:
    """Run `steps(page)` logged in as `user`, in Chromium on its own thread; re-raise its failure."""
    client = Client()
    client.force_login(user)  # the database is used here, on the test's thread
    cookie = {
        "name": django_settings.SESSION_COOKIE_NAME,
        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
                    context.add_cookies([cookie])
                    page = context.new_page()
                    problems = PageProblems(page)
                    steps(page)
                    problems.assert_none()
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001  (handed back to the test's thread)
            failure.append(exc)

    thread = threading.Thread(target=run, name="chromium", daemon=True)  # a hung browser must not keep pytest alive
    thread.start()
    thread.join(timeout=90)
    assert not thread.is_alive(), "Chromium steps did not finish"
    if failure:
        raise failure[0]


def leg(simulator, conference_sid):
    return next(
        (p for p in simulator.list_participants(simulator.account_sid, conference_sid) if p.label == LABEL), None
    )


def test_listen_in_whisper_barge_leave(
    live_server,
    simulator,
    demo,  # noqa: F811  (a pytest fixture, imported above)
    supervisor,  # noqa: F811  (a pytest fixture, imported above)
    artifacts,  # noqa: F811  (a pytest fixture, imported above)
):
    SupervisorProfile.objects.create(user=supervisor, phone="client:supervisor")
    conference = demo[BILLING]
    alice = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:alice")
    in_chromium(
        live_server, supervisor, lambda page: listen_whisper_barge_leave(page, simulator, conference, alice, artifacts)
    )


def listen_whisper_barge_leave(page, simulator, conference, alice, screenshots):
    page.goto(f"/conferences/{conference.sid}/")
    mode = page.locator("#your-line-mode")
    expect(mode).to_have_text("Not on the line")
    # The demo's supervisor:sam already coaches alice: everyone sees it.
    expect(page.locator("#supervisors-on-line")).to_contain_text("sam: coaching agent:alice")

    page.locator("#line-listen-in").click()
    expect(mode).to_have_text("Dialling you…")
    dialled = leg(simulator, conference.sid)
    assert dialled.status in ("queued", "connecting") and dialled.muted is True

    simulator.clock.advance(3)  # queued → ringing → connected on the simulator's clock
    expect(mode).to_have_text("Listening (muted: nobody hears you)", timeout=8_000)
    assert leg(simulator, conference.sid).status == "connected"

    page.locator("#line-whisper-open").click()
    page.locator("#whisper-target").select_option(alice.call_sid)
    page.locator("#line-whisper").click()
    expect(mode).to_have_text("Whispering to agent:alice (only they hear you)")
    state = leg(simulator, conference.sid)
    assert state.coaching is True and state.call_sid_to_coach == alice.call_sid and state.muted is False
    page.locator("#supervision-panel").screenshot(path=str(screenshots / "supervision-your-line-panel.png"))
    page.screenshot(path=str(screenshots / "supervision-your-line.png"), full_page=True)

    page.locator("#line-barge").click()
    expect(mode).to_have_text("Barged in (everyone hears you)")
    state = leg(simulator, conference.sid)
    assert state.muted is False and state.coaching is False

    page.locator("#line-listen").click()
    expect(mode).to_have_text("Listening (muted: nobody hears you)")
    assert leg(simulator, conference.sid).muted is True

    page.locator("#line-leave").click()
    expect(mode).to_have_text("Not on the line")
    assert leg(simulator, conference.sid) is None
    # The row of their own leg disappears from the table too.
    expect(page.locator("#participant-rows")).not_to_contain_text(LABEL)


def test_bulk_mute_with_one_participant_gone_shows_per_row_results(
    live_server,
    simulator,
    demo,  # noqa: F811  (a pytest fixture, imported above)
    supervisor,  # noqa: F811  (a pytest fixture, imported above)
    settings,
):
    # Slow refreshes, so the dashboard does not notice the hang-up before the bulk action does.
    settings.ROSTER_POLL_INTERVAL_SECONDS = 60
    settings.DASHBOARD_POLL_SECONDS = 30
    conference = demo[ESCALATION]
    simulator.join(conference.sid, label="customer:Zed", from_="+14155550177")
    in_chromium(live_server, supervisor, lambda page: bulk_mute_with_one_gone(page, simulator, conference))


def bulk_mute_with_one_gone(page, simulator, conference):
    page.goto(f"/conferences/{conference.sid}/")
    gone = row(page, simulator, conference.sid, "customer:+14155550103")
    zed = row(page, simulator, conference.sid, "customer:Zed")
    expect(zed).to_be_visible()
    simulator.hang_up(simulator.account_sid, conference.sid, "customer:+14155550103")  # behind the dashboard's back

    page.locator("#bulk-mute-customers").click()
    summary = page.locator("#bulk-summary")
    expect(summary).to_contain_text("1 of 2 done, 1 failed")
    expect(summary).to_contain_text("customer:+14155550103: No longer in the conference")
    expect(gone).to_have_class("row row--gone")
    expect(gone).to_contain_text("No longer in the conference")
    expect(zed.locator(".chip--muted")).to_be_visible()
    expect(zed).to_contain_text("Mute all except agents and supervisors: Muted.")
    assert simulator.fetch_participant(simulator.account_sid, conference.sid, "customer:Zed").muted is True
    # Agents untouched.
    assert simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol").muted is False


def test_keyboard_shortcuts_drive_mute_and_kick(
    live_server,
    simulator,
    demo,  # noqa: F811  (a pytest fixture, imported above)
    supervisor,  # noqa: F811  (a pytest fixture, imported above)
):
    in_chromium(live_server, supervisor, lambda page: shortcuts_mute_and_kick(page, simulator, demo[ESCALATION]))


def shortcuts_mute_and_kick(page, simulator, conference):
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    dave = row(page, simulator, conference.sid, "agent:dave")
    expect(carol).to_be_visible()

    # "?" opens an accessible dialog listing the shortcuts; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Rows needing attention come first (static/bigroom.js): the customer still ringing.
    page.keyboard.press("j")
    expect(row(page, simulator, conference.sid, "customer:Acme on-call")).to_be_focused()
    page.keyboard.press("j")
    expect(carol).to_be_focused()
    expect(carol).to_have_class("row row--connected row--selected")
    page.keyboard.press("j")
    expect(dave).to_be_focused()
    page.keyboard.press("m")  # dave was muted
    expect(dave.get_by_role("button", name="Mute agent:dave", exact=True)).to_be_visible()
    assert simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:dave").muted is False

    # No shortcut while typing in a field, or with a modifier key.
    page.locator("#id_to").focus()
    page.keyboard.press("m")
    expect(page.locator("#id_to")).to_have_value("m")
    page.keyboard.press("k")
    page.locator("#id_to").fill("")
    carol.get_by_role("button", name="Mute agent:carol", exact=True).focus()
    page.keyboard.press("Control+m")
    assert simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol").muted is False

    page.keyboard.press("m")  # focus is in carol's row: she is the one muted
    expect(carol.get_by_role("button", name="Unmute agent:carol", exact=True)).to_be_focused()  # focus kept in the row
    assert simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol").muted is True
    expect(carol).to_have_class("row row--connected row--selected")

    page.keyboard.press("x")  # opens the confirmation, focus on its button
    confirm = carol.get_by_role("button", name="Confirm kick agent:carol")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(carol).to_contain_text("Removed agent:carol")
    assert "agent:carol" not in [p.label for p in simulator.list_participants(simulator.account_sid, conference.sid)]
