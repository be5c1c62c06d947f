import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from conference_admin.access.roles import ADMIN, LEAD, OBSERVER, SUPERVISOR, assign_role

DEMO_USERS = {"observer": OBSERVER, "supervisor": SUPERVISOR, "lead": LEAD, "admin": ADMIN}


class Command(BaseCommand):
    help = (
        "Create (or reset) one demo user per role (observer, supervisor, lead, admin), each with a "
        "fresh random password, and print the logins. The admin may also use /admin/."
    )

    def handle(self, *args, **options):
        users = get_user_model().objects
        self.stdout.write("Demo logins (new passwords every run):")
        for username, role in DEMO_USERS.items():
            password = secrets.token_urlsafe(15)
            user, _ = users.get_or_create(username=username)
            user.set_password(password)
            user.is_active = True
            user.save()
            assign_role(user, role)  # also makes the admin staff, for Django admin
            self.stdout.write(f"  {role:<10} username: {username:<10} password: {password}")
