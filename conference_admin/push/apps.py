from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "conference_admin.push"
    label = "push"
    verbose_name = "Live push"
