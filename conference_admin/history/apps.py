from django.apps import AppConfig


class HistoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conference_admin.history"
    label = "history"
    verbose_name = "Conference history"
