from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "conference_admin.access"
    label = "access"
    verbose_name = "Roles and permissions"

    def ready(self):
        from . import checks, signals  # noqa: F401  (checks register themselves)

        signals.connect()
        post_migrate.connect(signals.create_roles_after_migrate, dispatch_uid="access-create-roles")
