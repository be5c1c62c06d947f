"""Role groups are the Admins' once created: an edit survives migrate, create_roles and role
assignment; only an explicit `create_roles --reset` puts the defaults back."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from conference_admin.access.roles import ADD, PAUSE_RECORDINGS, ROLE_PERMISSIONS, SUPERVISOR, assign_role


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _names(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def _edit_supervisor() -> set[str]:
    """What an Admin does in Django admin: take pausing away from Supervisors, let them dial out."""
    group = Group.objects.get(name=SUPERVISOR)
    group.permissions.remove(_permission(PAUSE_RECORDINGS))
    group.permissions.add(_permission(ADD))
    edited = _names(group)
    assert PAUSE_RECORDINGS not in edited and ADD in edited
    return edited


@pytest.mark.django_db(transaction=True)
def test_an_admins_edit_survives_migrate_and_role_assignment(django_user_model):
    assert _names(Group.objects.get(name=SUPERVISOR)) == set(ROLE_PERMISSIONS[SUPERVISOR])
    edited = _edit_supervisor()

    call_command("migrate", verbosity=0, interactive=False)
    assert _names(Group.objects.get(name=SUPERVISOR)) == edited

    user = django_user_model.objects.create_user("sam")
    assign_role(user, SUPERVISOR)
    assert _names(Group.objects.get(name=SUPERVISOR)) == edited
    user = django_user_model.objects.get(pk=user.pk)
    assert user.has_perm(ADD) and not user.has_perm(PAUSE_RECORDINGS)

    call_command("create_roles", stdout=StringIO())
    assert _names(Group.objects.get(name=SUPERVISOR)) == edited


@pytest.mark.django_db
def test_reset_is_explicit_and_a_deleted_role_comes_back_with_its_defaults():
    _edit_supervisor()
    call_command("create_roles", "--reset", stdout=StringIO())
    assert _names(Group.objects.get(name=SUPERVISOR)) == set(ROLE_PERMISSIONS[SUPERVISOR])

    Group.objects.get(name=SUPERVISOR).delete()
    call_command("create_roles", stdout=StringIO())
    assert _names(Group.objects.get(name=SUPERVISOR)) == set(ROLE_PERMISSIONS[SUPERVISOR])


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_grants_new_permissions_to_existing_role_groups_once():
    """Groups made before `move_participants` and the transcript permissions existed are never
    reset, so migrations 0005 and 0006 grant them, once; a later edit taking one away survives
    the next migrate."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from conference_admin.access.roles import ADMIN, LEAD, MOVE, START_TRANSCRIPTS, VIEW_TRANSCRIPTS

    def migrate(target: str) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("access", target)])

    newer = {MOVE, VIEW_TRANSCRIPTS, START_TRANSCRIPTS}
    migrate("0004_directory_account")
    for role in (SUPERVISOR, LEAD, ADMIN):  # as groups made before 0005 were
        for dotted in newer:
            Group.objects.get(name=role).permissions.remove(_permission(dotted))
    migrate("0006_transcript_permissions")
    for role in (SUPERVISOR, LEAD, ADMIN):
        assert _names(Group.objects.get(name=role)) & newer == set(ROLE_PERMISSIONS[role]) & newer, role

    Group.objects.get(name=LEAD).permissions.remove(_permission(MOVE))  # an Admin's edit
    call_command("migrate", verbosity=0, interactive=False)
    assert MOVE not in _names(Group.objects.get(name=LEAD))
