"""Tags the dashboard's templates use for what supervision shows.

Both only render what the view already built: the row's `in_flight` marks (read with the
roster, in the same cache round trip) and each listed conference's alerts.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("supervision/_row_marks.html")
def supervision_row_marks(row):
    """Actions another supervisor has in flight on this row ("mute by sam, in flight")."""
    return {"row": row, "markers": row.in_flight}


@register.inclusion_tag("supervision/_conference_alerts.html")
def supervision_conference_alerts(summary):
    """This conference's alerts on the conferences page: computed with the list (one query for
    all), by the same rules as the conference page's."""
    return {"alerts": summary.alerts, "conference_sid": summary.conference.sid}
