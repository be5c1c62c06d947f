"""The configured pick lists (caller IDs, hold music, wait music, announcements).

Live state is not here: it is the shared roster (conference_admin.live). Admins edit these
entries in Django admin; the dashboard reads them through `pick_lists()`, which is served
from Django's cache and rebuilt after any save or delete.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

PICK_LISTS_KEY = "dashboard:pick-lists"
PICK_LISTS_SECONDS = 3600  # changes invalidate at once; the timeout is only a safety net


class Choice(models.Model):
    class Kind(models.TextChoices):
        CALLER_ID = "caller_id", "Caller ID"
        HOLD_MUSIC = "hold_music", "Hold music"
        WAIT_MUSIC = "wait_music", "Wait music"
        ANNOUNCEMENT = "announcement", "Announcement"

    class Method(models.TextChoices):
        NONE = "", "—"
        GET = "GET", "GET"
        POST = "POST", "POST"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=128, help_text="What supervisors see in the picker.")
    url_or_number = models.CharField(
        "URL or number",
        max_length=2000,
        help_text="An http(s) URL Twilio fetches (music, announcements) or a caller ID (+E.164 or client:name).",
    )
    method = models.CharField(max_length=4, choices=Method.choices, blank=True, help_text="How Twilio fetches the URL.")
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first; the first is the default.")

    class Meta:
        ordering = ["kind", "position", "id"]
        verbose_name = "pick-list entry"
        verbose_name_plural = "pick lists"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def clean(self):
        if self.kind == self.Kind.CALLER_ID:
            from .forms import CLIENT_RE, E164_RE

            if not (E164_RE.match(self.url_or_number) or CLIENT_RE.match(self.url_or_number)):
                raise ValidationError({"url_or_number": "A caller ID is +E.164 (+14155550100) or client:name."})
            if self.method:
                raise ValidationError({"method": "A caller ID has no method."})
        else:
            try:
                URLValidator(schemes=["http", "https"])(self.url_or_number)
            except ValidationError:
                raise ValidationError({"url_or_number": "Enter a full http:// or https:// URL."}) from None


def _entries(choices, kind: str) -> list[dict[str, str]]:
    return [{"name": c.name, "url": c.url_or_number, "method": c.method} for c in choices if c.kind == kind]


def pick_lists() -> dict[str, Any]:
    """Every pick list the dashboard offers; one cache read when warm, one query when cold."""
    lists = cache.get(PICK_LISTS_KEY)
    if lists is None:
        choices = list(Choice.objects.all())
        lists = {
            "hold_music": _entries(choices, Choice.Kind.HOLD_MUSIC),
            "wait_music": _entries(choices, Choice.Kind.WAIT_MUSIC),
            "announcements": _entries(choices, Choice.Kind.ANNOUNCEMENT),
            "caller_ids": [c.url_or_number for c in choices if c.kind == Choice.Kind.CALLER_ID],
        }
        cache.set(PICK_LISTS_KEY, lists, PICK_LISTS_SECONDS)
    return lists


@receiver(post_save, sender=Choice, dispatch_uid="dashboard-choice-saved")
@receiver(post_delete, sender=Choice, dispatch_uid="dashboard-choice-deleted")
def _pick_lists_changed(sender, **kwargs) -> None:
    cache.delete(PICK_LISTS_KEY)


def default_choices() -> list[dict[str, Any]]:
    """The entries a new database starts with: the DASHBOARD_* defaults in settings."""
    from django.conf import settings

    rows = []
    for kind, entries in (
        (Choice.Kind.HOLD_MUSIC, settings.DASHBOARD_HOLD_MUSIC),
        (Choice.Kind.WAIT_MUSIC, settings.DASHBOARD_WAIT_MUSIC),
        (Choice.Kind.ANNOUNCEMENT, settings.DASHBOARD_ANNOUNCEMENTS),
    ):
        rows += [
            {
                "kind": str(kind),
                "name": e["name"],
                "url_or_number": e["url"],
                "method": e.get("method", ""),
                "position": i,
            }
            for i, e in enumerate(entries)
        ]
    rows += [
        {"kind": str(Choice.Kind.CALLER_ID), "name": number, "url_or_number": number, "method": "", "position": i}
        for i, number in enumerate(settings.DASHBOARD_CALLER_IDS)
    ]
    return rows


def seed_choices(model=Choice, using: str = "default") -> int:
    """Fill an empty table with the defaults (the data migration and a flushed test database)."""
    if model.objects.using(using).exists():
        return 0
    model.objects.using(using).bulk_create([model(**row) for row in default_choices()])
    cache.delete(PICK_LISTS_KEY)
    return len(default_choices())


@receiver(post_migrate, dispatch_uid="dashboard-seed-choices")
def _seed_after_migrate(sender, using="default", **kwargs) -> None:
    """A flushed database (tests) gets the defaults back; a table with any entry is left alone."""
    if sender.label == "dashboard":
        seed_choices(using=using)
