"""Sign-ins on the audit trail: who signed in, who was refused and why, and what the directory
changed, each with its source (oidc, ldap, local). Receivers of `access.events`, connected in
`AuditConfig.ready`; a record that cannot be written is logged and never stops a sign-in."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError

from conference_admin.access import events

from .models import AuditRecord

log = logging.getLogger(__name__)

SIGN_IN = "sign-in"
SIGN_IN_REFUSED = "sign-in-refused"
DIRECTORY_ROLE_CHANGE = "directory-role-change"
DIRECTORY_SIGN_OUT = "directory-sign-out"


def _write(*, user=None, username: str = "", action: str, outcome: str, parameters: dict[str, Any]) -> None:
    try:
        AuditRecord.objects.create(
            actor=user if getattr(user, "pk", None) else None,
            actor_username=(user.get_username() if user is not None else username)[:150] or "unknown",
            conference_sid="",
            action=action,
            parameters=parameters,
            outcome=outcome,
        )
    except DatabaseError as error:
        log.error("audit record of %s (%s) not written: %s", action, parameters, error)


def _signed_in(sender, user, source, **kwargs) -> None:
    _write(user=user, action=SIGN_IN, outcome=AuditRecord.Outcome.OK, parameters={"source": source})


def _refused(sender, username, source, reason, **kwargs) -> None:
    _write(
        username=username,
        action=SIGN_IN_REFUSED,
        outcome=AuditRecord.Outcome.FAILED,
        parameters={"source": source, "reason": reason},
    )


def _role_changed(sender, user, source, before, after, **kwargs) -> None:
    _write(
        user=user,
        action=DIRECTORY_ROLE_CHANGE,
        outcome=AuditRecord.Outcome.OK,
        parameters={"source": source, "before": before or "", "after": after},
    )


def _signed_out(sender, user, source, reason, **kwargs) -> None:
    _write(
        user=user,
        action=DIRECTORY_SIGN_OUT,
        outcome=AuditRecord.Outcome.OK,
        parameters={"source": source, "reason": reason},
    )


def connect() -> None:
    events.signed_in.connect(_signed_in, dispatch_uid="audit-signed-in")
    events.sign_in_refused.connect(_refused, dispatch_uid="audit-sign-in-refused")
    events.directory_role_changed.connect(_role_changed, dispatch_uid="audit-directory-role-changed")
    events.directory_signed_out.connect(_signed_out, dispatch_uid="audit-directory-signed-out")
