"""A refusal (403) is logged as one line: who, where and why; never a traceback."""

from __future__ import annotations

import logging

from django.urls import reverse

from conference_admin.access.roles import ADMIN, OBSERVER

from ..dashboard.conftest import ESCALATION


def forbidden_records(caplog):
    return [r for r in caplog.records if getattr(r, "status_code", None) == 403]


def assert_one_line(caplog, *, user: str, path: str, reason: str) -> None:
    records = forbidden_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    assert "\n" not in message
    assert f"user={user}" in message and f"path={path}" in message and reason in message, message
    assert "Traceback" not in caplog.text


def test_a_permission_refusal_logs_one_line(client_as, demo, caplog):
    caplog.set_level(logging.INFO)
    url = reverse("conference-end", args=[demo.sid(ESCALATION)])
    assert client_as(OBSERVER).post(url).status_code == 403
    assert_one_line(caplog, user="observer", path=url, reason="reason=Permission denied")


def test_an_admin_page_refusal_logs_one_line(client_as, db, caplog):
    caplog.set_level(logging.INFO)
    url = "/admin/audit/auditrecord/add/"
    assert client_as(ADMIN).get(url).status_code == 403
    assert_one_line(caplog, user="admin", path=url, reason="reason=Permission denied")


def test_a_csrf_refusal_logs_one_line_with_its_reason(client_as, demo, caplog):
    caplog.set_level(logging.INFO)
    url = reverse("conference-end", args=[demo.sid(ESCALATION)])
    assert client_as(OBSERVER, enforce_csrf_checks=True).post(url).status_code == 403
    assert_one_line(caplog, user="observer", path=url, reason="CSRF")


def test_a_hostile_path_stays_on_one_line(client_as, db, caplog):
    caplog.set_level(logging.INFO)
    url = "/admin/audit/auditrecord/add/?x=%0Afake%20line"
    assert client_as(ADMIN).get(url).status_code == 403
    assert "\n" not in forbidden_records(caplog)[0].getMessage()
