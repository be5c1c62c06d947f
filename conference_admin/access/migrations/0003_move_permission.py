"""Who may move a participant to another conference (and bring them back): Lead and Admin.

The permission is created by Django after migrate; the role groups get it from
`access.roles.ensure_roles`, which runs after every migrate (signals.create_roles_after_migrate).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("access", "0002_recording_permissions")]

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
    ]
