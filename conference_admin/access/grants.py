"""What an account may grant: never more than it holds itself.

An account "holds" the permissions it has directly or through its groups (a superuser holds
every permission). It may grant only permissions it holds, put people only into groups whose
permissions it holds, and act only on accounts (and groups) that hold nothing beyond that.
Django admin's user and group pages apply this (conference_admin/access/admin.py).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

_HELD_IDS = "_held_permission_ids"


def held_permission_ids(actor) -> frozenset[int] | None:
    """The ids of the permissions `actor` holds; None for a superuser (everything)."""
    if actor.is_active and actor.is_superuser:
        return None
    if not hasattr(actor, _HELD_IDS):
        wanted = {tuple(name.split(".", 1)) for name in actor.get_all_permissions()}
        candidates = Permission.objects.filter(codename__in=[codename for _, codename in wanted]).values_list(
            "pk", "content_type__app_label", "codename"
        )
        ids = frozenset(pk for pk, app_label, codename in candidates if (app_label, codename) in wanted)
        setattr(actor, _HELD_IDS, ids)
    return getattr(actor, _HELD_IDS)


def grantable_permissions(actor) -> QuerySet[Permission]:
    held = held_permission_ids(actor)
    permissions = Permission.objects.all() if held is None else Permission.objects.filter(pk__in=held)
    return permissions.select_related("content_type")


def _beyond(actor) -> QuerySet[Permission] | None:
    held = held_permission_ids(actor)
    return None if held is None else Permission.objects.exclude(pk__in=held)


def grantable_groups(actor, groups: QuerySet[Group] | None = None) -> QuerySet[Group]:
    """Groups holding nothing beyond what `actor` holds."""
    groups = Group.objects.all() if groups is None else groups
    beyond = _beyond(actor)
    return groups if beyond is None else groups.exclude(permissions__in=beyond)


def manageable_users(actor, users: QuerySet | None = None) -> QuerySet:
    """Accounts holding nothing beyond what `actor` holds (never a superuser, unless `actor` is one)."""
    users = get_user_model().objects.all() if users is None else users
    beyond = _beyond(actor)
    if beyond is None:
        return users
    return users.exclude(is_superuser=True).exclude(user_permissions__in=beyond).exclude(groups__permissions__in=beyond)


def may_manage_user(actor, user) -> bool:
    return manageable_users(actor, get_user_model().objects.filter(pk=user.pk)).exists()


def may_manage_group(actor, group: Group) -> bool:
    return grantable_groups(actor, Group.objects.filter(pk=group.pk)).exists()
