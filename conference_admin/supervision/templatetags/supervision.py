"""Tags the dashboard's own templates use at their marked supervision spots.

Both read what they need once per render (memoised in `render_context`): the in-flight
markers of one conference (one cache read) and the alerts of every listed conference
(one cache read each and one query for all).
"""

from __future__ import annotations

from django import template

from .. import inflight

register = template.Library()


@register.inclusion_tag("supervision/_row_marks.html", takes_context=True)
def supervision_row_marks(context, row):
    """Actions another supervisor has in flight on this row ("mute by sam, in flight")."""
    request = context.get("request")
    # Read once per request (the table renders many rows), not once per row.
    loaded = getattr(request, "_supervision_inflight", None) if request is not None else None
    if loaded is None or loaded[0] != row.conference_sid:
        loaded = (row.conference_sid, inflight.load(row.conference_sid))
        if request is not None:
            request._supervision_inflight = loaded
    me = request.user.get_username() if request is not None else ""
    # A marker older than the row's last recorded result belongs to an action already answered.
    markers = [m for m in loaded[1].get(row.call_sid, []) if m.actor != me and m.started > row.recorded_at]
    return {"row": row, "markers": markers}


@register.inclusion_tag("supervision/_conference_alerts.html")
def supervision_conference_alerts(summary):
    """This conference's alerts on the conferences page: computed with the list (one query for
    all), by the same rules as the conference page's."""
    return {"alerts": summary.alerts, "conference_sid": summary.conference.sid}
