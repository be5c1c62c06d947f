from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "conference_admin.simulator"
    label = "simulator"
    verbose_name = "Twilio simulator"
