from django.db import models


class Moderation(models.Model):
    """Holds the dashboard's own permissions; no table (permissions need a model to hang on)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_conferences", "See live conferences and their participants"),
            ("moderate_participants", "Mute, hold, coach, announce to and remove participants"),
            ("add_participants", "Add participants (dial out)"),
            ("end_conferences", "End a conference or announce to all of it"),
            ("bulk_actions", "Act on many participants at once"),
            ("pause_recordings", "Pause and resume recordings"),
            ("control_recordings", "Start and stop recordings"),
            ("move_participants", "Move a participant to another conference and bring them back"),
        ]
