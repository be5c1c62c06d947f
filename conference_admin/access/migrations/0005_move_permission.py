"""Who may move a participant to another conference (and bring them back): Lead and Admin.

A fresh database gets it as a role default (`access.roles`); role groups that already exist are
the Admins' and are never reset, so the permission is granted to Lead and Admin here, ONCE.
"""

from django.db import migrations

from ._grants import grant_once

GRANTS = {"Lead": ["move_participants"], "Admin": ["move_participants"]}


class Migration(migrations.Migration):
    dependencies = [("access", "0004_directory_account")]

    operations = [
        migrations.AlterModelOptions(
            name="moderation",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_conferences", "See live conferences and their participants"),
                    ("moderate_participants", "Mute, hold, coach, announce to and remove participants"),
                    ("add_participants", "Add participants (dial out)"),
                    ("end_conferences", "End a conference or announce to all of it"),
                    ("bulk_actions", "Act on many participants at once"),
                    ("pause_recordings", "Pause and resume recordings"),
                    ("control_recordings", "Start and stop recordings"),
                    ("move_participants", "Move a participant to another conference and bring them back"),
                ],
            },
        ),
        migrations.RunPython(grant_once(GRANTS), migrations.RunPython.noop),
    ]
