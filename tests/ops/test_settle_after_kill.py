"""A worker killed with SIGKILL between the audit write and Twilio's answer: its record stays
`pending` (and, with Redis, the row's in-flight mark stays); within AUDIT_SETTLE_AFTER_SECONDS
plus one runner interval the new worker's runner settles it from Twilio's state, clears the
mark, and the page shows the truth. gunicorn runs against the test's own database."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from conference_admin.access.roles import LEAD, assign_role
from conference_admin.audit.models import AuditRecord
from conference_admin.dashboard.settle import LOST
from conference_admin.live import roster as rosters
from conference_admin.simulator.demo import load_demo
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.processes import default_profile_environment

from .servers import gunicorn, production, shared_database_url, signed_in

pytestmark = pytest.mark.timeout(120)

ESCALATION = "Escalation: outage #4471"
SETTLE_AFTER = 4.0


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _wait(predicate, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_a_worker_killed_mid_action_has_its_record_settled_and_the_mark_cleared(
    transactional_db, simulator, simulator_server, django_user_model
):
    conference = {c.friendly_name: c for c in load_demo(simulator)}[ESCALATION]
    carol = simulator.fetch_participant(simulator.account_sid, conference.sid, "agent:carol").call_sid
    user = django_user_model.objects.create_user("sam")
    assign_role(user, LEAD)

    env = dict(os.environ) if production() else default_profile_environment()
    env.update(
        DATABASE_URL=shared_database_url(),
        TWILIO_API_BASE_URL=simulator_server.base_url,
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        TWILIO_READ_TIMEOUT="3",
        TWILIO_TOTAL_TIMEOUT="3",
        AUDIT_SETTLE_AFTER_SECONDS=str(SETTLE_AFTER),
        AUDIT_SETTLE_EVERY_SECONDS="0.5",
        DJANGO_LOG_LEVEL="WARNING",
    )
    with gunicorn(env) as dashboard:
        browser, token = signed_in(dashboard, user, reverse("conference-detail", args=[conference.sid]))

        # Twilio applies the mute, then answers only after 8 s: the worker waits on it.
        simulator.faults.inject(kind="stall", seconds=8, operation="UpdateParticipant", count=1, apply=True)
        answers: list[object] = []

        def click():
            try:
                answers.append(
                    browser.post(
                        dashboard.base_url + reverse("participant", args=[conference.sid, carol]),
                        {"action": "mute"},
                        headers={"X-CSRFToken": token, "HX-Request": "true"},
                        timeout=15,
                    )
                )
            except requests.RequestException as error:
                answers.append(error)

        clicking = threading.Thread(target=click)
        try:
            [worker] = _workers(dashboard.process.pid)
            clicking.start()
            record = _wait(lambda: AuditRecord.objects.filter(action="mute").first(), timeout=10)
            assert record is not None and record.outcome == "pending", answers
            assert _wait(lambda: simulator.fetch_participant(simulator.account_sid, conference.sid, carol).muted, 5)
            time.sleep(0.2)  # the worker is waiting for Twilio's answer
            os.kill(worker, signal.SIGKILL)
            clicking.join(20)
            assert isinstance(answers[0], requests.RequestException)  # the click got no answer
            killed_at = time.monotonic()
            if production():  # the mark is in Redis, where the killed worker left it
                assert rosters.load_marks(conference.sid).by_call.get(carol)

            # The master starts a new worker; its runner settles the record on its own.
            settled = _wait(
                lambda: AuditRecord.objects.filter(pk=record.pk).exclude(outcome="pending").first(),
                timeout=SETTLE_AFTER + 10,
                step=0.2,
            )
            took = time.monotonic() - killed_at
        finally:
            simulator.faults.clear()
        assert settled is not None, "still pending"
        assert settled.outcome == "ok" and settled.error_message.startswith(LOST), settled.error_message
        assert settled.twilio_request_id
        assert took < SETTLE_AFTER + 3
        assert AuditRecord.objects.filter(action="mute").count() == 1  # settled in place, nothing added
        assert not rosters.load_marks(conference.sid).by_call.get(carol)

        table = browser.get(
            dashboard.base_url + reverse("participant-table", args=[conference.sid]),
            headers={"HX-Request": "true"},
            timeout=10,
        )
        assert table.status_code == 200
        assert "Unmute agent:carol" in table.text and "in flight" not in table.text
