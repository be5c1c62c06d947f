from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conference_admin.supervision"
    label = "supervision"
    verbose_name = "Supervisor power tools"

    def ready(self) -> None:
        # Safe hold: the dashboard's participant action asks first when this rule says so.
        from conference_admin.dashboard.views import ask_first

        from .actions import confirm_hold, hold_needs_confirmation

        ask_first(hold_needs_confirmation, confirm_hold)
