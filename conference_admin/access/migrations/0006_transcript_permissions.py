"""Who may read live transcripts, and who may start and stop them.

Supervisor reads transcripts, Lead and Admin also start and stop them: role defaults for a fresh
database, granted here ONCE to role groups that already exist (they are never reset).
"""

from django.db import migrations

from ._moderation import permissions_added

GRANTS = {
    "Supervisor": ["view_transcripts"],
    "Lead": ["view_transcripts", "start_transcripts"],
    "Admin": ["view_transcripts", "start_transcripts"],
}


class Migration(migrations.Migration):
    dependencies = [("access", "0005_move_permission")]

    operations = permissions_added(through="0006", grants=GRANTS)
