from django.conf import settings
from django.db import models


class ConferenceEvent(models.Model):
    """One thing that happened in a conference, for its timeline.

    Twilio's callbacks are stored as they arrive (deduplicated by `delivery_key`, a hash
    of the signed content, each distinct parameter once, so a redelivery or a replay with
    repeated values is kept once); the dashboard's own actions
    are stored with the supervisor who made them.
    """

    class Source(models.TextChoices):
        TWILIO = "twilio", "Twilio callback"
        DASHBOARD = "dashboard", "Dashboard action"

    conference_sid = models.CharField(max_length=34, db_index=True)
    event = models.CharField(max_length=64)
    call_sid = models.CharField(max_length=34, blank=True)
    label = models.CharField(max_length=256, blank=True)
    sequence_number = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    delivery_key = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["conference_sid", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.label or self.call_sid} @ {self.occurred_at:%H:%M:%S}"
