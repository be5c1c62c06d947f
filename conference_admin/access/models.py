from django.conf import settings
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
            ("view_transcripts", "Read live transcripts"),
            ("start_transcripts", "Start and stop live transcripts"),
        ]


class DirectoryAccount(models.Model):
    """A user whose account, groups and role come from the company directory (OIDC or LDAP).

    `subject` is what the directory calls the account for good: the OIDC `sub` claim, or the LDAP
    username. A user without one is a local account (the demo's, a break-glass Admin's)."""

    class Source(models.TextChoices):
        OIDC = "oidc", "OpenID Connect"
        LDAP = "ldap", "LDAP"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_account")
    source = models.CharField(max_length=8, choices=Source.choices)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "subject"], name="directory_account_unique_subject")]

    def __str__(self) -> str:
        return f"{self.source}:{self.subject}"
