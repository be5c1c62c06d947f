"""Demo data and the `runsimulator` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conference_admin.simulator.demo import load_demo
from conference_admin.simulator.engine import Simulator

from ..processes import start_command, stop
from .conftest import ACCOUNT

REPO = Path(__file__).resolve().parents[2]


def test_demo_has_the_states_a_dashboard_needs(sim: Simulator) -> None:
    conferences = load_demo(sim)
    assert len(conferences) == 5
    assert [c.status for c in conferences].count("in-progress") == 4
    assert [c.status for c in conferences].count("init") == 1
    everyone = [p for c in conferences for p in sim.list_participants(ACCOUNT, c.sid)]
    labels = [p.label for p in everyone if p.label]
    assert len(labels) >= len(everyone) - 1
    assert {"agent:alice", "supervisor:sam", "customer:Dana Whitfield"} <= set(labels)
    assert any(p.muted for p in everyone)
    assert sum(p.hold for p in everyone) == 1
    coach = next(p for p in everyone if p.coaching)
    assert coach.label == "supervisor:sam"
    assert next(p for p in everyone if p.call_sid == coach.call_sid_to_coach).label == "agent:alice"
    assert [p.status for p in everyone].count("ringing") == 1


def test_demo_loads_into_the_simulators_first_account_by_default() -> None:
    sim = Simulator(account_sid="AC" + "1" * 32, auth_token="t")
    assert {c.account_sid for c in load_demo(sim)} == {"AC" + "1" * 32}


COMMAND_ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "command-token"}


def test_runsimulator_serves_until_interrupted() -> None:
    process = start_command(["runsimulator", "--port", "0", "--seed", "3", "--answer-after", "1"], COMMAND_ENV)
    banner: list[str] = []
    output = ""
    try:
        banner = [process.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
        base_url = banner[0].split()[-1]
        assert base_url.startswith("http://127.0.0.1:")
        assert banner[1].strip() == f"Account SID: {ACCOUNT}"
        response = requests.get(
            f"{base_url}/2010-04-01/Accounts/{ACCOUNT}/Conferences.json", auth=(ACCOUNT, "command-token"), timeout=5
        )
        assert response.status_code == 200 and len(response.json()["conferences"]) == 5
    finally:
        output = stop(process, [signal.SIGINT])
    assert "command-token" not in "".join(banner) + output
    assert process.returncode == 0


@pytest.mark.parametrize(
    "signals",
    [[signal.SIGINT], [signal.SIGTERM], [signal.SIGINT, signal.SIGTERM]],
    ids=["SIGINT", "SIGTERM", "SIGINT then SIGTERM"],
)
def test_runsimulator_stops_cleanly_when_started_with_sigint_ignored(signals: list[signal.Signals]) -> None:
    # A background job (`cmd &`, nohup, CI) inherits SIGINT ignored; the command must still stop on
    # SIGINT and on SIGTERM, close its port and exit 0.
    process = start_command(["runsimulator", "--port", "0", "--activity", "0.05"], COMMAND_ENV, sigint_ignored=True)
    try:
        base_url = process.stdout.readline().split()[-1]  # type: ignore[union-attr]
        url = f"{base_url}/2010-04-01/Accounts/{ACCOUNT}/Conferences.json"
        assert requests.get(url, auth=(ACCOUNT, "command-token"), timeout=5).status_code == 200
    finally:
        output = stop(process, signals)
    assert process.returncode == 0, output
    assert output.rstrip().endswith("Simulator stopped."), output
    assert "Traceback" not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)


def test_runsimulator_refuses_to_start_without_credentials() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "runsimulator", "--port", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "TWILIO_AUTH_TOKEN" in result.stderr


def test_an_empty_token_unlocks_nothing() -> None:
    sim = Simulator(account_sid=ACCOUNT, auth_token="")
    assert sim.authenticate(ACCOUNT, "") is None


def test_runsimulator_with_callbacks_activity_and_faults(receiver) -> None:  # type: ignore[no-untyped-def]
    env = {**COMMAND_ENV, "SIMULATOR_FAULTS": "kind=error,status=503,operation=ListConference,count=1"}
    process = start_command(
        [
            "runsimulator",
            "--port",
            "0",
            "--seed",
            "3",
            "--callback-base-url",
            receiver.base_url,
            "--activity",
            "0.05",
            "--fault",
            "kind=not_found,operation=FetchConference",
        ],
        env,
    )
    try:
        banner = [process.stdout.readline() for _ in range(6)]  # type: ignore[union-attr]
        base_url = banner[0].split()[-1]
        assert banner[2].strip() == f"Status callbacks without their own URL go to {receiver.base_url}"
        assert banner[3].strip() == "Simulated activity every 0.05 s"
        assert "'kind': 'error'" in banner[4] and "'kind': 'not_found'" in banner[5]
        url = f"{base_url}/2010-04-01/Accounts/{ACCOUNT}/Conferences.json"
        assert requests.get(url, auth=(ACCOUNT, "command-token"), timeout=5).status_code == 503
        assert requests.get(url, auth=(ACCOUNT, "command-token"), timeout=5).status_code == 200
        deadline = time.monotonic() + 5
        while not any(r.form.get("StatusCallbackEvent") == "participant-speech-start" for r in receiver.requests):
            assert time.monotonic() < deadline, receiver.events()
            time.sleep(0.05)
    finally:
        stop(process, [signal.SIGINT])
    assert process.returncode == 0
    # Loading the demo reported nothing; only what happened afterwards did.
    assert receiver.requests[0].url == receiver.base_url + "/webhooks/twilio/conference-status"
    assert "conference-start" not in receiver.events()
