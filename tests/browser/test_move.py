"""A Lead moves a customer into a side room with a specialist and brings them back; another supervisor's
pages of both rooms follow live; an Observer is offered no Move. Each move is exactly one UpdateCall."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from conference_admin.access.roles import OBSERVER, SUPERVISOR, assign_role

from .conftest import PageProblems, row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
CUSTOMER = "customer:+14155550103"
SIDE_ROOM = "Side room 1"


@pytest.fixture
def open_as(browser, live_server, django_user_model):
    """`with open_as(role) as context:` a browser context signed in as a new user of that role."""
    from django.conf import settings
    from django.test import Client

    @contextmanager
    def opened(role: str) -> Iterator:
        user = django_user_model.objects.create_user(f"{role.lower()}-user")
        assign_role(user, role)
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
        try:
            yield context
        finally:
            context.close()

    return opened


def side_room_with_specialist(simulator) -> str:
    """Side room 1, opened by a specialist the Lead dialled (the room a warm transfer starts from)."""
    account = simulator.account_sid
    specialist = simulator.create_participant(
        account, SIDE_ROOM, {"From": "+15005550006", "To": "client:specialist", "Label": "agent:specialist"}
    )
    simulator.answer(account, specialist.conference_sid, specialist.call_sid)
    return specialist.conference_sid


def test_a_lead_moves_a_customer_to_a_side_room_and_back_while_another_supervisor_watches(
    logged_in, simulator, demo, open_as
) -> None:
    lead = logged_in
    escalation = demo[ESCALATION].sid
    side = side_room_with_specialist(simulator)
    customer_sid = simulator.fetch_participant(simulator.account_sid, escalation, CUSTOMER).call_sid

    with open_as(SUPERVISOR) as watcher:
        watching_escalation, watching_side = watcher.new_page(), watcher.new_page()
        problems = [PageProblems(watching_escalation), PageProblems(watching_side)]
        watching_escalation.goto(f"/conferences/{escalation}/")
        watching_side.goto(f"/conferences/{side}/")
        expect(watching_escalation.locator(f"#participant-{customer_sid}")).to_be_visible()
        expect(watching_side.locator("#participant-rows tr[id^='participant-']")).to_have_count(1)

        lead.goto(f"/conferences/{escalation}/")
        customer = row(lead, simulator, escalation, CUSTOMER)
        customer.get_by_text("More…").click()
        customer.get_by_label("or a new side room").fill(SIDE_ROOM)
        customer.get_by_label("Arrives").select_option("muted")
        simulator.reset_request_log()
        customer.get_by_role("button", name=f"Move {CUSTOMER}").click()
        expect(lead.locator("#live-region")).to_have_text(f"Moved {CUSTOMER} to {SIDE_ROOM}.")
        assert simulator.request_counts()["UpdateCall"] == 1  # exactly one upstream call moves them

        # The other supervisor's pages of both rooms follow without a reload.
        expect(watching_escalation.locator(f"#participant-{customer_sid}")).to_have_count(0, timeout=8000)
        arrived = watching_side.locator(f"#participant-{customer_sid}")
        expect(arrived).to_contain_text(f"Moved here from {ESCALATION} by supervisor", timeout=8000)
        expect(arrived.locator(".chip--muted")).to_be_visible()
        assert simulator.fetch_participant(simulator.account_sid, side, CUSTOMER).muted is True

        # The Lead brings them back from the side room's page.
        lead.goto(f"/conferences/{side}/")
        back = lead.locator(f"#participant-{customer_sid}")
        simulator.reset_request_log()
        back.get_by_role("group", name=CUSTOMER).get_by_role("button", name="Bring back").click()
        # The last customer leaves the side room: the page says what happens and asks first.
        expect(back).to_contain_text("the last customer here")
        assert simulator.request_counts()["UpdateCall"] == 0
        back.get_by_role("button", name="Bring back anyway").click()
        expect(lead.locator("#live-region")).to_have_text(f"Brought {CUSTOMER} back to {ESCALATION}.")
        assert simulator.request_counts()["UpdateCall"] == 1

        expect(watching_side.locator(f"#participant-{customer_sid}")).to_have_count(0, timeout=8000)
        expect(watching_escalation.locator(f"#participant-{customer_sid}")).to_be_visible(timeout=8000)
        assert simulator.fetch_participant(simulator.account_sid, escalation, CUSTOMER).muted is False

        # Both rooms tell the story.
        lead.goto(f"/conferences/{escalation}/")
        expect(lead.locator("#timeline")).to_contain_text(f"{CUSTOMER} moved to {SIDE_ROOM} by supervisor")
        lead.goto(f"/conferences/{side}/")
        expect(lead.locator("#timeline")).to_contain_text(f"{CUSTOMER} moved here from {ESCALATION} by supervisor")
        for found in problems:
            found.assert_none()


def test_an_observer_is_offered_no_move(simulator, demo, open_as) -> None:
    escalation = demo[ESCALATION].sid
    with open_as(OBSERVER) as observer:
        page = observer.new_page()
        problems = PageProblems(page)
        page.goto(f"/conferences/{escalation}/")
        customer = row(page, simulator, escalation, CUSTOMER)
        expect(customer).to_contain_text("View only")
        expect(page.get_by_text("More…")).to_have_count(0)
        expect(page.get_by_role("button", name=f"Move {CUSTOMER}")).to_have_count(0)
        problems.assert_none()


def test_a_warm_transfer_dials_a_specialist_into_a_side_room_and_moves_the_customer_there(
    logged_in, simulator, demo, open_as
) -> None:
    lead = logged_in
    escalation = demo[ESCALATION].sid
    customer_sid = simulator.fetch_participant(simulator.account_sid, escalation, CUSTOMER).call_sid
    with open_as(SUPERVISOR) as watcher:
        watching = watcher.new_page()
        problems = PageProblems(watching)
        watching.goto(f"/conferences/{escalation}/")
        expect(watching.locator(f"#participant-{customer_sid}")).to_be_visible()

        lead.goto(f"/conferences/{escalation}/")
        form = lead.locator("#add-participant")
        form.get_by_label("To", exact=True).fill("client:specialist")
        form.get_by_label("Label").fill("agent:specialist")
        form.get_by_label("Into a new side room named").fill("Side room 5")
        form.get_by_label(f"Move {CUSTOMER}").check()
        simulator.reset_request_log()
        form.get_by_role("button", name="Dial").click()
        expect(lead.locator("#live-region")).to_have_text(
            f"Dialling agent:specialist into Side room 5; moved {CUSTOMER} there."
        )
        counts = simulator.request_counts()
        assert (counts["CreateParticipant"], counts["UpdateCall"]) == (1, 1)
        # Their row says "Moved to Side room 5." until the page's next change drops it.
        expect(lead.locator(f"#participant-{customer_sid}")).to_have_count(0, timeout=8000)
        expect(watching.locator(f"#participant-{customer_sid}")).to_have_count(0, timeout=8000)

        side = next(
            c.sid for c in simulator.list_conferences(simulator.account_sid) if c.friendly_name == "Side room 5"
        )
        watching.goto(f"/conferences/{side}/")
        expect(watching.locator("#participant-rows tr[id^='participant-']")).to_have_count(2)
        expect(watching.locator(f"#participant-{customer_sid}")).to_contain_text(f"Moved here from {ESCALATION}")
        problems.assert_none()
