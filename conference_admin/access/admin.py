"""Django admin's user and group pages, limited to what the signed-in account may grant.

An Admin manages accounts and groups, but never grants itself or anyone more than it holds,
and never touches an account or group that holds more (superusers included): those are not
listed, their pages (change, password, delete) are refused, `is_superuser` is not offered, and
the permission and group choices are what the Admin itself holds (conference_admin/access/grants.py).
A superuser is not limited.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .grants import grantable_groups, grantable_permissions, manageable_users, may_manage_group, may_manage_user

User = get_user_model()
SUPERUSER_ONLY_FIELDS = ("is_superuser",)


def _limited(request) -> bool:
    return not (request.user.is_active and request.user.is_superuser)


admin.site.unregister(User)
admin.site.unregister(Group)


class _Limited(admin.ModelAdmin):
    """An account or group the signed-in Admin may not manage (`_may_manage`) is neither changed
    nor deleted; without one (the list and add pages) Django's own permissions decide."""

    def _may_manage(self, request, obj) -> bool:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self._may_manage(request, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or self._may_manage(request, obj))


@admin.register(User)
class LimitedUserAdmin(_Limited, UserAdmin):
    def get_queryset(self, request):
        return manageable_users(request.user, super().get_queryset(request))

    def _may_manage(self, request, obj) -> bool:
        return may_manage_user(request.user, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not _limited(request):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return [f for f in filters if f not in SUPERUSER_ONLY_FIELDS] if _limited(request) else filters

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "user_permissions":
            kwargs["queryset"] = grantable_permissions(request.user)
        elif db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


@admin.register(Group)
class LimitedGroupAdmin(_Limited, GroupAdmin):
    def get_queryset(self, request):
        return grantable_groups(request.user, super().get_queryset(request))

    def _may_manage(self, request, obj) -> bool:
        return may_manage_group(request.user, obj)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = grantable_permissions(request.user)
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)
