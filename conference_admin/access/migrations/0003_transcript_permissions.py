"""Who may read live transcripts, and who may start and stop them.

The permissions are created by Django after migrate; the role groups get them from
`access.roles.ensure_roles`, which runs after every migrate (signals.create_roles_after_migrate):
Supervisor reads transcripts, Lead and Admin also start and stop them.
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
                    ("view_transcripts", "Read live transcripts"),
                    ("start_transcripts", "Start and stop live transcripts"),
                ],
            },
        ),
    ]
