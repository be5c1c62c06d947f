"""At exactly 768 px (a tablet held upright, a half-screen window) no conference page scrolls
sideways, for any role, with the busiest row the demo can show and with a row's menu open."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from conference_admin.access.roles import LEAD, OBSERVER, SUPERVISOR, assign_role

from .conftest import row

WIDTH = 768
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
  return [document.documentElement.scrollWidth - width, wide.slice(0, 8)];
}"""


def _sign_in(page, live_server, django_user_model, role: str) -> None:
    user = django_user_model.objects.create_user(role.lower())
    assign_role(user, role)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def _assert_no_sideways_scroll(page, where: str) -> None:
    overflow, wide = page.evaluate(OVERFLOW)
    assert overflow <= 0, f"{where}: {overflow} px of horizontal scroll at {WIDTH} px ({wide})"


@pytest.mark.browser
@pytest.mark.parametrize("role", [OBSERVER, SUPERVISOR, LEAD])
def test_no_conference_page_scrolls_sideways_at_768_px(
    page, live_server, transactional_db, django_user_model, demo, simulator, role
):
    _sign_in(page, live_server, django_user_model, role)
    page.set_viewport_size({"width": WIDTH, "height": 1024})
    billing = demo["Support: billing dispute"]
    # The busiest row there is: a supervisor coaching, muted and on hold (Unmute, Resume, Stop).
    sam = simulator.fetch_participant(simulator.account_sid, billing.sid, "supervisor:sam")
    simulator.update_participant(simulator.account_sid, billing.sid, sam.call_sid, {"Muted": "true", "Hold": "true"})
    page.goto(reverse("conference-list"))
    expect(page.locator("main")).to_be_visible()
    _assert_no_sideways_scroll(page, "conferences")
    for name, conference in demo.items():
        page.goto(reverse("conference-detail", args=[conference.sid]))
        expect(page.locator("#participant-rows tr").first).to_be_visible()
        _assert_no_sideways_scroll(page, name)
    page.goto(reverse("conference-detail", args=[billing.sid]))
    busy = row(page, simulator, billing.sid, "supervisor:sam")
    expect(busy.locator(".chip--held")).to_be_visible()
    _assert_no_sideways_scroll(page, "billing, coach muted and held")
    if role != OBSERVER:
        expect(busy.get_by_role("button", name="Stop coaching: supervisor:sam")).to_be_visible()
        busy.get_by_text("More…").click()
        expect(busy.get_by_text("Kick…")).to_be_visible()
        _assert_no_sideways_scroll(page, "billing, a row's menu open")
