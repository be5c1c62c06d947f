from datetime import timedelta

from django import template

from conference_admin.dashboard.rows import ATTENTION_RANKS
from conference_admin.live.alerts import AGENT, CUSTOMER, SUPERVISOR, clock_text

register = template.Library()


@register.filter
def clock(value: timedelta | None) -> str:
    """A duration as m:ss, or h:mm:ss from an hour on; an em dash when unknown."""
    return "—" if value is None else clock_text(value)


@register.filter
def age(value: timedelta | None) -> str:
    """A coarse age for the conference list: 45s, 12m, 3h 05m."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


@register.filter
def described(bound_field):
    """Render a form field's widget pointing `aria-describedby` at its help text and errors."""
    ids = []
    if bound_field.help_text:
        ids.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        ids.append(f"{bound_field.auto_id}_error")
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def attention_ranks() -> int:
    """Rows whose rank (ParticipantRow.rank) is below this need a supervisor's attention."""
    return ATTENTION_RANKS


@register.simple_tag
def participant_roles() -> tuple[tuple[str, str], ...]:
    """The roles a conference page groups its rows by, in order, with their headings."""
    return ((CUSTOMER, "Customers"), (AGENT, "Agents"), (SUPERVISOR, "Supervisors"))
