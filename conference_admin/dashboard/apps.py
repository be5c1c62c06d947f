from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "conference_admin.dashboard"
    label = "dashboard"
    verbose_name = "Conference dashboard"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from conference_admin.live import identity

        from . import services
        from .poll import new_epoch

        identity.use_fetch(services.call_fetch)  # who is on each call: fetched once, in the background

        # Any change to who may do what voids every unchanged-poll grant (see poll.py).
        user = get_user_model()
        for model in (user, Group, Permission):
            post_save.connect(new_epoch, sender=model, dispatch_uid=f"poll-epoch-{model.__name__}-saved")
            post_delete.connect(new_epoch, sender=model, dispatch_uid=f"poll-epoch-{model.__name__}-deleted")
        for through in (user.groups.through, user.user_permissions.through, Group.permissions.through):
            m2m_changed.connect(new_epoch, sender=through, dispatch_uid=f"poll-epoch-{through.__name__}")
