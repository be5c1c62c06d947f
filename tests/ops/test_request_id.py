"""One click followed end to end: the request's id (the caller's well-formed X-Request-ID, else a
new one) comes back in the response, is stored on the audit record and is on the Twilio log line.
JSON log lines carry it too."""

from __future__ import annotations

import json
import logging
import os
import re

from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from tests.faults.infrastructure import closed_port
from tests.processes import default_profile_environment

from .conftest import ESCALATION
from .servers import gunicorn, production

HTMX = {"HTTP_HX_REQUEST": "true"}
TWILIO_LOG = "conference_admin.twilio.requests"


def _mute(supervisor_client, demo, **headers):
    sid = demo.sid(ESCALATION)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    return supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX, **headers)


def _twilio_lines(caplog, operation: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == TWILIO_LOG and getattr(r, "twilio_operation", "") == operation]


def test_the_callers_request_id_reaches_the_audit_record_and_the_twilio_log_line(supervisor_client, demo, seen, caplog):
    seen(ESCALATION)
    caplog.set_level(logging.INFO, logger=TWILIO_LOG)
    response = _mute(supervisor_client, demo, HTTP_X_REQUEST_ID="click-7f3a9c2e-0001")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "click-7f3a9c2e-0001"
    assert AuditRecord.objects.get(action="mute").request_id == "click-7f3a9c2e-0001"
    [line] = _twilio_lines(caplog, "UpdateParticipant")
    assert line.request_id == "click-7f3a9c2e-0001"
    assert line.getMessage().startswith("Twilio UpdateParticipant ok in ")
    assert line.twilio_request_id  # Twilio's own id for the same call, next to ours


def test_a_malformed_request_id_is_replaced_by_a_new_one_used_throughout(supervisor_client, demo, seen, caplog):
    seen(ESCALATION)
    caplog.set_level(logging.INFO, logger=TWILIO_LOG)
    response = _mute(supervisor_client, demo, HTTP_X_REQUEST_ID="forged\nline injected")

    given = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", given)
    assert AuditRecord.objects.get(action="mute").request_id == given
    assert [line.request_id for line in _twilio_lines(caplog, "UpdateParticipant")] == [given]


def test_every_request_gets_an_id_and_concurrent_ones_are_not_mixed(client, db):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert client.get("/healthz", HTTP_X_REQUEST_ID="x" * 65)["X-Request-ID"] != "x" * 65  # too long


def test_json_log_lines_carry_the_request_id(simulator_server, tmp_path):
    """gunicorn with LOG_FORMAT=json and Twilio unreachable: /readyz logs one warning, as JSON."""
    env = dict(os.environ) if production() else default_profile_environment()
    env.update(LOG_FORMAT="json", TWILIO_API_BASE_URL=f"http://127.0.0.1:{closed_port()}")
    if not production():
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with gunicorn(env) as dashboard:
        response = dashboard.get("/readyz", headers={"X-Request-ID": "probe-0123456789"})
        assert response.status_code == 503 and response.headers["X-Request-ID"] == "probe-0123456789"
    lines = [json.loads(line) for line in dashboard.output.splitlines() if line.startswith("{")]
    [warning] = [line for line in lines if line.get("message", "").startswith("twilio is unavailable")]
    assert warning["request_id"] == "probe-0123456789"
    assert warning["level"] == "WARNING" and warning["logger"] == "conference_admin.ops.readiness"
    assert "time" in warning
