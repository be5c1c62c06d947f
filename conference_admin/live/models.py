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


class TranscriptLine(models.Model):
    """One utterance of a real-time transcription: partial results update it in place until the
    final one arrives (`final`). `version` is the conference's transcript cursor: every insert
    or update takes the next one, so a page showing cursor V needs the lines with version > V."""

    conference_sid = models.CharField(max_length=34)
    call_sid = models.CharField(max_length=34)
    transcription_sid = models.CharField(max_length=34)
    track = models.CharField(max_length=16)  # inbound_track | outbound_track
    speaker = models.CharField(max_length=256, blank=True)  # the track's label: who said it
    text = models.TextField()
    final = models.BooleanField(default=False)
    confidence = models.FloatField(null=True, blank=True)
    sequence = models.BigIntegerField()  # SequenceId of the callback that last set it
    spoken_at = models.DateTimeField()  # Timestamp of the utterance's first result
    version = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["spoken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transcription_sid", "sequence"], name="transcript_line_once"),
        ]
        indexes = [
            models.Index(fields=["conference_sid", "version"]),
            models.Index(fields=["transcription_sid", "track", "final"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.speaker or self.track}: {self.text[:60]}"
