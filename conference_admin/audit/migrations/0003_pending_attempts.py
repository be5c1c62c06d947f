"""An attempt's record is written `pending` before the call to Twilio and settled after it.

The append-only trigger (0002) gains one exception: an UPDATE of a `pending` row to a final
outcome that changes only the outcome, the error, Twilio's request id and the participant
Twilio named (a dial-out learns its call SID from the answer). Every other UPDATE and every
DELETE is still refused, a settled row included.
"""

from django.db import migrations, models

from . import _sql


def _function(*, settling: bool) -> str:
    settle = _sql.IF_PENDING_SETTLED if settling else ""
    return _sql.trigger_function(
        _sql.APPEND_ONLY, _sql.IF_PRUNE_SWITCH_ON + _sql.IF_ACTOR_DELETED + settle + _sql.REFUSE
    )


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
        migrations.RunPython(
            _sql.on_postgresql(_function(settling=True)), _sql.on_postgresql(_function(settling=False))
        ),
    ]
