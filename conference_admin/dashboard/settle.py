"""Settling audit records whose outcome was lost: the process died between writing the record
and Twilio's answer (SIGKILL, an OOM, a gunicorn timeout), or the database refused the settling
write. Such a record stays `pending`; once older than `AUDIT_SETTLE_AFTER_SECONDS` (longer than
any live action can take) it is settled from what Twilio shows now:

- a participant action: the participant is fetched (by call SID, or by label for a dial-out);
  the row is written from it, which clears the participant's in-flight marks, and the record is
  `ok` when Twilio shows what was asked (muted for a mute, present for a dial-out, absent for a
  kick), `failed` when it does not, `unknown` when the parameters say nothing checkable;
- ending a conference: the conference is fetched, `ok` when it is completed;
- anything else (an announcement, a recording change): `unknown`, since Twilio's state does
  not tell.

The record's message says it was settled after its outcome was lost and what Twilio showed.
One Twilio read per record. `settle_pending()` is called by the ops app's periodic runner
(single-flight across processes) and by `manage.py settle_pending_audit`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from conference_admin.audit.models import AppendOnlyError, AuditRecord
from conference_admin.live import roster as rosters
from conference_admin.twilio import Participant, TwilioApiError, TwilioError

from .client import get_twilio_client

log = logging.getLogger(__name__)

LOST = "Settled after its outcome was lost (process failure or database outage): "
BATCH = 100


def _reads_back(record: AuditRecord, participant: Participant) -> tuple[str, str]:
    """Outcome and message for a participant Twilio still has."""
    if record.action == "kick":
        return AuditRecord.Outcome.FAILED, "Twilio shows the participant still in the conference."
    if not record.participant_sid:  # a dial-out, found by its label
        return AuditRecord.Outcome.OK, f"Twilio shows the call placed as {participant.call_sid}."
    asked: dict[str, Any] = record.parameters or {}
    checkable = {key: value for key, value in asked.items() if isinstance(value, bool) and hasattr(participant, key)}
    if not checkable:
        return AuditRecord.Outcome.UNKNOWN, "Twilio's state does not tell whether it was applied."
    shown = ", ".join(f"{key}={getattr(participant, key)}" for key in sorted(checkable))
    if all(getattr(participant, key) == value for key, value in checkable.items()):
        return AuditRecord.Outcome.OK, f"Twilio shows it applied ({shown})."
    return AuditRecord.Outcome.FAILED, f"Twilio shows it not applied, or changed since ({shown})."


def _participant(record: AuditRecord) -> tuple[str, str, str, str]:
    """(outcome, message, Twilio's request id, call SID) from the participant's current state."""
    conference_sid = record.conference_sid
    who = record.participant_sid or record.participant_label
    try:
        participant = get_twilio_client().fetch_participant(conference_sid, who)
    except TwilioApiError as error:
        if not error.is_not_found:
            raise
        if record.participant_sid:
            rosters.record_removed(conference_sid, record.participant_sid)  # the row goes, its marks too
        if record.action == "kick":
            return AuditRecord.Outcome.OK, "Twilio shows the participant gone.", error.request_id or "", ""
        absent = "the call not in the conference" if not record.participant_sid else "the participant gone"
        return AuditRecord.Outcome.FAILED, f"Twilio shows {absent}.", error.request_id or "", ""
    rosters.record_participant(conference_sid, participant)  # the row as Twilio has it; clears its marks
    outcome, message = _reads_back(record, participant)
    return outcome, message, participant.request_id or "", participant.call_sid


def _conference(record: AuditRecord) -> tuple[str, str, str]:
    try:
        conference = get_twilio_client().fetch_conference(record.conference_sid)
    except TwilioApiError as error:
        if not error.is_not_found:
            raise
        return AuditRecord.Outcome.UNKNOWN, "Twilio does not know the conference.", error.request_id or ""
    rosters.record_conference(conference)
    if conference.status == "completed":
        return AuditRecord.Outcome.OK, "Twilio shows the conference completed.", conference.request_id or ""
    return AuditRecord.Outcome.FAILED, f"Twilio shows the conference {conference.status}.", conference.request_id or ""


def settle_one(record: AuditRecord) -> str:
    """Settle one pending record from Twilio's current state; returns its outcome. Raises
    TwilioError when Twilio cannot be read (the record stays pending for the next run)."""
    fields: dict[str, Any] = {}
    if record.participant_sid or record.participant_label:
        outcome, message, request_id, call_sid = _participant(record)
        if call_sid and not record.participant_sid:
            fields["participant_sid"] = call_sid
    elif record.action == "end-conference":
        outcome, message, request_id = _conference(record)
    else:
        outcome, message, request_id = AuditRecord.Outcome.UNKNOWN, "Twilio's state does not tell.", ""
    AuditRecord.objects.settle(
        record, outcome=outcome, error_message=LOST + message, twilio_request_id=request_id, **fields
    )
    log.warning("audit record %s (%s) settled %s: %s", record.pk, record.action, outcome, message)
    return outcome


def settle_pending(*, older_than: float | None = None, limit: int = BATCH) -> Counter[str]:
    """Settle pending records older than `older_than` seconds (AUDIT_SETTLE_AFTER_SECONDS),
    oldest first; returns how many took each outcome ("error": Twilio could not be read)."""
    age = settings.AUDIT_SETTLE_AFTER_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=age)
    pending = AuditRecord.objects.filter(outcome=AuditRecord.Outcome.PENDING, created_at__lt=cutoff)
    settled: Counter[str] = Counter()
    started = time.monotonic()
    for record in pending.order_by("created_at", "id")[:limit]:
        try:
            settled[settle_one(record)] += 1
        except TwilioError as error:
            settled["error"] += 1
            log.warning("audit record %s stays pending: Twilio could not be read (%s)", record.pk, error)
        except AppendOnlyError:
            pass  # settled meanwhile (by the attempt itself, or another runner)
    if settled:
        log.info("settled %s pending audit records in %.1f s", dict(settled), time.monotonic() - started)
    return settled
