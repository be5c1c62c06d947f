"""The table's "updated" stamp is when Twilio last listed the participants, not when the page
was drawn: after a failed listing it still names the last good one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from conference_admin.live import roster as rosters

from .conftest import ESCALATION

HTMX = {"HTTP_HX_REQUEST": "true"}


def _updated(html: str) -> str:
    found = re.search(r'updated <time[^>]* datetime="([^"]+)">', html)
    assert found, html[:2000]
    return found.group(1)


def test_updated_is_the_last_successful_listing(supervisor_client, demo):
    sid = demo.sid(ESCALATION)
    before = timezone.now().replace(microsecond=0)
    page = supervisor_client.get(reverse("conference-detail", args=[sid])).content.decode()
    listed = datetime.fromisoformat(_updated(page))
    assert before <= listed <= timezone.now()  # the page's own load listed them

    # The last good listing was an hour ago, the latest one failed (the lease taken by the page
    # load keeps the poll from listing again).
    long_ago = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)

    def listing_failed_since(roster, version):
        roster.reconciled_at = long_ago.timestamp()
        roster.last_error = "Twilio did not answer in time."
        return True

    version = rosters.current_version(sid)
    rosters.mutate(sid, listing_failed_since)
    answer = supervisor_client.get(reverse("participant-table", args=[sid]), {"version": version}, **HTMX)
    html = answer.content.decode()
    assert answer.status_code == 200 and "Showing the last known state" in html
    assert datetime.fromisoformat(_updated(html)) == long_ago.astimezone(UTC)
    assert long_ago.astimezone(timezone.get_current_timezone()).strftime("%H:%M:%S") in html


def test_a_roster_never_listed_claims_no_update_time(supervisor_client, demo):
    sid = demo.sid(ESCALATION)
    supervisor_client.get(reverse("conference-detail", args=[sid]))

    def never_listed(roster, version):
        roster.reconciled_at = None
        return True

    rosters.mutate(sid, never_listed)
    html = supervisor_client.get(reverse("participant-table", args=[sid]), **HTMX).content.decode()
    assert "roster-status-line" in html and "updated <time" not in html
