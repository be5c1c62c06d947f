from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conference_admin.history.services import history_prune


class Command(BaseCommand):
    help = (
        "Delete conference history older than HISTORY_RETENTION_DAYS (or --days): conferences that "
        "ended before then, with their participants. The deletion is written to the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override HISTORY_RETENTION_DAYS")

    def handle(self, *args, days=None, **options):
        days = settings.HISTORY_RETENTION_DAYS if days is None else days
        try:
            pruned = history_prune(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Pruned history older than {pruned.cutoff:%Y-%m-%d %H:%M} UTC ({days} days): "
            f"{pruned.conferences} conferences, {pruned.participants} participants."
        )
