"""The conference pages' own template tags (`{% load dashboard %}`); the filters every app's
pages use (`clock`, `age`, `described`) are `{% load pages %}` (conference_admin/pagetags.py)."""

from django import template

from conference_admin.dashboard.rows import ATTENTION_RANKS
from conference_admin.live.participants import AGENT, CUSTOMER, SUPERVISOR

register = template.Library()


@register.simple_tag
def attention_ranks() -> int:
    """Rows whose rank (ParticipantRow.rank) is below this need a supervisor's attention."""
    return ATTENTION_RANKS


@register.simple_tag
def participant_roles() -> tuple[tuple[str, str], ...]:
    """The roles a conference page groups its rows by, in order, with their headings."""
    return ((CUSTOMER, "Customers"), (AGENT, "Agents"), (SUPERVISOR, "Supervisors"))
