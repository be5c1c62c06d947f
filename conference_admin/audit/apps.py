from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "conference_admin.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from . import signins

        signins.connect()
