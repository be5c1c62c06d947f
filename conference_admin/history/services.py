"""Writes to history other than feeding it: retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conference_admin.audit.recorder import audit_attempt

from .models import ConferenceRecord, ParticipantObservation, ParticipantSession

PRUNE_ACTION = "history:prune"


@dataclass(frozen=True)
class Pruned:
    cutoff: datetime
    conferences: int
    participants: int
    observations: int


def history_prune(*, days: int, actor=None, now: datetime | None = None) -> Pruned:
    """Delete the history of conferences that ended more than `days` days ago (and of any
    never seen ending that was first recorded before then), and audit the deletion itself.

    Only history's own tables: the live events and the audit trail keep their own rules."""
    if days < 1:
        raise ValueError("Retention must be at least one day.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old_records = ConferenceRecord.objects.filter(
        Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True, created_at__lt=cutoff)
    )
    old = old_records.values("sid")
    with transaction.atomic():
        observations = ParticipantObservation.objects.filter(conference_id__in=old).delete()[0]
        participants = ParticipantSession.objects.filter(conference_id__in=old).delete()[0]
        conferences = old_records.delete()[1].get(ConferenceRecord._meta.label, 0)
        pruned = Pruned(cutoff, conferences, participants, observations)
        with audit_attempt(
            actor=actor,
            action=PRUNE_ACTION,
            conference_sid="",
            parameters={
                "retention_days": days,
                "older_than": cutoff.isoformat(),
                "conferences": conferences,
                "participants": participants,
            },
        ):
            pass
    return pruned
