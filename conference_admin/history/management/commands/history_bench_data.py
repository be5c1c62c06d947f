"""Fill a bench database with ended conferences, participants, events and supervisor actions.

Refuses to run unless the database's name ends in `_bench` (it inserts a lot of rows).
Deterministic for a given --seed. One conference (friendly name "Bench big conference") has
--big participants, with a full Twilio event history and supervisor actions: the report target.
"""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from conference_admin.audit.models import AuditRecord
from conference_admin.history.models import ConferenceAlert, ConferenceRecord, ParticipantSession
from conference_admin.live.models import ConferenceEvent

BIG_NAME = "Bench big conference"
COMPANIES = ["Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Acme"]
AGENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]
SUPERVISORS = ["lea", "sam", "noor", "ken", "ola"]
REASONS = ["participant_hung_up", "conference_ended_via_api", "participant_updated_via_api"]
BATCH = 5000


class Command(BaseCommand):
    help = "Generate history bench data (a database whose name ends in _bench only)."

    def add_arguments(self, parser):
        parser.add_argument("--conferences", type=int, default=10_000)
        parser.add_argument("--participants", type=int, default=100_000)
        parser.add_argument("--big", type=int, default=250, help="participants of the report target")
        parser.add_argument("--seed", type=int, default=14)

    def handle(self, *args, conferences, participants, big, seed, **options):
        name = connection.settings_dict["NAME"]
        if not str(name).endswith("_bench"):
            raise CommandError(f"Refusing to fill {name!r}: the bench database's name must end in _bench.")
        rng = random.Random(seed)
        now = timezone.now()
        if ConferenceRecord.objects.filter(sid__startswith="CFbe").exists():
            raise CommandError("Bench data is already there: start from an empty database.")
        records, sessions, actions = [], [], []
        # The other conferences share what is left, 2 to 18 each, averaging the requested total.
        others = conferences - 1
        average = (participants - big) / max(1, others)
        sizes = [big] + [max(1, round(rng.uniform(2, 2 * average - 2))) for _ in range(others)]
        while (gap := participants - sum(sizes)) != 0:  # exactly the requested total
            n = rng.randrange(1, len(sizes))
            if gap > 0 or sizes[n] > 1:
                sizes[n] += 1 if gap > 0 else -1
        for n, size in enumerate(sizes):
            sid = f"CFbe{n:030x}"
            ended = now - timedelta(minutes=n * 13 + rng.randint(0, 12))
            started = ended - timedelta(seconds=rng.randint(120, 3600))
            company = rng.choice(COMPANIES)
            records.append(
                ConferenceRecord(
                    sid=sid,
                    friendly_name=BIG_NAME if n == 0 else f"{company} escalation {n}",
                    started_at=started,
                    ended_at=ended,
                    reason_ended="conference-ended-via-api",
                )
            )
            for i in range(size):
                agent = i == 0 or rng.random() < 0.15
                label = f"agent:{rng.choice(AGENTS)}" if agent else f"customer: {company} {n}-{i}"
                joined = started + timedelta(seconds=rng.randint(0, 60))
                sessions.append(
                    ParticipantSession(
                        conference_id=sid,
                        call_sid=f"CAbe{n:014x}{i:016x}",
                        label=label if rng.random() > 0.1 else "",
                        number=f"+1{rng.randint(2000000000, 9899999999)}",
                        direction="outbound-api" if agent else "inbound",
                        joined_at=joined,
                        left_at=ended - timedelta(seconds=rng.randint(0, 30)),
                        left_reason=rng.choice(REASONS),
                        left_approximate=rng.random() < 0.2,
                        approximate_within=5,
                    )
                )
            for _ in range(rng.randint(0, 3)):
                actions.append(
                    AuditRecord(
                        actor_username=rng.choice(SUPERVISORS),
                        conference_sid=sid,
                        participant_sid=f"CAbe{n:014x}{rng.randrange(size):016x}",
                        action=rng.choice(["mute", "hold", "resume", "unmute"]),
                        outcome="ok",
                    )
                )
        events = self._big_conference(rng, records[0], [s for s in sessions if s.conference_id == records[0].sid])
        actions += events[1]
        alerts = self._alerts(random.Random(seed + 1), records)  # its own generator: the rest is unchanged
        ConferenceRecord.objects.bulk_create(records, batch_size=BATCH)
        ConferenceAlert.objects.bulk_create(alerts, batch_size=BATCH)
        ParticipantSession.objects.bulk_create(sessions, batch_size=BATCH)
        ConferenceEvent.objects.bulk_create(events[0], batch_size=BATCH)
        AuditRecord.objects.bulk_create(actions, batch_size=BATCH)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"{len(records)} conferences, {len(sessions)} participants, {len(events[0])} events, "
            f"{len(actions)} supervisor actions, {len(alerts)} alerts; "
            f"report target {records[0].sid} ({big} participants)."
        )

    def _alerts(self, rng, records):
        """Alerts that fired in about a third of the conferences (a dozen in the big one)."""
        alerts = []
        for n, record in enumerate(records):
            count = 12 if n == 0 else (rng.randint(1, 3) if rng.random() < 0.3 else 0)
            fired = []
            for i in range(count):
                kind, text = rng.choice(
                    [
                        ("hold", f"customer: caller {i} on hold 2:00"),
                        ("ringing", f"customer: caller {i} ringing 0:45"),
                        ("alone", "customer alone"),
                    ]
                )
                at = record.started_at + timedelta(seconds=rng.randint(60, 600))
                fired.append(
                    ConferenceAlert(conference_id=record.sid, kind=kind, subject=f"{i}", text=text, fired_at=at)
                )
            fired.sort(key=lambda alert: alert.fired_at)
            record.alerts_fired = "; ".join(alert.text for alert in fired)
            alerts += fired
        return alerts

    def _big_conference(self, rng, record, sessions):
        """Joins, holds, mutes and leaves for every participant, and supervisors acting on some."""
        events: list[ConferenceEvent] = []
        actions: list[AuditRecord] = []

        def event(kind, session, at, **detail):
            events.append(
                ConferenceEvent(
                    conference_sid=record.sid,
                    event=kind,
                    call_sid=session.call_sid,
                    label=session.label,
                    occurred_at=at,
                    source="twilio",
                    detail={"Muted": "false", "Hold": "false", **detail},
                    delivery_key=f"bench-{record.sid}-{len(events)}",
                )
            )

        for session in sessions:
            event("participant-join", session, session.joined_at)
            if rng.random() < 0.5:
                on = session.joined_at + timedelta(seconds=rng.randint(5, 60))
                event("participant-hold", session, on, Hold="true")
                event("participant-unhold", session, on + timedelta(seconds=rng.randint(5, 90)))
            if rng.random() < 0.5:
                on = session.joined_at + timedelta(seconds=rng.randint(5, 60))
                event("participant-mute", session, on, Muted="true")
                event("participant-unmute", session, on + timedelta(seconds=rng.randint(5, 90)))
            event("participant-leave", session, session.left_at, ReasonParticipantLeft="participant_hung_up")
            if rng.random() < 0.3:
                actions.append(
                    AuditRecord(
                        actor_username=rng.choice(SUPERVISORS),
                        conference_sid=record.sid,
                        participant_sid=session.call_sid,
                        participant_label=session.label,
                        action=rng.choice(["mute", "hold"]),
                        outcome="ok",
                    )
                )
        return events, actions
