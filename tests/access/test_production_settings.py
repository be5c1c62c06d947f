"""The production profile: Django's deployment checks pass, and missing variables are named."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = [
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
]


def production_env(**overrides) -> dict[str, str]:
    # Start clean: nothing from the profile this suite itself runs under.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "TWILIO_", "DATABASE_", "REDIS_", "AXES_", "PUBLIC_", "TRUSTED_", "LOGIN_"))
    }
    env.update(
        {
            "DJANGO_PROFILE": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "dash.example.com",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/conference_admin",
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "TRUSTED_PROXY_COUNT": "1",  # nginx in front, as docs/DEPLOY.md sets it up
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_check_deploy_passes_with_no_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_warns_when_no_proxy_is_trusted():
    result = run(["manage.py", "check", "--deploy"], production_env(TRUSTED_PROXY_COUNT=None))
    assert "access.W001" in result.stdout + result.stderr and "TRUSTED_PROXY_COUNT" in result.stdout + result.stderr


def test_the_replaced_trusted_proxies_variable_stops_start_up_naming_its_successor():
    result = run(
        ["-c", "import django; django.setup()"],
        production_env(AXES_TRUSTED_PROXIES="127.0.0.1", DJANGO_SETTINGS_MODULE="conference_admin.settings"),
    )
    assert result.returncode != 0 and "TRUSTED_PROXY_COUNT" in result.stderr.strip().splitlines()[-1]


def test_the_replaced_agent_prefix_variable_stops_start_up_naming_its_successor():
    result = run(
        ["-c", "import django; django.setup()"],
        production_env(SUPERVISION_AGENT_LABEL_PREFIX="agent", DJANGO_SETTINGS_MODULE="conference_admin.settings"),
    )
    assert result.returncode != 0 and "PARTICIPANT_ROLE_PREFIXES" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_variable_stops_start_up_naming_it(name):
    result = run(
        ["-c", "import django; django.setup()"],
        production_env(**{name: None, "DJANGO_SETTINGS_MODULE": "conference_admin.settings"}),
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr.strip().splitlines()[-1]


def test_api_key_pair_replaces_the_auth_token():
    env = production_env(TWILIO_AUTH_TOKEN=None, TWILIO_API_KEY_SID="SK" + "1" * 32, TWILIO_API_KEY_SECRET="s3cr3t")
    result = run(
        ["-c", "import django; django.setup()"], {**env, "DJANGO_SETTINGS_MODULE": "conference_admin.settings"}
    )
    assert result.returncode == 0, result.stderr


def test_secrets_do_not_reach_the_start_up_output():
    env = production_env()
    result = run(["manage.py", "check", "--deploy"], env)
    output = result.stdout + result.stderr
    assert env["DJANGO_SECRET_KEY"] not in output and env["TWILIO_AUTH_TOKEN"] not in output
