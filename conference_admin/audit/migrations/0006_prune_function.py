"""Pruning the audit trail on PostgreSQL goes through one function, and nothing else gets past
the append-only trigger.

Before, the trigger let a DELETE through in any transaction that had run `SET LOCAL
conference_admin.audit_prune = 'on'`, which any session of the application's role could do.
Now:

- `audit_auditrecord_prune(cutoff, ids, actor_username, parameters)` is a SECURITY DEFINER
  function owned by the role that runs this migration. It refuses a cut-off less than a day ago,
  deletes the given records older than the cut-off (what `manage.py prune_audit` has just
  archived), writes the prune's own record in the trail (with how many it deleted) and returns
  that record's id. EXECUTE is revoked from PUBLIC: the owner (and whoever it grants) may call it.
- The row trigger lets a DELETE through only when the statement is that function's own DELETE
  (read from the call stack, `GET DIAGNOSTICS ... PG_CONTEXT`): the session setting is no longer
  looked at, so a session that sets it and deletes is refused like any other.

The UPDATE exceptions (an account's deletion nulling `actor_id`, settling a pending row) are
unchanged, and so is the TRUNCATE trigger (0005).
"""

from django.db import migrations

from . import _sql

PRUNE_FUNCTION = "audit_auditrecord_prune"
PRUNE_SIGNATURE = "timestamp with time zone,bigint[],text,jsonb"


def _trigger(*, delete_allowed_by: str) -> str:
    allowed = f"""
    IF TG_OP = 'DELETE' THEN
        {delete_allowed_by}
    END IF;"""
    return _sql.trigger_function(
        _sql.APPEND_ONLY,
        allowed + _sql.IF_ACTOR_DELETED + _sql.IF_PENDING_SETTLED + _sql.REFUSE,
        declare="""
DECLARE
    stack text;""",
    )


# The DELETE must be the prune function's own statement: the stack's first line is this trigger,
# the second the DELETE, the third the function that ran it. A function of that name in another
# schema (pg_temp included) is shown schema-qualified and does not match.
# POSIX regular expression for the rest of the function's line, after its (optional) schema.
_CALLER = PRUNE_FUNCTION + r"\(timestamp with time zone,bigint\[\],text,jsonb\) line [0-9]+ at SQL statement$"
BY_THE_PRUNE_FUNCTION = (
    """GET DIAGNOSTICS stack = PG_CONTEXT;
        IF split_part(stack, E'\\n', 2) LIKE 'SQL statement "DELETE FROM audit_auditrecord %'
           AND split_part(stack, E'\\n', 3) ~ ('^PL/pgSQL function (' || quote_ident(TG_TABLE_SCHEMA) || '\\.)?"""
    + _CALLER
    + """') THEN
            RETURN OLD;
        END IF;"""
)

BY_THE_SESSION_SWITCH = """IF current_setting('conference_admin.audit_prune', true) = 'on' THEN
            RETURN OLD;
        END IF;"""


def _prune_function(schema: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {PRUNE_FUNCTION}(
    prune_cutoff timestamptz, prune_ids bigint[], prune_actor text, prune_parameters jsonb
)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    pruned bigint;
    record_id bigint;
BEGIN
    IF prune_cutoff IS NULL OR prune_cutoff > now() - interval '1 day' THEN
        RAISE EXCEPTION 'audit prune refused: the retention must be at least one day'
            USING ERRCODE = 'restrict_violation';
    END IF;
    DELETE FROM audit_auditrecord WHERE id = ANY(prune_ids) AND created_at < prune_cutoff;
    GET DIAGNOSTICS pruned = ROW_COUNT;
    INSERT INTO audit_auditrecord (created_at, actor_id, actor_username, conference_sid, participant_sid,
        participant_label, action, parameters, outcome, error_code, error_message, twilio_request_id,
        request_id, resolves_id)
    VALUES (now(), NULL, left(prune_actor, 150), '', '', '', 'audit-prune',
        coalesce(prune_parameters, '{{}}'::jsonb) || jsonb_build_object('pruned', pruned),
        'ok', NULL, '', '', NULL, NULL)
    RETURNING id INTO record_id;
    RETURN record_id;
END;
$$;
REVOKE ALL ON FUNCTION {PRUNE_FUNCTION}({PRUNE_SIGNATURE}) FROM PUBLIC;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
    schema_editor.execute(_prune_function(schema), params=None)
    schema_editor.execute(_trigger(delete_allowed_by=BY_THE_PRUNE_FUNCTION), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_trigger(delete_allowed_by=BY_THE_SESSION_SWITCH), params=None)
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {PRUNE_FUNCTION}({PRUNE_SIGNATURE})", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_refuse_truncate")]

    operations = [migrations.RunPython(forwards, backwards)]
