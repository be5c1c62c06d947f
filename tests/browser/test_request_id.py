"""A click in real Chromium followed end to end by its request id: the id the browser's request
carries comes back in the answer, and is on the audit record and on the Twilio log line."""

from __future__ import annotations

import logging

import pytest
from playwright.sync_api import expect

from conference_admin.audit.models import AuditRecord

from .conftest import row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
CLICK_ID = "browser-click-5e1d0a77"


def test_a_clicks_request_id_reaches_the_audit_record_and_the_twilio_log_line(logged_in, simulator, demo, caplog):
    caplog.set_level(logging.INFO, logger="conference_admin.twilio.requests")
    page = logged_in
    conference = demo[ESCALATION]
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    expect(carol).to_be_visible()

    page.set_extra_http_headers({"X-Request-ID": CLICK_ID})
    with page.expect_response(lambda r: r.request.method == "POST" and "/participants/" in r.url) as answer:
        carol.get_by_role("button", name="Mute agent:carol", exact=True).click()
    expect(carol.get_by_text("Muted", exact=True)).to_be_visible()

    assert answer.value.headers["x-request-id"] == CLICK_ID
    record = AuditRecord.objects.get(action="mute", conference_sid=conference.sid)
    assert (record.outcome, record.request_id) == ("ok", CLICK_ID)
    lines = [r for r in caplog.records if getattr(r, "twilio_operation", "") == "UpdateParticipant"]
    assert [(line.request_id, line.twilio_outcome) for line in lines] == [(CLICK_ID, "ok")]
