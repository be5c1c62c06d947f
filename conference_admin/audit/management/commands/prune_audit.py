import getpass
import socket
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conference_admin.audit.retention import audit_prune


class Command(BaseCommand):
    help = (
        "Archive audit records older than the retention (AUDIT_RETENTION_DAYS) to a CSV file in "
        "AUDIT_ARCHIVE_DIR, delete them, and record the prune in the audit trail. The only way "
        "audit records are ever removed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="Keep this many days (default: AUDIT_RETENTION_DAYS)."
        )
        parser.add_argument(
            "--archive-dir", type=Path, default=None, help="Where the CSV goes (default: AUDIT_ARCHIVE_DIR)."
        )

    def handle(self, *args, days=None, archive_dir=None, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("The retention must be at least one day (--days / AUDIT_RETENTION_DAYS).")
        try:
            operator = getpass.getuser()
        except (KeyError, OSError):
            operator = "unknown"
        result = audit_prune(
            retention_days=days,
            archive_dir=archive_dir or Path(settings.AUDIT_ARCHIVE_DIR),
            operator=operator,
            host=socket.gethostname(),
        )
        self.stdout.write(
            f"Archived and deleted {result.pruned} audit records older than {result.cutoff:%Y-%m-%d %H:%M:%S %Z} "
            f"({result.kept_for_resolutions} kept with later resolutions); archive: {result.archive}"
        )
