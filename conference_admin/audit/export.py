"""The audit trail as CSV: one writer for the download and for the retention archive.

`csv_stream` is the one streamed CSV writer with defused cells (history's exports use it too)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

COLUMNS = [
    "created_at",
    "actor_username",
    "conference_sid",
    "participant_sid",
    "participant_label",
    "action",
    "parameters",
    "outcome",
    "error_code",
    "error_message",
    "twilio_request_id",
    "resolves_id",
    "request_id",
]


class _Echo:
    def write(self, value):
        return value


def defuse_cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas; labels come from callers.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_stream(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header, then one CSV line per row of values, every cell defused; streamed."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([defuse_cell(value) for value in row])


def csv_lines(records: Iterable) -> Iterator[str]:
    """The header, then one CSV line per record (formula cells defused)."""
    return csv_stream(COLUMNS, (_values(record) for record in records))


def _values(record) -> list:
    values = [getattr(record, column) for column in COLUMNS]
    values[0] = record.created_at.isoformat()
    values[COLUMNS.index("parameters")] = json.dumps(record.parameters, sort_keys=True) if record.parameters else ""
    return values
