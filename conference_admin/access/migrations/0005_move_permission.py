"""Who may move a participant to another conference (and bring them back): Lead and Admin.

A fresh database gets it as a role default (`access.roles`); role groups that already exist are
the Admins' and are never reset, so the permission is granted to Lead and Admin here, ONCE.
"""

from django.db import migrations

from ._moderation import permissions_added

GRANTS = {"Lead": ["move_participants"], "Admin": ["move_participants"]}


class Migration(migrations.Migration):
    dependencies = [("access", "0004_directory_account")]

    operations = permissions_added(through="0005", grants=GRANTS)
