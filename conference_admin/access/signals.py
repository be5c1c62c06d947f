"""Receivers: the role groups after every migrate, auth cache invalidation, and sign-ins told
to other apps (`events`)."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in, user_login_failed
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import directory, events
from .backends import forget_everyone, forget_user
from .roles import ensure_roles


def create_roles_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    """A fresh database (and a test database after each flush) always has the four groups.

    Runs once per migrate, for the last app: by then every app's permissions exist (Django
    creates them in its own post_migrate receivers, app by app).
    """
    last = [config for config in django_apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label == last.label:
        ensure_roles(using=using)


def _user_changed(sender, instance, **kwargs) -> None:
    forget_user(instance.pk)


def _user_memberships_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        forget_user(instance.pk)
    else:
        # A group or permission gained or lost users (or, on clear, all of them).
        forget_everyone()


def _definitions_changed(sender, **kwargs) -> None:
    action = kwargs.get("action")
    if action is None or action.startswith("post_"):
        forget_everyone()


def _signed_in(sender, request, user, **kwargs) -> None:
    source = directory.source_of_backend(getattr(user, "backend", "") or "")
    if request is not None and source != directory.LOCAL:
        directory.mark_session(request, source)
    if getattr(user, directory.AUTHENTICATED, False):  # not a force_login
        events.signed_in.send(sender=_signed_in, user=user, source=source)


def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Every failed `authenticate()`: a wrong password, a backend's refusal with its reason, or an
    OpenID Connect callback whose answer was not accepted (its credentials carry no username)."""
    oidc = "username" not in credentials
    reason = getattr(request, directory.REFUSED_REASON, None) or (
        directory.OIDC_NOT_ACCEPTED if oidc else directory.WRONG_CREDENTIALS
    )
    source = getattr(request, directory.REFUSED_SOURCE, None) or (
        directory.OIDC if oidc else directory.LDAP if settings.LDAP_ENABLED else directory.LOCAL
    )
    username = str(credentials.get("username") or getattr(request, "sign_in_refused_username", "") or "")
    events.sign_in_refused.send(sender=_sign_in_failed, username=username, source=source, reason=reason)


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(_signed_in, dispatch_uid="access-signed-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="access-sign-in-failed")
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="access-user-saved")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="access-user-deleted")
    m2m_changed.connect(_user_memberships_changed, sender=user_model.groups.through, dispatch_uid="access-user-groups")
    m2m_changed.connect(
        _user_memberships_changed, sender=user_model.user_permissions.through, dispatch_uid="access-user-perms"
    )
    m2m_changed.connect(_definitions_changed, sender=Group.permissions.through, dispatch_uid="access-group-perms")
    for model in (Group, Permission):
        post_save.connect(_definitions_changed, sender=model, dispatch_uid=f"access-{model.__name__}-saved")
        post_delete.connect(_definitions_changed, sender=model, dispatch_uid=f"access-{model.__name__}-deleted")
