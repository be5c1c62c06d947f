from django.core.management.base import BaseCommand

from conference_admin.access.roles import ROLE_PERMISSIONS, ensure_roles


class Command(BaseCommand):
    help = (
        "Create the Observer, Supervisor, Lead and Admin groups that are missing, with their default "
        "permissions. Existing groups keep what Admins gave them; --reset puts the defaults back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Replace every role group's permissions with the built-in defaults (undoes Admins' edits).",
        )

    def handle(self, *args, reset: bool = False, **options):
        groups = ensure_roles(reset=reset)
        for role in ROLE_PERMISSIONS:
            self.stdout.write(f"{role}: {groups[role].permissions.count()} permissions")
