"""Who may move a participant to another conference (and bring them back): Lead and Admin.

A fresh database gets it as a role default (`access.roles`); role groups that already exist are
the Admins' and are never reset, so the permission is granted to Lead and Admin here, ONCE.
"""

from django.db import migrations

from ._grants import grant_once
from ._moderation import moderation_options

GRANTS = {"Lead": ["move_participants"], "Admin": ["move_participants"]}


class Migration(migrations.Migration):
    dependencies = [("access", "0004_directory_account")]

    operations = [
        migrations.AlterModelOptions(
            name="moderation",
            options=moderation_options(through="0005"),
        ),
        migrations.RunPython(grant_once(GRANTS), migrations.RunPython.noop),
    ]
