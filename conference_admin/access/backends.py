"""The model backend with the user row and permission set kept in Django's cache.

The dashboard's table refresh is polled every few seconds by every supervisor; with sessions
in the cache too, a warm authenticated request reads the cache only. Entries live
`AUTH_CACHE_SECONDS` and are dropped on any change to users, groups or permissions
(`conference_admin/access/signals.py`); a bulk `QuerySet.update()` bypasses the signals and is
bounded by the timeout.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from .directory import LOCAL, LOCAL_SIGN_IN_OFF, authenticated, refuse

GENERATION_KEY = "auth:generation"


def _generation() -> str:
    """A token that changes whenever group or permission definitions change (all users at once)."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(GENERATION_KEY, generation, None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def user_key(user_id) -> str:
    return f"auth:user:{user_id}"


def permissions_key(user_id) -> str:
    return f"auth:perms:{user_id}"


PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")


def forget_user(user_id) -> None:
    cache.delete_many([user_key(user_id), permissions_key(user_id)])


def forget_everyone() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


class CachedModelBackend(ModelBackend):
    """The user row, and its permission set with the generation it was computed under: a warm
    request reads both and the current generation in ONE round trip."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """A local (password) sign-in; with LOCAL_SIGN_IN_USERS set, only for those accounts."""
        allowed = settings.LOCAL_SIGN_IN_USERS
        if allowed is not None and username is not None and username not in allowed:
            if not settings.LDAP_ENABLED:  # else the name may be a directory account's: LDAP answers
                refuse(request, source=LOCAL, reason=LOCAL_SIGN_IN_OFF)
            return None
        return authenticated(super().authenticate(request, username=username, password=password, **kwargs))

    def get_user(self, user_id):
        keys = user_key(user_id), permissions_key(user_id)
        found = cache.get_many([*keys, GENERATION_KEY])
        generation = found.get(GENERATION_KEY) or _generation()
        user: Any = found.get(keys[0])  # a cached User, with our two attributes set below
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            cache.set(keys[0], user, settings.AUTH_CACHE_SECONDS)
        for name in PERMISSION_CACHES:
            user.__dict__.pop(name, None)
        computed_under, permissions = found.get(keys[1], (None, None))
        if computed_under == generation:
            user._perm_cache = permissions
        user._auth_generation = generation
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            generation = getattr(user_obj, "_auth_generation", None) or _generation()
            permissions = super().get_all_permissions(user_obj)
            cache.set(permissions_key(user_obj.pk), (generation, permissions), settings.AUTH_CACHE_SECONDS)
            user_obj._perm_cache = permissions
        return user_obj._perm_cache


class DirectoryBackend:
    """What both directory sign-ins' backends (`directory_oidc`, `directory_ldap`) answer alike,
    put before the library's backend: sessions they signed in load their user (and permissions)
    through `CachedModelBackend`, as every other session does, and they grant no permission
    themselves (a role is a group, which the model backend reads)."""

    def get_user(self, user_id):
        return CachedModelBackend().get_user(user_id)

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()
