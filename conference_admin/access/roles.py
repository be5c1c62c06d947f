"""The four roles and what each may do. Views check permissions, never role names.

The permission lists below are DEFAULTS: a role's group gets them when the group is created
(the first `migrate` of a database, or after an Admin deleted the group). From then on the group
belongs to the Admins: an edit in Django admin is kept across every `migrate`, every
`create_roles` and every role assignment. Only `manage.py create_roles --reset` puts the built-in
lists back, and only when someone asks for it. A later release that adds a permission to a
built-in role grants it to existing groups in a data migration of its own (once), so nothing an
Admin removed comes back by itself.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import Group, Permission

OBSERVER = "Observer"
SUPERVISOR = "Supervisor"
LEAD = "Lead"
ADMIN = "Admin"

VIEW = "access.view_conferences"
MODERATE = "access.moderate_participants"
ADD = "access.add_participants"
END = "access.end_conferences"
BULK = "access.bulk_actions"
PAUSE_RECORDINGS = "access.pause_recordings"
CONTROL_RECORDINGS = "access.control_recordings"
VIEW_TRANSCRIPTS = "access.view_transcripts"
START_TRANSCRIPTS = "access.start_transcripts"
MOVE = "access.move_participants"
VIEW_AUDIT = "audit.view_auditrecord"

_OBSERVER = [VIEW]
_SUPERVISOR = [*_OBSERVER, MODERATE, VIEW_AUDIT, PAUSE_RECORDINGS, VIEW_TRANSCRIPTS]
_LEAD = [*_SUPERVISOR, ADD, END, BULK, CONTROL_RECORDINGS, START_TRANSCRIPTS, MOVE]
# Admin also runs Django admin: users, groups and the configured pick lists.
_ADMIN = [
    *_LEAD,
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.delete_user",
    "auth.view_group",
    "auth.change_group",
    "dashboard.view_choice",
    "dashboard.add_choice",
    "dashboard.change_choice",
    "dashboard.delete_choice",
    # the phrases live transcripts are watched for (live/phrases.py)
    "live.view_phraserule",
    "live.add_phraserule",
    "live.change_phraserule",
    "live.delete_phraserule",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {OBSERVER: _OBSERVER, SUPERVISOR: _SUPERVISOR, LEAD: _LEAD, ADMIN: _ADMIN}
ROLE_IS_STAFF = {ADMIN}


def _permissions(dotted_names: list[str], using: str) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in dotted_names}
    candidates = (
        Permission.objects.using(using)
        .filter(codename__in=[codename for _, codename in wanted])
        .select_related("content_type")
    )
    return [p for p in candidates if (p.content_type.app_label, p.codename) in wanted]


def ensure_roles(using: str = "default", *, reset: bool = False) -> dict[str, Group]:
    """The four role groups: a missing one is created with its default permissions; an existing
    one is left as the Admins made it, unless `reset` (an explicit `create_roles --reset`)."""
    groups = {}
    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, created = Group.objects.using(using).get_or_create(name=role)
        if created or reset:
            group.permissions.set(_permissions(dotted_names, using))
        groups[role] = group
    return groups


def assign_role(user, role: str) -> None:
    """Make `role` the user's only role (creating the role's group with its defaults if missing)."""
    groups = ensure_roles()
    user.groups.set([groups[role]])
    user.is_staff = role in ROLE_IS_STAFF
    user.save(update_fields=["is_staff"])


def rights(user) -> str:
    """A short fingerprint of everything `user` may do now: a page rendered under other rights
    reloads itself (the poll answers HX-Refresh, the event stream sends `reload`)."""
    names = sorted(user.get_all_permissions()) if user.is_authenticated else []
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
