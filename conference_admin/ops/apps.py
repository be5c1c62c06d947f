from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "conference_admin.ops"
    label = "ops"
    verbose_name = "Operations (health, readiness, metrics)"
