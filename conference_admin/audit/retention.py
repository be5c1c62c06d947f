"""Retention: the one operation that removes audit records (`manage.py prune_audit`).

Records older than the retention are written to a CSV archive first (the same columns and
formula defusing as the audit download), then deleted in the same transaction, and the prune
itself is recorded in the trail: who ran it, the cut-off, how many records, the archive path.
An old attempt whose resolution is still inside the retention is kept with it.

On PostgreSQL the append-only trigger refuses every DELETE on the audit table except the one
made by the database function `audit_auditrecord_prune` (audit migration 0006: SECURITY
DEFINER, a cut-off at least a day old, and it writes the prune's record itself), which this
module calls once the archive is written. On SQLite (the embedded default) there is no trigger:
the application's own guard (`AuditRecord.save`/`delete`, no edit permissions) is what stands,
and the rows are deleted here directly.
"""

from __future__ import annotations

import json
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
PRUNE_FUNCTION = "audit_auditrecord_prune"
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
    """SQLite: plain DELETEs, past the ORM's append-only guard; the FK to resolutions is checked at commit."""
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _DELETE_CHUNK):
            chunk = ids[start : start + _DELETE_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            deleted += cursor.rowcount
    return deleted


def _delete_and_record(ids: list[int], cutoff: datetime, actor_username: str, parameters: dict) -> AuditRecord:
    """Delete the archived records and write the prune's own record (with `pruned`)."""
    if connection.vendor == "postgresql":
        # The only way past the append-only trigger: the function deletes and records in one call.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {PRUNE_FUNCTION}(%s, %s::bigint[], %s, %s::jsonb)",
                [cutoff, ids, actor_username, json.dumps(parameters)],
            )
            record_id = cursor.fetchone()[0]
        return AuditRecord.objects.get(pk=record_id)
    pruned = _delete(ids)
    return AuditRecord.objects.create(
        actor=None,
        actor_username=actor_username,
        conference_sid="",
        action=PRUNE_ACTION,
        parameters={**parameters, "pruned": pruned},
        outcome=AuditRecord.Outcome.OK,
    )


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
        record = _delete_and_record(
            ids,
            cutoff,
            f"system:{operator}"[:150],
            {
                "retention_days": retention_days,
                "older_than": cutoff.isoformat(),
                "kept_for_resolutions": len(kept),
                "archive": str(archive),
                "os_user": operator,
                "host": host,
            },
        )
    pruned = record.parameters["pruned"]
    return PruneResult(cutoff=cutoff, pruned=pruned, kept_for_resolutions=len(kept), archive=archive, record=record)
