"""The recording permissions, granted ONCE to role groups that existed before them.

Role groups are the Admins' from their creation on (`access.roles`): nothing resets them after a
migrate any more. A database made before 0002 has its groups already, so it gets the two new
permissions here, once; a fresh database has no groups yet and gets them as defaults.
"""

from django.db import migrations

from ._grants import grant_once

GRANTS = {
    "Supervisor": ["pause_recordings"],
    "Lead": ["pause_recordings", "control_recordings"],
    "Admin": ["pause_recordings", "control_recordings"],
}


class Migration(migrations.Migration):
    dependencies = [("access", "0002_recording_permissions"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(grant_once(GRANTS), migrations.RunPython.noop)]
