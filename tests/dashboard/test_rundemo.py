"""`manage.py rundemo`: the simulator and the dashboard in one process, stopped cleanly by a signal."""

from __future__ import annotations

import re
import signal

import pytest
import requests

from ..processes import default_profile_environment, start_command, stop


def _read_until(process, pattern: str) -> re.Match[str]:
    seen = []
    for line in process.stdout:
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError("the command ended before printing " + pattern + ":\n" + "".join(seen))


@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGTERM, signal.SIGINT]], ids=["SIGINT", "SIGTERM"])
def test_rundemo_stops_both_servers_on_a_signal_even_with_sigint_ignored(tmp_path, signals) -> None:
    # Its own throw-away database: the demo migrates and seeds users in whatever it is given.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DJANGO_RUNSERVER_HIDE_WARNING": "true"}
    process = start_command(
        ["rundemo", "--port", "0", "--simulator-port", "0", "--activity", "0"],
        env,
        sigint_ignored=True,
        base_env=default_profile_environment(),
    )
    try:
        simulator_url = _read_until(process, r"Twilio simulator: (http://127\.0\.0\.1:\d+)").group(1)
        dashboard_url = _read_until(process, r"Starting development server at (http://127\.0\.0\.1:\d+)/").group(1)
        assert requests.get(dashboard_url + "/", timeout=10).status_code == 200  # the login page
        assert requests.get(simulator_url + "/2010-04-01/Accounts.json", timeout=5).status_code in (401, 404)
    finally:
        output = stop(process, signals, timeout=30)
    assert process.returncode == 0, output
    assert "Demo stopped." in output and "Traceback" not in output, output
    for url in (simulator_url, dashboard_url):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)
