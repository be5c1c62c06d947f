"""Who may move a participant to another conference (and bring them back): Lead and Admin.

A fresh database gets it as a role default (`access.roles`); role groups that already exist are
the Admins' and are never reset, so the permission is granted to Lead and Admin here, ONCE.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Lead": ["move_participants"], "Admin": ["move_participants"]}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    groups = Group.objects.using(schema_editor.connection.alias).filter(name__in=GRANTS)
    if not groups.exists():
        return
    # Django creates permissions after migrate: in this migration the new one does not exist yet.
    config = apps.get_app_config("access")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    for group in groups:
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="access", codename__in=GRANTS[group.name])
        )


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
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
