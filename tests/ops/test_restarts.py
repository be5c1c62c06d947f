"""Restarts without dropped actions (docs/OPERATIONS.md): gunicorn told to stop (SIGTERM) lets an
action waiting on Twilio finish, answered and audited, before it exits; a reload (SIGHUP, what
`systemctl reload` sends) replaces the workers while requests and actions keep coming, and
every one is answered and audited."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests
from django.urls import reverse

from conference_admin.access.roles import LEAD, assign_role
from conference_admin.audit.models import AuditRecord
from conference_admin.simulator.demo import load_demo
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.processes import default_profile_environment

from .servers import gunicorn, production, shared_database_url, signed_in

pytestmark = pytest.mark.timeout(120)

ESCALATION = "Escalation: outage #4471"


@pytest.fixture
def setup(transactional_db, simulator, simulator_server, django_user_model):
    conference = {c.friendly_name: c for c in load_demo(simulator)}[ESCALATION]
    user = django_user_model.objects.create_user("sam")
    assign_role(user, LEAD)
    env = dict(os.environ) if production() else default_profile_environment()
    env.update(
        DATABASE_URL=shared_database_url(),
        TWILIO_API_BASE_URL=simulator_server.base_url,
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        DJANGO_LOG_LEVEL="WARNING",
    )
    return conference, user, env


def _participant_url(simulator, conference, label: str) -> str:
    call_sid = simulator.fetch_participant(simulator.account_sid, conference.sid, label).call_sid
    return reverse("participant", args=[conference.sid, call_sid])


def test_sigterm_lets_an_action_waiting_on_twilio_finish(setup, simulator):
    conference, user, env = setup
    answers: list[object] = []
    with gunicorn(env, workers=2) as dashboard:
        browser, token = signed_in(dashboard, user, reverse("conference-detail", args=[conference.sid]))
        simulator.faults.inject(kind="latency", latency_ms=2000, operation="UpdateParticipant", count=1)
        url = dashboard.base_url + _participant_url(simulator, conference, "agent:carol")

        def click():
            try:
                answers.append(
                    browser.post(
                        url, {"action": "mute"}, headers={"X-CSRFToken": token, "HX-Request": "true"}, timeout=15
                    )
                )
            except requests.RequestException as error:
                answers.append(error)

        clicking = threading.Thread(target=click)
        try:
            clicking.start()
            assert _wait_for_record()  # written before Twilio is called: the action is in flight
            dashboard.process.send_signal(signal.SIGTERM)  # what systemctl stop sends
            clicking.join(20)
            exit_code = dashboard.process.wait(timeout=30)
        finally:
            simulator.faults.clear()
    [answer] = answers
    assert isinstance(answer, requests.Response) and answer.status_code == 200, answer
    assert "Muted agent:carol" in answer.headers.get("HX-Trigger", "")
    assert AuditRecord.objects.get(action="mute").outcome == "ok"
    assert exit_code == 0


def _wait_for_record(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if AuditRecord.objects.filter(action="mute").exists():
            return True
        time.sleep(0.02)
    return False


def test_a_reload_replaces_the_workers_without_dropping_a_request_or_an_action(setup, simulator):
    conference, user, env = setup
    failures: list[str] = []
    actions: list[int] = []
    stop = threading.Event()
    with gunicorn(env, workers=2) as dashboard:
        browser, token = signed_in(dashboard, user, reverse("conference-detail", args=[conference.sid]))
        simulator.faults.inject(kind="latency", latency_ms=300, operation="UpdateParticipant")
        url = dashboard.base_url + _participant_url(simulator, conference, "agent:carol")
        names = ("mute", "unmute")
        old_workers = set(_children(dashboard.process.pid))

        def act():
            n = 0
            while not stop.is_set():
                try:
                    answer = browser.post(
                        url, {"action": names[n % 2]}, headers={"X-CSRFToken": token, "HX-Request": "true"}, timeout=15
                    )
                    if answer.status_code != 200:
                        failures.append(f"action {answer.status_code}")
                    actions.append(answer.status_code)
                except requests.RequestException as error:
                    failures.append(f"action {error}")
                n += 1

        def probe():
            while not stop.is_set():
                try:
                    if requests.get(dashboard.base_url + "/healthz", timeout=10).status_code != 200:
                        failures.append("healthz")
                except requests.RequestException as error:
                    failures.append(f"healthz {error}")
                time.sleep(0.02)

        threads = [threading.Thread(target=act), threading.Thread(target=act), threading.Thread(target=probe)]
        try:
            for thread in threads:
                thread.start()
            time.sleep(1.0)
            dashboard.process.send_signal(signal.SIGHUP)  # what systemctl reload sends
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and set(_children(dashboard.process.pid)) & old_workers:
                time.sleep(0.1)
            replaced = not (set(_children(dashboard.process.pid)) & old_workers)
            time.sleep(1.0)  # and some more under the new workers
        finally:
            stop.set()
            for thread in threads:
                thread.join(20)
            simulator.faults.clear()
    assert replaced, "the old workers did not go"
    assert failures == []
    assert len(actions) >= 6
    audited = AuditRecord.objects.filter(action__in=("mute", "unmute"))
    assert audited.count() == len(actions)
    assert set(audited.values_list("outcome", flat=True)) == {"ok"}


def _children(master: int) -> list[int]:
    from pathlib import Path

    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except FileNotFoundError:
        return []
