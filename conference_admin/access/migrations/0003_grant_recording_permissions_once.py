"""The recording permissions, granted ONCE to role groups that existed before them.

Role groups are the Admins' from their creation on (`access.roles`): nothing resets them after a
migrate any more. A database made before 0002 has its groups already, so it gets the two new
permissions here, once; a fresh database has no groups yet and gets them as defaults.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Supervisor": ["pause_recordings"],
    "Lead": ["pause_recordings", "control_recordings"],
    "Admin": ["pause_recordings", "control_recordings"],
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    groups = Group.objects.using(schema_editor.connection.alias).filter(name__in=GRANTS)
    if not groups.exists():
        return
    # Django creates permissions after migrate; in an upgrade that applies 0002 and this together
    # they do not exist yet.
    config = apps.get_app_config("access")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    for group in groups:
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="access", codename__in=GRANTS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("access", "0002_recording_permissions"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
