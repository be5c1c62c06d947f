"""What the dashboard remembers about a conference after Twilio has forgotten it.

Twilio lists no participants for a completed conference, and a participant disappears from
the Participant resource when it leaves. History keeps the metadata: one record per
conference, one session per call that was ever in it, and the participant states the
dashboard observed only by polling. Timelines and supervisor actions are not copied: they
are read from the live events (`live.ConferenceEvent`) and the audit trail (`audit.AuditRecord`).
No recording files, no audio (only what the recording did: `recording_state`).
"""

from django.db import models


class ConferenceRecord(models.Model):
    sid = models.CharField(max_length=34, unique=True)
    friendly_name = models.CharField(max_length=256, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason_ended = models.CharField(max_length=256, blank=True)
    # What its recording did ("recorded, paused at times"); blank: never seen recording.
    recording_state = models.CharField(max_length=64, blank=True)
    # The alerts that fired, as the list shows them ("; "-joined, in firing order): kept here
    # by the recorder when one first fires, so the list reads no other table for them.
    alerts_fired = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ended_at", "-id"]
        indexes = [
            # The history list: ended conferences, newest first, by period.
            models.Index(fields=["-ended_at", "-id"], name="history_conf_ended_idx"),
            # Search by date range (started) and retention of never-ended records.
            models.Index(fields=["started_at"], name="history_conf_started_idx"),
            models.Index(fields=["created_at"], name="history_conf_created_idx"),
        ]

    def __str__(self) -> str:
        return self.friendly_name or self.sid

    @property
    def duration(self):
        if self.started_at and self.ended_at:
            return self.ended_at - self.started_at
        return None


class ParticipantSession(models.Model):
    """One call's stay in one conference (a CallSid joins a conference once)."""

    conference = models.ForeignKey(ConferenceRecord, to_field="sid", on_delete=models.CASCADE, related_name="sessions")
    call_sid = models.CharField(max_length=34)
    label = models.CharField(max_length=256, blank=True)
    # The caller's number (or client/SIP identity) and the call's direction: blank until caller
    # identity is known, except for the dashboard's own dial-outs (the audit trail has their `to`).
    number = models.CharField(max_length=128, blank=True)
    direction = models.CharField(max_length=32, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=128, blank=True)
    # The coached call, when this participant coached someone (as last seen).
    coached_call_sid = models.CharField(max_length=34, blank=True)
    # Seen by a reconcile diff in polling-only mode: the true time is up to
    # `approximate_within` seconds before the one stored.
    joined_approximate = models.BooleanField(default=False)
    left_approximate = models.BooleanField(default=False)
    approximate_within = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["conference", "call_sid"], name="history_session_once")]
        # Search by CallSid (a participant without label or number is known by it).
        indexes = [models.Index(fields=["call_sid"], name="history_session_call_idx")]
        # Search indexes (trigram, PostgreSQL only) are created by migration 0002.

    def __str__(self) -> str:
        return self.label or self.number or self.call_sid

    @property
    def times_approximate(self) -> bool:
        return self.joined_approximate or self.left_approximate


class ParticipantObservation(models.Model):
    """A participant's state as a reconcile found it (no callback told of it): feeds the
    time on hold and time muted when the conference is followed by polling only."""

    conference = models.ForeignKey(
        ConferenceRecord, to_field="sid", on_delete=models.CASCADE, related_name="observations"
    )
    call_sid = models.CharField(max_length=34)
    at = models.DateTimeField()
    muted = models.BooleanField(null=True)
    hold = models.BooleanField(null=True)
    coaching = models.BooleanField(null=True)
    call_sid_to_coach = models.CharField(max_length=34, blank=True)
    approximate = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["conference", "at"], name="history_obs_conf_at_idx")]


class ConferenceAlert(models.Model):
    """An alert the dashboard showed for this conference, recorded when it first fired.

    One per conference, kind and subject (the participant's CallSid for a row's alert, the
    dropped agent's label, or nothing for a conference's alert): an alert that clears and
    fires again is not recorded twice. `text` is the alert as it read when it first fired.
    """

    conference = models.ForeignKey(ConferenceRecord, to_field="sid", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=256, blank=True)
    text = models.CharField(max_length=512)
    # A phrase alert's matched line: what someone said, shown only to who may read transcripts
    # (`text` says who said which watched phrase, as the live pages do).
    line = models.TextField(blank=True)
    fired_at = models.DateTimeField()

    class Meta:
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "kind", "subject"], name="history_alert_once"),
        ]

    def __str__(self) -> str:
        return self.text
