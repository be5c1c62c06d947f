import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create (or reset) the demo supervisor with a fresh random password and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="supervisor")

    def handle(self, *args, username: str, **options):
        password = secrets.token_urlsafe(15)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        self.stdout.write(f"username: {username}")
        self.stdout.write(f"password: {password}")
