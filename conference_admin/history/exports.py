"""CSV exports of a report and of a search, streamed, every cell defused as the audit export does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from conference_admin.audit.export import csv_stream
from conference_admin.live.models import TranscriptLine

from .selectors import ConferenceReport, ConferenceRow

REPORT_COLUMNS = [
    "row",
    "at",
    "conference_sid",
    "call_sid",
    "name",
    "label",
    "number",
    "direction",
    "joined_at",
    "left_at",
    "left_reason",
    "times_approximate_within_s",
    "seconds_on_hold",
    "seconds_muted",
    "coached",
    "text",
    "actor",
    "outcome",
    "detail",
]
SEARCH_COLUMNS = [
    "conference_sid",
    "friendly_name",
    "started_at",
    "ended_at",
    "duration_s",
    "participants",
    "recording",
    "alerts",
    "supervisors",
    "matched_participants",
]


def _text(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    return "" if value is None else str(value)


def _writer(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    return csv_stream(columns, ([_text(row.get(column)) for column in columns] for row in rows))


def report_csv(report: ConferenceReport) -> Iterator[str]:
    """One row per participant, then one per timeline item (column `row` says which)."""
    sid = report.record.sid

    def rows():
        for p in report.participants:
            s = p.session
            yield {
                "row": "participant",
                "conference_sid": sid,
                "call_sid": s.call_sid,
                "name": p.name,
                "label": s.label,
                "number": s.number,
                "direction": s.direction,
                "joined_at": p.joined_at,
                "left_at": p.left_at,
                "left_reason": p.left_reason,
                "times_approximate_within_s": s.approximate_within if s.times_approximate else "",
                "seconds_on_hold": p.hold,
                "seconds_muted": p.muted,
                "coached": p.coached,
            }
        for item in report.timeline:
            yield {
                "row": "event",
                "at": item.at,
                "conference_sid": sid,
                "text": item.text,
                "actor": item.actor,
                "outcome": item.outcome,
                "detail": item.detail,
            }

    return _writer(REPORT_COLUMNS, rows())


def search_csv(results: Iterable[ConferenceRow]) -> Iterator[str]:
    def rows():
        for row in results:
            yield {
                "conference_sid": row.record.sid,
                "friendly_name": row.record.friendly_name,
                "started_at": row.record.started_at,
                "ended_at": row.record.ended_at,
                "duration_s": row.duration,
                "participants": row.participants,
                "recording": row.recording,
                "alerts": row.alerts_text,
                "supervisors": "; ".join(row.supervisors),
                "matched_participants": "; ".join(row.matched),
            }

    return _writer(SEARCH_COLUMNS, rows())


TRANSCRIPT_COLUMNS = ["conference_sid", "call_sid", "speaker", "track", "spoken_at", "text", "confidence"]


def transcript_csv(lines: Iterable[TranscriptLine]) -> Iterator[str]:
    """One row per transcript line; every cell defused (a caller's words may start with "=")."""
    return _writer(
        TRANSCRIPT_COLUMNS,
        ({column: getattr(line, column) for column in TRANSCRIPT_COLUMNS} for line in lines),
    )
