from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "conference_admin.access"
    label = "access"
    verbose_name = "Roles and permissions"
