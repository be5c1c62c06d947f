from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "conference_admin.dashboard"
    label = "dashboard"
    verbose_name = "Conference dashboard"
