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


class TranscriptCursor(models.Model):
    """A conference's transcript cursor: the version of its newest line write.

    A line write takes the next value in its own transaction (`live/transcripts.line_heard`), so
    the row stays locked until that line commits: the next write waits, and cursors become
    readable in the order they were given. A reader that sees version V therefore sees every
    line below V too, and `value` is always a committed cursor."""

    conference_sid = models.CharField(max_length=34, primary_key=True)
    value = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.conference_sid}: {self.value}"


class PhraseRule(models.Model):
    """Words or phrases a call center watches for in live transcripts (kept in Django admin).

    `phrases` holds one phrase or word per line. A `phrase` rule matches where the phrase
    appears in what was said (any case, any spacing); a `word` rule only where the words stand
    whole ("lawyer" does not match "lawyers"). `side` says whose words count.
    """

    class Match(models.TextChoices):
        PHRASE = "phrase", "Phrase anywhere"
        WORD = "word", "Whole words only"

    class Side(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent (or supervisor)"
        ANY = "any", "Anyone"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    name = models.CharField(max_length=100, unique=True)
    phrases = models.TextField(help_text="One phrase or word per line.")
    match = models.CharField(max_length=8, choices=Match.choices, default=Match.PHRASE)
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.CUSTOMER)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def phrase_list(self) -> list[str]:
        return [" ".join(line.split()) for line in self.phrases.splitlines() if line.strip()]
