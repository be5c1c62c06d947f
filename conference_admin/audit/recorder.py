"""Recording moderation attempts: exactly one record per attempt, whatever happens.

    with audit_attempt(actor=user, action="mute", conference_sid=..., participant_sid=...) as attempt:
        participant = client.update_participant(...)
        attempt.succeeded(request_id=participant.request_id)

Leaving the block by a `TwilioError` records `failed` (with Twilio's code) or `unknown`
(the request may have been applied) and re-raises; leaving it normally without calling
`succeeded()` records `ok`.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from conference_admin.twilio import TwilioApiError, TwilioError

from .models import AuditRecord

REDACTED = "[redacted]"
SECRET_WORDS = ("password", "token", "secret", "auth")


def redact(parameters: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in parameters.items():
        if value is None:
            continue
        if any(word in key.lower() for word in SECRET_WORDS):
            clean[key] = REDACTED
        elif isinstance(value, (str, int, float, bool)) or value is None:
            clean[key] = value
        elif isinstance(value, (list, tuple)):
            clean[key] = [str(item) for item in value]
        else:
            clean[key] = str(value)
    return clean


class Attempt:
    def __init__(self) -> None:
        self.request_id = ""
        self.participant_sid = ""
        self.participant_label = ""
        self.record: AuditRecord | None = None

    def succeeded(
        self, *, request_id: str | None = None, participant_sid: str | None = None, participant_label: str | None = None
    ) -> None:
        self.request_id = request_id or ""
        if participant_sid:
            self.participant_sid = participant_sid
        if participant_label:
            self.participant_label = participant_label


def _attach(error: TwilioError, record: AuditRecord) -> None:
    """The failed attempt's record travels with the error, so whoever handles the error can settle an
    `unknown` outcome later (read back as `getattr(error, "audit_record", None)`)."""
    # An attribute the audit trail adds; the Twilio client (no Django) does not declare it.
    error.audit_record = record  # type: ignore[attr-defined]  # read back to settle an unknown outcome


def _username(actor) -> str:
    return getattr(actor, "get_username", lambda: "")() or "system"


@contextmanager
def audit_attempt(
    *,
    actor,
    action: str,
    conference_sid: str,
    participant_sid: str = "",
    participant_label: str = "",
    parameters: dict[str, Any] | None = None,
):
    attempt = Attempt()
    base = {
        "actor": actor if getattr(actor, "pk", None) else None,
        "actor_username": _username(actor),
        "conference_sid": conference_sid,
        "action": action,
        "parameters": redact(parameters or {}),
    }
    try:
        yield attempt
    except TwilioApiError as exc:
        attempt.record = AuditRecord.objects.create(
            **base,
            participant_sid=participant_sid,
            participant_label=participant_label,
            outcome=AuditRecord.Outcome.UNKNOWN if exc.outcome_unknown else AuditRecord.Outcome.FAILED,
            error_code=exc.code if exc.code is not None else exc.status,
            error_message=exc.message[:2000],
            twilio_request_id=exc.request_id or "",
        )
        _attach(exc, attempt.record)
        raise
    except TwilioError as exc:
        attempt.record = AuditRecord.objects.create(
            **base,
            participant_sid=participant_sid,
            participant_label=participant_label,
            outcome=AuditRecord.Outcome.UNKNOWN if exc.outcome_unknown else AuditRecord.Outcome.FAILED,
            error_message=exc.message[:2000],
            twilio_request_id=getattr(exc, "request_id", None) or "",
        )
        _attach(exc, attempt.record)
        raise
    else:
        attempt.record = AuditRecord.objects.create(
            **base,
            participant_sid=attempt.participant_sid or participant_sid,
            participant_label=attempt.participant_label or participant_label,
            outcome=AuditRecord.Outcome.OK,
            twilio_request_id=attempt.request_id,
        )


def audit_resolution(record: AuditRecord, *, outcome: str, message: str = "", request_id: str = "") -> AuditRecord:
    """Settle an `unknown` attempt once the truth has been read back; the original stays as written."""
    return AuditRecord.objects.create(
        actor=record.actor,
        actor_username=record.actor_username,
        conference_sid=record.conference_sid,
        participant_sid=record.participant_sid,
        participant_label=record.participant_label,
        action=record.action,
        parameters=record.parameters,
        outcome=outcome,
        error_message=message,
        twilio_request_id=request_id,
        resolves=record,
    )
