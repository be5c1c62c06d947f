"""Clock text: how a duration reads on every page, in every alert and in History.

Imports nothing of ours (any app may use it). The templates' `clock` and `age` filters
(`conference_admin/pagetags.py`) call these.
"""

from datetime import timedelta


def clock_text(delta: timedelta) -> str:
    """A duration as m:ss, or h:mm:ss from an hour on."""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def clock(value: timedelta | None) -> str:
    """A duration as m:ss, or h:mm:ss from an hour on; an em dash when unknown."""
    return "—" if value is None else clock_text(value)


def age_text(value: timedelta | None) -> str:
    """A coarse age for the conference list: 45s, 12m, 3h 05m."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
