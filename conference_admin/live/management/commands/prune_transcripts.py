from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conference_admin.live.transcripts import transcripts_prune


class Command(BaseCommand):
    help = (
        "Delete live transcript lines older than TRANSCRIPT_RETENTION_DAYS (or --days). "
        "The deletion is written to the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override TRANSCRIPT_RETENTION_DAYS")

    def handle(self, *args, days=None, **options):
        days = settings.TRANSCRIPT_RETENTION_DAYS if days is None else days
        try:
            pruned = transcripts_prune(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Pruned transcript lines older than {pruned.cutoff:%Y-%m-%d %H:%M} UTC ({days} days): "
            f"{pruned.lines} lines."
        )
