from django.core.management.base import BaseCommand

from conference_admin.access.roles import ROLE_PERMISSIONS, ensure_roles


class Command(BaseCommand):
    help = "Create or update the Observer, Supervisor, Lead and Admin groups and their permissions."

    def handle(self, *args, **options):
        groups = ensure_roles()
        for role in ROLE_PERMISSIONS:
            self.stdout.write(f"{role}: {groups[role].permissions.count()} permissions")
