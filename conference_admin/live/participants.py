"""Who is who in a conference: a participant's role (customer, agent or supervisor), read from
its label's prefix as configured by the single setting PARTICIPANT_ROLE_PREFIXES, and the
statuses of a participant not yet in the call. Pure: no storage, no clock.
"""

from django.conf import settings

CUSTOMER, AGENT, SUPERVISOR = "customer", "agent", "supervisor"
STAFF = (AGENT, SUPERVISOR)
PENDING_STATUSES = ("queued", "connecting", "ringing")


# The setting's prefixes, case-folded, per role (supervisor first: it is the more specific), with
# the setting's value they were made from (a row asks this of every participant).
_folded: tuple[object, tuple[tuple[str, tuple[str, ...]], ...]] = (None, ())


def _prefixes() -> tuple[tuple[str, tuple[str, ...]], ...]:
    global _folded
    configured = settings.PARTICIPANT_ROLE_PREFIXES
    if _folded[0] is not configured:
        roles = tuple((role, tuple(p.casefold() for p in configured.get(role, ()))) for role in (SUPERVISOR, AGENT))
        _folded = (configured, roles)
    return _folded[1]


def participant_role(label: str | None) -> str:
    """customer | agent | supervisor, from the label's prefix (case-insensitive)."""
    text = (label or "").casefold()
    for role, prefixes in _prefixes():
        if text.startswith(prefixes):
            return role
    return CUSTOMER


def is_staff(label: str | None) -> bool:
    return participant_role(label) in STAFF


def supervisor_prefix() -> str:
    """The prefix of a supervisor's own leg label (`supervisor:<username>`)."""
    return settings.PARTICIPANT_ROLE_PREFIXES[SUPERVISOR][0]


def supervisor_label(username: str) -> str:
    return f"{supervisor_prefix()}{username}"


def supervisor_username(label: str | None) -> str | None:
    """The username in a supervisor leg's label; None when the label is not one."""
    label = label or ""
    prefix = supervisor_prefix()
    return label[len(prefix) :] if label.casefold().startswith(prefix.casefold()) else None
