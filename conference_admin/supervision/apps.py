from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conference_admin.supervision"
    label = "supervision"
    verbose_name = "Supervisor power tools"
