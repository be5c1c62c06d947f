"""What the dashboard remembers that Twilio does not tell it."""

from django.db import models


class ParticipantRecord(models.Model):
    """One live participant as the dashboard last saw it.

    Twilio's participant JSON has no `beep_on_exit` and no hold start, so the dashboard keeps
    what it last set (or first saw). The label is kept so a coach's row can name whom it
    coaches, and the coach picker can list the others, without another upstream call.
    """

    conference_sid = models.CharField(max_length=34)
    call_sid = models.CharField(max_length=34)
    label = models.CharField(max_length=128, blank=True)
    # None: the dashboard never set it, so it is unknown ("not set").
    beep_on_exit = models.BooleanField(null=True)
    hold_started_at = models.DateTimeField(null=True)
    # True when the dashboard itself put the participant on hold (the start is exact);
    # False when it is Twilio's date_updated at the time the hold was first seen.
    hold_start_exact = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conference_sid", "call_sid"], name="unique_participant_record"),
        ]

    def __str__(self) -> str:
        return f"{self.conference_sid}/{self.call_sid}"
