"""Building history rows directly, for page, export and query-count tests."""

from datetime import UTC, datetime, timedelta

from conference_admin.audit.models import AuditRecord
from conference_admin.history.models import ConferenceRecord, ParticipantSession

BASE = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


def conference_sid(n: int) -> str:
    return f"CF{n:032x}"


def call_sid(conference: int, n: int) -> str:
    return f"CA{conference:016x}{n:016x}"


def make_conference(
    n: int, *, participants: int = 3, ended: bool = True, name: str | None = None, start: datetime | None = None
) -> ConferenceRecord:
    started = start or BASE + timedelta(hours=n)
    record = ConferenceRecord.objects.create(
        sid=conference_sid(n),
        friendly_name=name if name is not None else f"Escalation {n}",
        started_at=started,
        ended_at=started + timedelta(minutes=12) if ended else None,
        reason_ended="conference-ended-via-api" if ended else "",
    )
    ParticipantSession.objects.bulk_create(
        [
            ParticipantSession(
                conference=record,
                call_sid=call_sid(n, i),
                label="agent:alice" if i == 0 else f"customer {n}-{i}",
                number=f"+1555{n:03d}{i:04d}",
                direction="inbound",
                joined_at=started + timedelta(seconds=i),
                left_at=started + timedelta(minutes=12) if ended else None,
                left_reason="conference ended" if ended else "",
            )
            for i in range(participants)
        ]
    )
    return record


def act(n: int, username: str, action: str = "mute", participant: int = 1, **fields) -> AuditRecord:
    return AuditRecord.objects.create(
        actor_username=username,
        conference_sid=conference_sid(n),
        participant_sid=call_sid(n, participant),
        action=action,
        outcome=fields.pop("outcome", "ok"),
        **fields,
    )
