"""Who may read live transcripts, and who may start and stop them.

Supervisor reads transcripts, Lead and Admin also start and stop them: role defaults for a fresh
database, granted here ONCE to role groups that already exist (they are never reset).
"""

from django.db import migrations

from ._grants import grant_once

GRANTS = {
    "Supervisor": ["view_transcripts"],
    "Lead": ["view_transcripts", "start_transcripts"],
    "Admin": ["view_transcripts", "start_transcripts"],
}


class Migration(migrations.Migration):
    dependencies = [("access", "0005_move_permission")]

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
                    ("view_transcripts", "Read live transcripts"),
                    ("start_transcripts", "Start and stop live transcripts"),
                ],
            },
        ),
        migrations.RunPython(grant_once(GRANTS), migrations.RunPython.noop),
    ]
