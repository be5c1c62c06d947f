from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from conference_admin.access.roles import VIEW, VIEW_AUDIT

from . import roster as rosters
from .timeline import conference_timeline


@require_GET
@permission_required(VIEW, raise_exception=True)
def timeline(request, conference_sid: str):
    known = rosters.load(conference_sid)
    names = known.names() if known else {}
    conference = known.conference if known else None
    context = {
        "conference_sid": conference_sid,
        "items": conference_timeline(
            conference_sid,
            names=names,
            friendly_name=conference.friendly_name or "" if conference else "",
            since=conference.date_created if conference else None,
        ),
        "can_view_audit": request.user.has_perm(VIEW_AUDIT),
    }
    return render(request, "live/timeline.html", context)
