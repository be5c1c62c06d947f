"""A page that skipped a busy row's update still advances its version; it names the row it
kept (`?behind=`) and gets that row again, and only that row."""

from __future__ import annotations

import re

from django.urls import reverse

from .conftest import ESCALATION

HTMX = {"HTTP_HX_REQUEST": "true"}


def rows_in(response) -> set[str]:
    return set(re.findall(r'<tr id="participant-(CA[0-9a-f]{32})"', response.content.decode()))


def test_a_row_kept_behind_is_resent_until_taken(supervisor_client, demo, seen):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    url = reverse("participant-table", args=[sid])
    version = supervisor_client.get(url, **HTMX)["X-Roster-Version"]
    supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    changed = supervisor_client.get(url, {"version": version}, **HTMX)
    assert changed.status_code == 200 and rows_in(changed) == {carol}
    newest = changed["X-Roster-Version"]  # the page advances although carol's row was busy
    assert supervisor_client.get(url, {"version": newest}, **HTMX).status_code == 204
    again = supervisor_client.get(url, {"version": newest, "behind": f"{carol},not-a-sid"}, **HTMX)
    assert again.status_code == 200 and rows_in(again) == {carol}
    assert again["X-Roster-Version"] == newest
