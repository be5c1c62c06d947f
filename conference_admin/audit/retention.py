"""Retention: the one operation that removes audit records (`manage.py prune_audit`).

Records older than the retention are written to a CSV archive first (the same columns and
formula defusing as the audit download), then deleted in the same transaction, and the prune
itself is recorded in the trail: who ran it, the cut-off, how many records, the archive path.
An old attempt whose resolution is still inside the retention is kept with it.

On PostgreSQL a trigger refuses every DELETE on the audit table unless the transaction set
`conference_admin.audit_prune`; this module is the only code that sets it (SET LOCAL, and
unset again before the transaction goes on).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from .export import csv_lines
from .models import AuditRecord

PRUNE_ACTION = "audit-prune"
PRUNE_SWITCH = "conference_admin.audit_prune"
_DELETE_CHUNK = 500


@dataclass(frozen=True)
class PruneResult:
    cutoff: datetime
    pruned: int
    kept_for_resolutions: int
    archive: Path
    record: AuditRecord


def _kept_for_resolutions(cutoff: datetime) -> set[int]:
    """Old records that a kept record resolves (directly or through a chain of resolutions)."""
    kept: set[int] = set()
    frontier = set(
        AuditRecord.objects.filter(created_at__gte=cutoff, resolves__created_at__lt=cutoff).values_list(
            "resolves_id", flat=True
        )
    )
    while frontier:
        kept |= frontier
        frontier = (
            set(
                AuditRecord.objects.filter(pk__in=frontier, resolves__isnull=False).values_list(
                    "resolves_id", flat=True
                )
            )
            - kept
        )
    return kept


def _write_archive(records, directory: Path, cutoff: datetime, now: datetime) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"audit-before-{cutoff:%Y%m%dT%H%M%SZ}-pruned-{now:%Y%m%dT%H%M%S%fZ}.csv"
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".audit-archive-", suffix=".csv")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as archive:
            for line in csv_lines(records):
                archive.write(line)
            archive.flush()
            os.fsync(archive.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _noting_ids(records, ids: list[int]):
    """The records, each one's id noted as it goes to the archive: exactly what is archived is deleted."""
    for record in records:
        ids.append(record.pk)
        yield record


def _delete(ids: list[int]) -> int:
    """Plain DELETEs, past the ORM's append-only guard; the FK to resolutions is checked at commit."""
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _DELETE_CHUNK):
            chunk = ids[start : start + _DELETE_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            deleted += cursor.rowcount
    return deleted


def _prune_switch(cursor, on: bool) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL {PRUNE_SWITCH} = '{'on' if on else 'off'}'")


def audit_prune(*, retention_days: int, archive_dir: Path, operator: str, host: str) -> PruneResult:
    """Archive and delete the records older than `retention_days`; record the prune in the trail."""
    if retention_days < 1:
        raise ValueError("The retention must be at least one day.")
    now = timezone.now()
    cutoff = now - timedelta(days=retention_days)
    with transaction.atomic():
        kept = _kept_for_resolutions(cutoff)
        old = AuditRecord.objects.filter(created_at__lt=cutoff).exclude(pk__in=kept).order_by("created_at", "id")
        ids: list[int] = []
        archive = _write_archive(_noting_ids(old.iterator(chunk_size=500), ids), Path(archive_dir), cutoff, now)
        with connection.cursor() as cursor:
            _prune_switch(cursor, True)
            try:
                pruned = _delete(ids)
            finally:
                _prune_switch(cursor, False)
        record = AuditRecord.objects.create(
            actor=None,
            actor_username=f"system:{operator}"[:150],
            conference_sid="",
            action=PRUNE_ACTION,
            parameters={
                "retention_days": retention_days,
                "older_than": cutoff.isoformat(),
                "pruned": pruned,
                "kept_for_resolutions": len(kept),
                "archive": str(archive),
                "os_user": operator,
                "host": host,
            },
            outcome=AuditRecord.Outcome.OK,
        )
    return PruneResult(cutoff=cutoff, pruned=pruned, kept_for_resolutions=len(kept), archive=archive, record=record)
