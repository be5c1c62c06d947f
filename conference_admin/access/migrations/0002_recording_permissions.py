"""Who may pause and resume recordings, and who may start and stop them.

The permissions are created by Django after migrate; existing role groups get them once in
0003 (a new database's groups get them as defaults, `access.roles.ensure_roles`):
Supervisor pauses and resumes, Lead and Admin also start and stop.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

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
                ],
            },
        ),
    ]
