"""The model backend with the user row and permission set kept in Django's cache.

The dashboard's table refresh is polled every few seconds by every supervisor; with sessions
in the cache too, a warm authenticated request reads the cache only. Entries live
`AUTH_CACHE_SECONDS` and are dropped on any change to users, groups or permissions
(`conference_admin/access/signals.py`); a bulk `QuerySet.update()` bypasses the signals and is
bounded by the timeout.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

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


def permissions_key(user_id, generation: str) -> str:
    return f"auth:perms:{generation}:{user_id}"


def forget_user(user_id) -> None:
    cache.delete_many([user_key(user_id), permissions_key(user_id, _generation())])


def forget_everyone() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        key = user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            cache.set(key, user, settings.AUTH_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = permissions_key(user_obj.pk, _generation())
            permissions = cache.get(key)
            if permissions is None:
                permissions = super().get_all_permissions(user_obj)
                cache.set(key, permissions, settings.AUTH_CACHE_SECONDS)
            user_obj._perm_cache = permissions
        return user_obj._perm_cache
