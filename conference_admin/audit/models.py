from __future__ import annotations

import functools

from django.conf import settings
from django.db import connections, models


class AppendOnlyError(Exception):
    """Audit records are written once and never changed or deleted (retention: `manage.py prune_audit`)."""


class AuditRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit records cannot be edited")

    def delete(self):
        raise AppendOnlyError("Audit records cannot be deleted; retention is `manage.py prune_audit`")

    def add(self, record: AuditRecord) -> AuditRecord:
        """Write a new record (as `save()` would) by one INSERT written once from the model's
        columns: every action writes one, and building it through the ORM cost more CPU than
        running it."""
        if record.pk is not None:
            raise AppendOnlyError("Audit records cannot be edited")
        connection = connections[self.db]
        fields = _insert_fields()
        values = [field.get_db_prep_save(field.pre_save(record, True), connection) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(self.db), values)
            (record.pk,) = cursor.fetchone()
        record._state.adding, record._state.db = False, self.db
        return record

    def settle(self, record: AuditRecord, **fields) -> None:
        """The one change a record takes: a `pending` attempt gets its outcome, once (on PostgreSQL
        the append-only trigger lets only this through). `fields`: the outcome, error, request id
        and the participant Twilio named; who acted, on what and with what stay as written."""
        if record.outcome != AuditRecord.Outcome.PENDING or fields.get("outcome") in (None, record.outcome):
            raise AppendOnlyError("Only a pending audit record is settled, once")
        if set(fields) - SETTLED_FIELDS:
            raise AppendOnlyError(f"A settled record keeps {sorted(set(fields) - SETTLED_FIELDS)} as written")
        names = tuple(sorted(fields))
        connection = connections[self.db]
        values = [_field(name).get_db_prep_save(fields[name], connection) for name in names]
        with connection.cursor() as cursor:
            cursor.execute(_settle_sql(self.db, names), [*values, record.pk, AuditRecord.Outcome.PENDING])
            if cursor.rowcount != 1:
                raise AppendOnlyError(f"Audit record {record.pk} was already settled")
        for name, value in fields.items():
            setattr(record, name, value)


@functools.cache
def _settle_sql(alias: str, names: tuple[str, ...]) -> str:
    """`UPDATE ... SET <names> WHERE id = %s AND outcome = %s`, written once per set of fields:
    every action settles its record, and building the statement through a QuerySet cost more
    than running it."""
    quote = connections[alias].ops.quote_name
    columns = ", ".join(f"{quote(_column(name))} = %s" for name in names)
    where = f"{quote(_column('id'))} = %s AND {quote(_column('outcome'))} = %s"
    return f"UPDATE {quote(AuditRecord._meta.db_table)} SET {columns} WHERE {where}"


@functools.cache
def _insert_fields() -> tuple[models.Field, ...]:
    return tuple(field for field in AuditRecord._meta.concrete_fields if not field.primary_key)


@functools.cache
def _insert_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = [quote(_column(field.name)) for field in _insert_fields()]
    table, key = quote(AuditRecord._meta.db_table), quote(_column("id"))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {key}"


def _field(name: str) -> models.Field:
    field = AuditRecord._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column of the table, not a reverse relation
    return field


def _column(name: str) -> str:
    column = _field(name).column
    assert column
    return column


SETTLED_FIELDS = {"outcome", "error_code", "error_message", "twilio_request_id", "participant_sid", "participant_label"}


class AuditRecord(models.Model):
    """One moderation attempt, whatever its outcome; or the later resolution of an unknown one."""

    class Outcome(models.TextChoices):
        OK = "ok", "ok"
        FAILED = "failed", "failed"
        UNKNOWN = "unknown", "unknown"
        # Written before the call to Twilio; settled to one of the above after it.
        PENDING = "pending", "pending"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as written, so the record still says who acted after the account is gone.
    actor_username = models.CharField(max_length=150)
    conference_sid = models.CharField(max_length=64, db_index=True)
    participant_sid = models.CharField(max_length=64, blank=True)
    participant_label = models.CharField(max_length=256, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    parameters = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, db_index=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    twilio_request_id = models.CharField(max_length=64, blank=True)
    # The dashboard request that made the attempt (its X-Request-ID, conference_admin/request_id.py):
    # the same id is on that request's log lines and its Twilio log line. Null: made outside a
    # request (a command), or written before the field existed.
    request_id = models.CharField(max_length=64, null=True, blank=True)
    # Set on a record that settles an earlier `unknown` attempt (which itself stays as written).
    resolves = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="resolutions")

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Append-only: nobody (superusers included) is offered adding, changing or deleting by hand.
        default_permissions = ("view",)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit records cannot be edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit records cannot be deleted; retention is `manage.py prune_audit`")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.outcome}"
