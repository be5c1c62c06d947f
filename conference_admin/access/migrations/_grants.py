"""Granting a new permission ONCE to role groups that existed before it (for migrations).

Role groups are the Admins' from their creation on (`access.roles`): nothing resets them after a
migrate. A database whose groups predate a permission gets it from a migration, once, through
`grant_once`; a fresh database has no groups yet and gets the role defaults when they are made.
(Django's migration loader skips modules whose name starts with "_".)
"""

from django.contrib.auth.management import create_permissions


def grant_once(grants: dict[str, list[str]]):
    """A RunPython function adding `grants` (group name -> access codenames) to existing groups."""

    def grant(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        groups = Group.objects.using(schema_editor.connection.alias).filter(name__in=grants)
        if not groups.exists():
            return
        # Django creates permissions after migrate: in this migration the new ones do not exist yet.
        config = apps.get_app_config("access")
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        for group in groups:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="access", codename__in=grants[group.name])
            )

    return grant
