from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "conference_admin.live"
    label = "live"
    verbose_name = "Live conference state"
