"""Who may read live transcripts, and who may start and stop them.

Supervisor reads transcripts, Lead and Admin also start and stop them: role defaults for a fresh
database, granted here ONCE to role groups that already exist (they are never reset).
"""

from django.db import migrations

from ._grants import grant_once
from ._moderation import moderation_options

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
            options=moderation_options(through="0006"),
        ),
        migrations.RunPython(grant_once(GRANTS), migrations.RunPython.noop),
    ]
