"""The audit trail is append-only: no add/change/delete permissions, and on PostgreSQL a trigger.

The trigger refuses every UPDATE and DELETE on the audit table, with two exceptions:
- a DELETE inside a transaction that ran `SET LOCAL conference_admin.audit_prune = 'on'`
  (only `manage.py prune_audit` does, after archiving what it deletes);
- the UPDATE Django makes when an account is deleted (`actor` is SET_NULL): the row may lose
  its `actor_id` and nothing else (`actor_username` keeps saying who acted).
"""

from django.db import migrations

from . import _sql

CREATE = _sql.trigger_function(
    _sql.APPEND_ONLY, _sql.IF_PRUNE_SWITCH_ON + _sql.IF_ACTOR_DELETED + _sql.REFUSE
) + _sql.trigger(_sql.APPEND_ONLY, when="BEFORE UPDATE OR DELETE", each="ROW")
DROP = _sql.drop_trigger(_sql.APPEND_ONLY)


def drop_hand_edit_permissions(apps, schema_editor):
    """Nobody may hold add/change/delete on audit records, whichever group had them before."""
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="audit",
        codename__in=["add_auditrecord", "change_auditrecord", "delete_auditrecord"],
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditrecord",
            options={"default_permissions": ("view",), "ordering": ["-created_at", "-id"]},
        ),
        migrations.RunPython(drop_hand_edit_permissions, migrations.RunPython.noop),
        migrations.RunPython(_sql.on_postgresql(CREATE), _sql.on_postgresql(DROP)),
    ]
