"""The audit trail is append-only: no add/change/delete permissions, and on PostgreSQL a trigger.

The trigger refuses every UPDATE and DELETE on the audit table, with two exceptions:
- a DELETE inside a transaction that ran `SET LOCAL conference_admin.audit_prune = 'on'`
  (only `manage.py prune_audit` does, after archiving what it deletes);
- the UPDATE Django makes when an account is deleted (`actor` is SET_NULL): the row may lose
  its `actor_id` and nothing else (`actor_username` keeps saying who acted).
"""

from django.db import migrations

FUNCTION = "audit_auditrecord_append_only"

CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('conference_admin.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % refused (retention is manage.py prune_audit)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
DROP TRIGGER IF EXISTS {FUNCTION} ON audit_auditrecord;
CREATE TRIGGER {FUNCTION} BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {FUNCTION} ON audit_auditrecord;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


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
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
