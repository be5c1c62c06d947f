"""One pass of settling pending audit records from Twilio's state (the servers run it on their
own every AUDIT_SETTLE_EVERY_SECONDS; this is for an operator, or a cron job when that is 0)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from conference_admin.dashboard.settle import settle_pending


class Command(BaseCommand):
    help = "Settle audit records left pending longer than AUDIT_SETTLE_AFTER_SECONDS from Twilio's state."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=settings.AUDIT_SETTLE_AFTER_SECONDS,
            help="seconds a record must have been pending (default AUDIT_SETTLE_AFTER_SECONDS)",
        )

    def handle(self, *args, older_than: float, **options):
        if older_than <= settings.TWILIO_TOTAL_TIMEOUT:
            self.stderr.write("--older-than must be longer than TWILIO_TOTAL_TIMEOUT (an action may still be running).")
            return
        settled = settle_pending(older_than=older_than, limit=10_000)
        self.stdout.write(f"settled: {dict(settled) or 'nothing pending'}")
