"""Each row says who is on the call: the number (or client identity), direction and caller name,
fetched once per call in the background; the conferences list finds a participant by number."""

from __future__ import annotations

import re
import time

from django.core.cache import cache
from django.urls import reverse

from .conftest import BILLING, ESCALATION, ONBOARDING
from .test_busy_rows import rows_in
from .test_row_form import ROW_BUDGET, row_html

HTMX = {"HTTP_HX_REQUEST": "true"}


def fetch_calls(simulator) -> int:
    return simulator.request_counts()["FetchCall"]


def unlabelled(demo, name):
    listed = demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(name))
    return next(p.call_sid for p in listed if not p.label)


def test_rows_show_the_call_sid_until_the_identity_arrives_then_the_number(
    supervisor_client, demo, seen, call_identity
):
    html = seen(ONBOARDING).content.decode()
    stranger = unlabelled(demo, ONBOARDING)
    assert f'<span class="name">{stranger}</span>' in html  # not known yet: the call SID
    assert 'class="ident"' not in html

    assert call_identity.run() == 3  # one fetch per participant, in the background
    assert fetch_calls(demo.simulator) == 3
    html = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ONBOARDING)])).content.decode()
    # No label: the caller's number is the row's name, the direction beside it.
    row = row_html(html, stranger)
    assert '<span class="name">+442079460321</span> <span class="ident">inbound</span>' in row
    assert "Mute +442079460321" in row
    # A label stays the name; the number, direction and caller name are shown with it.
    row = row_html(html, demo.call_sid(ONBOARDING, "customer:Northwind IT"))
    assert '<span class="name">customer:Northwind IT</span>' in row
    assert '<span class="ident">+12065550187 · inbound · NORTHWIND TRADERS</span>' in row
    # A dial-out shows whom it dialled.
    row = row_html(html, demo.call_sid(ONBOARDING, "agent:erin"))
    assert '<span class="ident">client:erin · outbound</span>' in row


def test_an_open_page_gets_the_numbers_on_its_next_poll_and_polls_and_actions_never_fetch(
    supervisor_client, demo, seen, call_identity
):
    seen(BILLING)
    sid = demo.sid(BILLING)
    url = reverse("participant-table", args=[sid])
    version = supervisor_client.get(url, **HTMX)["X-Roster-Version"]
    call_identity.run()
    demo.simulator.reset_request_log()

    changed = supervisor_client.get(url, {"version": version}, **HTMX)
    assert changed.status_code == 200 and len(rows_in(changed)) == 3
    assert "+14155550101 · inbound" in changed.content.decode()
    newest = changed["X-Roster-Version"]
    assert supervisor_client.get(url, {"version": newest}, **HTMX).status_code == 204
    alice = demo.call_sid(BILLING, "agent:alice")
    supervisor_client.post(reverse("participant", args=[sid, alice]), {"action": "mute"}, **HTMX)
    supervisor_client.get(url, {"version": newest}, **HTMX)
    call_identity.run()
    assert fetch_calls(demo.simulator) == 0


def test_a_failed_fetch_leaves_the_call_sid_and_a_later_reconcile_brings_the_number(
    supervisor_client, demo, seen, call_identity, monkeypatch
):
    from conference_admin.live import identity

    seen(ONBOARDING)
    stranger = unlabelled(demo, ONBOARDING)
    demo.simulator.faults.inject(kind="error", operation="FetchCall", count=100)
    call_identity.run()
    page = reverse("conference-detail", args=[demo.sid(ONBOARDING)])
    assert f'<span class="name">{stranger}</span>' in supervisor_client.get(page).content.decode()
    demo.simulator.faults.clear()

    later = time.time() + identity.RETRY_SECONDS + 1
    monkeypatch.setattr(identity, "_now", lambda: later)  # the backoff has passed

    cache.delete(f"roster:{demo.sid(ONBOARDING)}:lease")  # the next reader reconciles
    supervisor_client.get(page)
    call_identity.run()
    assert '<span class="name">+442079460321</span>' in supervisor_client.get(page).content.decode()


def test_a_row_with_its_identity_stays_within_the_byte_budget(supervisor_client, demo, seen, call_identity):
    seen(ESCALATION)
    call_identity.run()
    html = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    row = row_html(html, demo.call_sid(ESCALATION, "agent:carol"))
    assert "client:carol · outbound" in row
    assert len(row.encode()) <= ROW_BUDGET, len(row.encode())
    # Every row of a conference with caller names and international numbers, on average.
    seen(ONBOARDING)
    call_identity.run()
    html = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ONBOARDING)])).content.decode()
    listed = demo.simulator.list_participants(demo.simulator.account_sid, demo.sid(ONBOARDING))
    sizes = [len(row_html(html, p.call_sid).encode()) for p in listed]
    assert html.count('class="ident"') == 3
    assert max(sizes) <= ROW_BUDGET + 256 and sum(sizes) / len(sizes) <= ROW_BUDGET, sizes


def listed(client, query) -> set[str]:
    html = client.get(reverse("conference-list"), {"q": query}).content.decode()
    return set(re.findall(r'id="open-(CF[0-9a-f]{32})"', html))


def test_the_conference_filter_finds_a_participant_by_number(supervisor_client, demo, call_identity):
    listed(supervisor_client, "")  # the list reads every roster; the identities follow
    call_identity.run()
    onboarding, billing = demo.sid(ONBOARDING), demo.sid(BILLING)
    assert listed(supervisor_client, "+442079460321") == {onboarding}  # an unlabelled caller
    assert listed(supervisor_client, "(206) 555-0187") == {onboarding}  # typed with punctuation
    assert listed(supervisor_client, "2065550187") == {onboarding}
    assert listed(supervisor_client, "client:alice") == {billing}  # whom a dial-out rang
    assert listed(supervisor_client, "Northwind IT") == {onboarding}  # a label
    assert listed(supervisor_client, "999 999 9999") == set()
    assert len(listed(supervisor_client, "")) == 5
