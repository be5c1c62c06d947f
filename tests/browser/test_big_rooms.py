"""A 250-participant conference: find anyone in one keystroke, see who needs attention first,
group by role, keep the bearings while live refreshes move rows, and fit a tablet."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from conference_admin.simulator.demo import CALLER_ID, HOLD_MUSIC

pytestmark = pytest.mark.browser

ROOM = "Town hall: outage bridge"
SIZE = 250  # Twilio's largest conference
AGENTS = 20
SUPERVISORS = 3  # besides the host
HELD = ("customer:Caller 040", "customer:Caller 120")
MUTED_EVERY = 7  # every seventh customer is muted
MUTED = [n for n in range(AGENTS + SUPERVISORS + 1, SIZE) if n % MUTED_EVERY == 0]
ROWS = "#participant-rows tr[id^='participant-']"
VISIBLE = ROWS + ":not([hidden])"


class BigRoom:
    """250 participants built through the simulator: a supervisor host, agents, supervisors and
    customers dialling in from their own numbers, two of them on hold."""

    def __init__(self, simulator) -> None:
        self.simulator = simulator
        account = simulator.account_sid
        host = simulator.create_participant(
            account, ROOM, {"From": CALLER_ID, "To": "client:host", "Label": "supervisor:host", "Timeout": "600"}
        )
        self.sid = host.conference_sid
        simulator.answer(account, self.sid, host.call_sid)
        self.call_sids = {"supervisor:host": host.call_sid}
        for n in range(1, SIZE):
            if n <= AGENTS:
                label, number, muted = f"agent:agent-{n:02d}", f"+1206555{n:04d}", False
            elif n <= AGENTS + SUPERVISORS:
                label, number, muted = f"supervisor:lead-{n:02d}", f"+1312555{n:04d}", False
            else:
                label, number, muted = f"customer:Caller {n:03d}", f"+1415555{n:04d}", n % MUTED_EVERY == 0
            joined = simulator.join(self.sid, label=label, from_=number, muted=muted)
            self.call_sids[label] = joined.call_sid
        for label in HELD:
            self.hold(label)

    def hold(self, label: str) -> None:
        self.simulator.update_participant(
            self.simulator.account_sid, self.sid, label, {"Hold": "true", "HoldUrl": HOLD_MUSIC, "HoldMethod": "GET"}
        )

    def row(self, page, label: str):
        return page.locator(f"#participant-{self.call_sids[label]}")


@pytest.fixture
def room(simulator, transactional_db) -> BigRoom:
    return BigRoom(simulator)


@pytest.fixture
def big_page(logged_in, room):
    page = logged_in
    page.goto(f"/conferences/{room.sid}/")
    expect(page.locator(ROWS)).to_have_count(SIZE)
    expect(page.locator("#roster-tools")).to_be_visible()
    page.evaluate("() => window.localStorage.clear()")
    return page


def visible_labels(page) -> list[str]:
    return page.locator(VISIBLE + " .name").all_inner_texts()


def choose_order(page, value: str) -> None:
    page.locator("#roster-sort").select_option(value)


def test_filter_as_you_type_hides_the_rest_and_counts_them(big_page, room):
    page = big_page
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    expect(page.locator("#roster-filter")).to_be_focused()

    page.keyboard.type("held")
    expect(page.locator(VISIBLE)).to_have_count(len(HELD))
    assert sorted(visible_labels(page)) == sorted(HELD)
    expect(page.locator("#roster-filter-count")).to_have_text(f"2 of {SIZE} shown · {SIZE - 2} hidden by the filter")

    page.locator("#roster-filter").fill("muted")
    expect(page.locator(VISIBLE)).to_have_count(len(MUTED))

    # Several words narrow down; a name fragment; the role; no match at all.
    page.locator("#roster-filter").fill("agent 07")
    assert visible_labels(page) == ["agent:agent-07"]
    page.locator("#roster-filter").fill("supervisor")
    expect(page.locator(VISIBLE)).to_have_count(SUPERVISORS + 1)
    page.locator("#roster-filter").fill("nobody-like-this")
    expect(page.locator(VISIBLE)).to_have_count(0)
    expect(page.locator("#roster-filter-count")).to_have_text("No participant matches.")

    # Escape clears the filter: every row is back and nothing is said to be hidden.
    page.locator("#roster-filter").press("Escape")
    expect(page.locator(VISIBLE)).to_have_count(SIZE)
    expect(page.locator("#roster-filter-count")).to_have_text("")


def test_rows_needing_attention_come_first_and_the_order_is_remembered(big_page, room):
    page = big_page
    # Default: attention first (the two held customers), then join order.
    assert visible_labels(page)[:4] == [*HELD, "supervisor:host", "agent:agent-01"]

    choose_order(page, "name")
    labels = visible_labels(page)
    assert labels[:2] == list(HELD)  # pinned above the rest
    assert labels[2:] == sorted(labels[2:], key=str.lower)

    page.locator("#roster-pin").uncheck()
    labels = visible_labels(page)
    assert labels == sorted(labels, key=str.lower)
    assert labels[0] == "agent:agent-01"

    choose_order(page, "on-hold")
    assert set(visible_labels(page)[:2]) == set(HELD)

    # Remembered for this user: a reload comes back in the same order.
    choose_order(page, "name")
    page.reload()
    expect(page.locator(ROWS)).to_have_count(SIZE)
    expect(page.locator("#roster-sort")).to_have_value("name")
    expect(page.locator("#roster-pin")).not_to_be_checked()
    assert visible_labels(page)[0] == "agent:agent-01"


def test_group_by_role_with_counts_collapsible(big_page, room):
    page = big_page
    page.locator("#roster-group").check()
    heads = page.locator("#participant-rows tr.group-row")
    expect(heads).to_have_count(3)
    customers = SIZE - 1 - AGENTS - SUPERVISORS
    expect(heads.nth(0)).to_have_text(f"Customers {customers}")
    expect(heads.nth(1)).to_have_text(f"Agents {AGENTS}")
    expect(heads.nth(2)).to_have_text(f"Supervisors {SUPERVISORS + 1}")
    # Each group's rows follow its head.
    roles = page.locator("#participant-rows > tr").evaluate_all(
        "rows => rows.map(r => r.dataset.group || r.dataset.role).filter(Boolean)"
    )
    assert roles == (["customer"] * (customers + 1) + ["agent"] * (AGENTS + 1) + ["supervisor"] * (SUPERVISORS + 2))

    agents = heads.nth(1).get_by_role("button")
    expect(agents).to_have_attribute("aria-expanded", "true")
    agents.click()
    expect(agents).to_have_attribute("aria-expanded", "false")
    expect(page.locator(VISIBLE)).to_have_count(SIZE - AGENTS)
    expect(page.locator(VISIBLE + "[data-role='agent']")).to_have_count(0)

    # The filter counts per group too.
    page.locator("#roster-filter").fill("held")
    expect(heads.nth(0)).to_have_text(f"Customers 2 of {customers}")
    agents.click()
    expect(page.locator(VISIBLE)).to_have_count(2)


def test_j_and_k_move_through_the_visible_rows_only(big_page, room):
    page = big_page
    page.locator("#roster-filter").fill("muted")
    expect(page.locator(VISIBLE)).to_have_count(len(MUTED))
    page.locator("#roster-filter").press("Tab")  # leaves the field: j/k do not fire while typing
    page.locator("#participants-heading").focus()
    order = visible_labels(page)
    page.keyboard.press("j")
    expect(room.row(page, order[0])).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(room.row(page, order[2])).to_be_focused()
    page.keyboard.press("k")
    expect(room.row(page, order[1])).to_be_focused()

    # Typing j in the filter field types it.
    page.locator("#roster-filter").focus()
    page.keyboard.type("j")
    expect(page.locator("#roster-filter")).to_have_value("mutedj")


def test_a_live_refresh_lands_rows_in_their_place_keeping_filter_and_focus(big_page, room, simulator):
    page = big_page
    choose_order(page, "in-call")
    page.locator("#roster-filter").fill("customer")
    customers = SIZE - 1 - AGENTS - SUPERVISORS
    expect(page.locator(VISIBLE)).to_have_count(customers)
    resting = room.row(page, "customer:Caller 200")
    mute = resting.get_by_role("button", name="Mute customer:Caller 200")
    mute.focus()

    # Behind the page's back: two callers leave, someone is put on hold, a dial-out starts
    # ringing and an agent joins (250 again).
    for label in ("customer:Caller 248", "customer:Caller 249"):
        simulator.hang_up(simulator.account_sid, room.sid, label)
    room.hold("customer:Caller 150")
    ringing = simulator.create_participant(
        simulator.account_sid,
        room.sid,
        {"From": CALLER_ID, "To": "+14155550999", "Label": "customer:Late joiner", "Timeout": "600"},
    )
    simulator.ring(simulator.account_sid, room.sid, ringing.call_sid)
    room.call_sids["customer:Late joiner"] = ringing.call_sid
    simulator.join(room.sid, label="agent:late", from_="+12065550999")  # does not match the filter

    # 250 rows listed from Twilio page by page each refresh: generous on a loaded machine.
    expect(room.row(page, "customer:Late joiner")).to_be_visible(timeout=30000)
    expect(room.row(page, "customer:Caller 150").locator(".chip--held")).to_be_visible(timeout=15000)
    # Pinned above the rest in the chosen order: rows needing attention by time in call.
    top = visible_labels(page)[:4]
    assert set(top) == {*HELD, "customer:Caller 150", "customer:Late joiner"}, top
    assert top[-1] == "customer:Late joiner"  # the newest
    # The filter still applies to rows that arrived (the new agent is hidden), and is counted.
    expect(page.locator(ROWS)).to_have_count(SIZE)
    expect(page.locator(VISIBLE)).to_have_count(customers - 1)
    expect(page.locator("#roster-filter")).to_have_value("customer")
    # Focus stayed where the supervisor left it.
    expect(mute).to_be_focused()


def test_a_row_action_keeps_filter_and_order(big_page, room):
    page = big_page
    page.locator("#roster-filter").fill("customer open")  # connected, neither muted nor held
    before = visible_labels(page)
    assert "customer:Caller 211" in before[100:]
    target = room.row(page, "customer:Caller 211")
    target.get_by_role("button", name="Hold customer:Caller 211").click()
    expect(target.locator(".chip--held")).to_be_visible(timeout=15000)
    # Held now: pinned above the rest. It no longer matches the filter, but a row the supervisor
    # acts on stays in view until the filter is typed again.
    after = visible_labels(page)
    assert after[0] == "customer:Caller 211", after[:4]
    assert sorted(after) == sorted(before)
    expect(target.get_by_role("button", name="Resume customer:Caller 211")).to_be_focused()
    page.locator("#roster-filter").fill("customer open ")
    expect(target).to_be_hidden()


def test_a_tablet_window_keeps_rows_one_line_tall_without_horizontal_scroll(big_page, room, artifacts):
    page = big_page
    page.set_viewport_size({"width": 768, "height": 1024})
    expect(page.locator(ROWS).first).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow} px of horizontal scroll"
    heights = page.locator(VISIBLE).evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) <= 44, max(heights)  # one line: a button's height plus padding

    # Secondary actions sit in the row's menu: opening More… shows them.
    caller = room.row(page, "customer:Caller 030")
    expect(caller.get_by_text("Coach…")).to_be_hidden()
    caller.get_by_text("More…").click()
    expect(caller.get_by_text("Coach…")).to_be_visible()
    expect(caller.get_by_text("Announce…")).to_be_visible()
    expect(caller.get_by_text("Kick…")).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow} px of horizontal scroll with the menu open"
    page.keyboard.press("Escape")
    expect(caller.get_by_text("Coach…")).to_be_hidden()

    # The shortcuts still reach a collapsed action: "a" opens Announce… in the row's menu.
    caller.get_by_role("button", name="Mute customer:Caller 030").focus()
    page.keyboard.press("a")
    expect(caller.locator("details[data-picker='announce']")).to_have_attribute("open", "")
    expect(caller.get_by_text("Announce…")).to_be_visible()


def test_screenshots_at_desktop_and_tablet_width(big_page, room, artifacts):
    page = big_page
    page.locator("#roster-group").check()
    for width, height in ((1440, 900), (820, 1180)):
        page.set_viewport_size({"width": width, "height": height})
        expect(page.locator("#participant-rows tr.group-row").first).to_be_visible()
        for name, full in (("page", True), ("screen", False)):
            path = artifacts / f"big-room-250-{width}-{name}.png"
            page.screenshot(path=str(path), full_page=full)
            print(f"screenshot: {path}")
            assert path.stat().st_size > 10_000


def test_the_page_at_1280_by_720_keeps_headers_in_view(big_page, room):
    page = big_page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.mouse.wheel(0, 4000)
    page.wait_for_timeout(200)
    bar = page.locator(".roster-bar").bounding_box()
    header = page.locator(".participants thead th").first.bounding_box()
    assert bar and header and bar["y"] == 0, bar
    assert abs(header["y"] - (bar["y"] + bar["height"])) <= 2, (bar, header)
    assert bar["height"] + header["height"] < 720 / 4  # most of the screen shows rows
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_no_serious_accessibility_violation_with_filter_order_and_groups(big_page, room):
    page = big_page
    page.locator("#roster-filter").fill("caller")
    choose_order(page, "name")
    page.locator("#roster-group").check()
    page.locator("#participant-rows tr.group-row").nth(0).get_by_role("button").click()
    page.locator("#roster-filter").fill("")
    results = Axe().run(page)
    assert results.response["passes"], "axe did not run"
    serious = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
