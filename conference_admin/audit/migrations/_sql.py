"""The SQL pieces the audit migrations run on PostgreSQL (for migrations).

A migration's SQL is history: what is here is exactly what the migrations that use it ran, and a
piece they use must never change (a later migration that needs other SQL writes its own).
(Django's migration loader skips modules whose name starts with "_".)
"""

TABLE = "audit_auditrecord"
APPEND_ONLY = "audit_auditrecord_append_only"  # the row trigger and its function (0002, 0003, 0006)

# Settling a pending attempt may change these and nothing else (0003, 0006).
SETTLED = ("outcome", "error_code", "error_message", "twilio_request_id", "participant_sid", "participant_label")
SETTLED_KEYS = " - ".join(f"'{name}'" for name in SETTLED)

# Before 0006: a DELETE in a transaction that ran `SET LOCAL conference_admin.audit_prune = 'on'`.
IF_PRUNE_SWITCH_ON = """
    IF TG_OP = 'DELETE' AND current_setting('conference_admin.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;"""

# The UPDATE Django makes when an account is deleted (`actor` is SET_NULL): only `actor_id` goes.
IF_ACTOR_DELETED = """
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;"""

# A pending attempt settled to a final outcome, nothing else changed.
IF_PENDING_SETTLED = f"""
    IF TG_OP = 'UPDATE' AND OLD.outcome = 'pending' AND NEW.outcome <> 'pending'
       AND (to_jsonb(NEW) - {SETTLED_KEYS}) = (to_jsonb(OLD) - {SETTLED_KEYS}) THEN
        RETURN NEW;
    END IF;"""

REFUSE = """
    RAISE EXCEPTION 'audit records are append-only: % refused (retention is manage.py prune_audit)', TG_OP
        USING ERRCODE = 'restrict_violation';"""


def trigger_function(name: str, body: str, *, declare: str = "") -> str:
    """CREATE OR REPLACE the plpgsql trigger function `name` (its `declare` block, then `body`)."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${declare}
BEGIN{body}
END;
$$;
"""


def trigger(name: str, *, when: str, each: str) -> str:
    """(Re)create the trigger `name` on the audit table, running the function of the same name."""
    return f"""DROP TRIGGER IF EXISTS {name} ON {TABLE};
CREATE TRIGGER {name} {when} ON {TABLE}
    FOR EACH {each} EXECUTE FUNCTION {name}();
"""


def drop_trigger(name: str) -> str:
    """Drop the trigger `name` and its function."""
    return f"""
DROP TRIGGER IF EXISTS {name} ON {TABLE};
DROP FUNCTION IF EXISTS {name}();
"""


def on_postgresql(sql: str):
    """A RunPython function running `sql` on PostgreSQL and nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run
