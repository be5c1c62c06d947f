"""An attempt's record is written `pending` before the call to Twilio and settled after it.

The append-only trigger (0002) gains one exception: an UPDATE of a `pending` row to a final
outcome that changes only the outcome, the error, Twilio's request id and the participant
Twilio named (a dial-out learns its call SID from the answer). Every other UPDATE and every
DELETE is still refused, a settled row included.
"""

from django.db import migrations, models

FUNCTION = "audit_auditrecord_append_only"
SETTLED = ("outcome", "error_code", "error_message", "twilio_request_id", "participant_sid", "participant_label")
SETTLED_KEYS = " - ".join(f"'{name}'" for name in SETTLED)


def _function(*, settling: bool) -> str:
    settle = (
        f"""
    IF TG_OP = 'UPDATE' AND OLD.outcome = 'pending' AND NEW.outcome <> 'pending'
       AND (to_jsonb(NEW) - {SETTLED_KEYS}) = (to_jsonb(OLD) - {SETTLED_KEYS}) THEN
        RETURN NEW;
    END IF;"""
        if settling
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('conference_admin.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;{settle}
    RAISE EXCEPTION 'audit records are append-only: % refused (retention is manage.py prune_audit)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="outcome",
            field=models.CharField(
                choices=[("ok", "ok"), ("failed", "failed"), ("unknown", "unknown"), ("pending", "pending")],
                db_index=True,
                max_length=16,
            ),
        ),
        migrations.RunPython(_on_postgresql(_function(settling=True)), _on_postgresql(_function(settling=False))),
    ]
