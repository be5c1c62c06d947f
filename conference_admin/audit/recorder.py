"""Recording moderation attempts: exactly one record per attempt, written BEFORE the attempt.

    with audit_attempt(actor=user, action="mute", conference_sid=..., participant_sid=...) as attempt:
        participant = client.update_participant(...)
        attempt.succeeded(request_id=participant.request_id)

Entering the block writes the record as `pending`; if it cannot be written the block raises
`AuditUnavailable` and its body (the Twilio call) never runs. Leaving the block by a
`TwilioError` settles the record `failed` (with Twilio's code) or `unknown` (the request may
have been applied) and re-raises; leaving it normally settles it `ok`. A record whose
settling fails (the database went away meanwhile) stays `pending`: the attempt is on the
trail, its outcome is not, and the action's answer is not lost to that.

Bulk actions write all their pending records at once (`audit_begin_many`) before any call,
then settle each with `audit_settling`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Required, TypedDict, Unpack

from django.db import DatabaseError, transaction

from conference_admin import request_id as request_ids
from conference_admin.twilio import TwilioApiError, TwilioError

from .models import AppendOnlyError, AuditRecord
from .signals import attempt_settled

log = logging.getLogger(__name__)

AUDIT_UNAVAILABLE = "The audit trail is unavailable: nothing was changed."


class AuditUnavailable(TwilioError):
    """The attempt's record could not be written, so the call to Twilio was never made.

    A `TwilioError` (never an unknown outcome) because it stands where the Twilio call would
    have failed: every caller that answers a failed call inline, with nothing changed and
    never a 500, answers this one the same way."""

    def __init__(self) -> None:
        super().__init__(AUDIT_UNAVAILABLE)


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
    """What the body of `audit_attempt` tells the record (Twilio's request id, the SID it learnt)."""

    def __init__(self, record: AuditRecord | None = None) -> None:
        self.request_id = ""
        self.participant_sid = ""
        self.participant_label = ""
        self.record = record

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


class AttemptFields(TypedDict, total=False):
    """What an attempt's record says before the call: the keywords of `audit_attempt` and
    `audit_begin`, one dict of `audit_begin_many`'s list."""

    actor: Required[Any]  # the user who acts (an anonymous one or None is written as "system")
    action: Required[str]
    conference_sid: Required[str]
    participant_sid: str
    participant_label: str
    parameters: dict[str, Any] | None


def _pending(**attempt: Unpack[AttemptFields]) -> AuditRecord:
    unknown = attempt.keys() - AttemptFields.__annotations__.keys()
    if unknown:  # a misspelled field would silently go unrecorded
        raise TypeError(f"not an audit field: {', '.join(sorted(unknown))}")
    actor = attempt["actor"]
    return AuditRecord(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_username=_username(actor),
        conference_sid=attempt["conference_sid"],
        action=attempt["action"],
        parameters=redact(attempt.get("parameters") or {}),
        participant_sid=attempt.get("participant_sid", ""),
        participant_label=attempt.get("participant_label", ""),
        outcome=AuditRecord.Outcome.PENDING,
        request_id=request_ids.current(),
    )


def audit_begin(**attempt: Unpack[AttemptFields]) -> AuditRecord:
    """Write one attempt's record as `pending`; raise
    `AuditUnavailable` when it cannot be written."""
    return audit_begin_many([attempt])[0]


def _contained():
    """Inside a caller's transaction, a failed audit write must not spoil it: a savepoint. In
    autocommit (every request) a write is one statement and needs nothing around it."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


def audit_begin_many(attempts: list[AttemptFields]) -> list[AuditRecord]:
    """Write several attempts' records as `pending` in one statement: all of them, or none
    and `AuditUnavailable`."""
    records = [_pending(**attempt) for attempt in attempts]
    try:
        with _contained():
            if len(records) == 1:
                AuditRecord.objects.add(records[0])
            else:
                records = AuditRecord.objects.bulk_create(records)
    except DatabaseError as error:
        log.warning("audit trail unavailable, nothing sent to Twilio: %s", error)
        raise AuditUnavailable() from error
    return records


def _settle(record: AuditRecord, **fields: Any) -> None:
    attempt_settled.send(AuditRecord, action=record.action, outcome=fields["outcome"])
    try:
        with _contained():
            AuditRecord.objects.settle(record, **fields)
    except DatabaseError as error:
        log.error("audit record %s stays pending (%s %s): %s", record.pk, record.action, fields.get("outcome"), error)
    except AppendOnlyError:
        # Settled from Twilio's state meanwhile (dashboard/settle.py): this attempt outlived
        # AUDIT_SETTLE_AFTER_SECONDS. The trail keeps that settling; the answer is not lost.
        log.warning("audit record %s was settled meanwhile; this attempt ended %s", record.pk, fields.get("outcome"))


@contextmanager
def audit_settling(record: AuditRecord) -> Iterator[Attempt]:
    """Settle a record written by `audit_begin(_many)` by how the block ends (see the module doc)."""
    attempt = Attempt(record)
    try:
        yield attempt
    except TwilioApiError as exc:
        _settle(
            record,
            outcome=AuditRecord.Outcome.UNKNOWN if exc.outcome_unknown else AuditRecord.Outcome.FAILED,
            error_code=exc.code if exc.code is not None else exc.status,
            error_message=exc.message[:2000],
            twilio_request_id=exc.request_id or "",
        )
        _attach(exc, record)
        raise
    except TwilioError as exc:
        _settle(
            record,
            outcome=AuditRecord.Outcome.UNKNOWN if exc.outcome_unknown else AuditRecord.Outcome.FAILED,
            error_message=exc.message[:2000],
            twilio_request_id=getattr(exc, "request_id", None) or "",
        )
        _attach(exc, record)
        raise
    else:
        _settle(
            record,
            participant_sid=attempt.participant_sid or record.participant_sid,
            participant_label=attempt.participant_label or record.participant_label,
            outcome=AuditRecord.Outcome.OK,
            twilio_request_id=attempt.request_id,
        )


@contextmanager
def audit_attempt(**attempt: Unpack[AttemptFields]) -> Iterator[Attempt]:
    with audit_settling(audit_begin(**attempt)) as settling:
        yield settling


def audit_resolution(
    record: AuditRecord, *, outcome: str, message: str = "", request_id: str = ""
) -> AuditRecord | None:
    """Settle an `unknown` attempt once the truth has been read back; the original stays as written.
    None when the database cannot take it (the original keeps saying `unknown`)."""
    try:
        with _contained():
            return AuditRecord.objects.create(
                actor_id=record.actor_id,
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
                request_id=request_ids.current(),
            )
    except DatabaseError as error:
        log.error("resolution of audit record %s not written: %s", record.pk, error)
        return None
