"""Starting a management command in a child process, and always stopping it.

`start_command()` can start the child with SIGINT ignored, as a shell does for a background job
(`cmd &`), nohup and CI runners do; `stop()` sends a signal, waits, and kills what does not stop
in time, so no process outlives the test that started it, whatever happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ignore_sigint() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_profile_environment() -> dict[str, str]:
    """This environment without the production profile's variables (database, Redis, Django, Twilio)."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "TWILIO_"))
    }


def start_command(
    arguments: Sequence[str],
    env: dict[str, str],
    *,
    sigint_ignored: bool = False,
    base_env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """`manage.py <arguments>` with `env` added to `base_env` (default: this process's environment)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO,
        env={**(os.environ if base_env is None else base_env), "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )


class DidNotStop(AssertionError):
    pass


def stop(
    process: subprocess.Popen[str], signals: Sequence[signal.Signals] = (signal.SIGINT,), timeout: float = 15
) -> str:
    """Send `signals` (in order) and wait for the exit; return the rest of its output.

    A process still running after `timeout` seconds is killed, then DidNotStop is raised.
    """
    for number in signals:
        if process.poll() is None:
            process.send_signal(number)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=timeout)
        raise DidNotStop(
            f"still running {timeout:g} s after {', '.join(s.name for s in signals)}; killed. Output:\n{output}"
        ) from None
    return output or ""
