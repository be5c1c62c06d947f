"""`/healthz` and `/readyz` of a dashboard served by gunicorn, with its database taken away and
given back: on the production profile a private PostgreSQL the test stops and starts; on the
embedded default the SQLite file's directory moved away and back (the file cannot be opened)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.infrastructure import PrivatePostgres, PrivateRedis, closed_port
from tests.processes import default_profile_environment

from .servers import gunicorn, production

pytestmark = pytest.mark.timeout(180)


class SqliteDatabase:
    """A SQLite database whose directory can be moved away (connections then fail to open)."""

    def __init__(self, root: Path) -> None:
        self.home = root / "db"
        self.away = root / "db-away"
        self.home.mkdir()
        (self.home / "db.sqlite3").touch()

    def url(self) -> str:
        return f"sqlite:///{self.home / 'db.sqlite3'}"

    def stop(self) -> None:
        self.home.rename(self.away)

    def start(self) -> None:
        self.away.rename(self.home)

    def destroy(self) -> None:
        pass


@pytest.fixture
def database(tmp_path):
    db = PrivatePostgres() if production() else SqliteDatabase(tmp_path)
    try:
        if isinstance(db, PrivatePostgres):
            db.init()
            db.start()
        yield db
    finally:
        db.destroy()


def environment(simulator_server, database, **extra: str) -> dict[str, str]:
    import os

    env = dict(os.environ) if production() else default_profile_environment()
    return {
        **env,
        "DATABASE_URL": database.url(),
        "TWILIO_API_BASE_URL": simulator_server.base_url,
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


def ready(dashboard) -> tuple[int, dict]:
    response = dashboard.get("/readyz")
    return response.status_code, response.json()


def wait_until(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_readiness_turns_503_without_the_database_and_200_after(simulator_server, database):
    with gunicorn(environment(simulator_server, database)) as dashboard:
        status, body = ready(dashboard)
        assert status == 200, body
        assert body["status"] == "ready"
        expected = {"database", "twilio", *(["redis"] if production() else [])}
        assert set(body["checks"]) == expected and set(body["checks"].values()) == {"ok"}

        database.stop()
        status, body = ready(dashboard)
        assert status == 503, body
        assert body == {
            "status": "not ready",
            "checks": {name: "down" if name == "database" else "ok" for name in body["checks"]},
            "not_ready": ["database"],
        }
        # The process itself still answers: health is not readiness.
        assert dashboard.get("/healthz").status_code == 200

        database.start()
        assert wait_until(lambda: ready(dashboard)[0] == 200), ready(dashboard)
    output = dashboard.output
    # Said once when it went down and once when it came back, with how long.
    assert output.count("database is unavailable") == 1, output
    assert output.count("database is back after") == 1, output


def test_readiness_names_twilio_and_redis_when_they_do_not_answer(simulator_server, database):
    extra = {"TWILIO_API_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    if production():
        extra["REDIS_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    with gunicorn(environment(simulator_server, database, **extra)) as dashboard:
        status, body = ready(dashboard)
        assert status == 503
        assert body["not_ready"] == (["redis", "twilio"] if production() else ["twilio"])
        assert body["checks"]["database"] == "ok"


def test_redis_coming_back_makes_the_process_ready(simulator_server, database):
    if not production():
        pytest.skip("the embedded default has no Redis")
    redis_server = PrivateRedis(closed_port())
    env = environment(simulator_server, database, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0")
    try:
        with gunicorn(env) as dashboard:
            assert ready(dashboard)[1]["not_ready"] == ["redis"]
            redis_server.start()
            assert wait_until(lambda: ready(dashboard)[0] == 200)
    finally:
        redis_server.stop()


def test_health_and_readiness_need_no_login_and_say_nothing_sensitive(client, db, simulator, settings):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    text = response.content.decode()
    database = str(settings.DATABASES["default"]["NAME"])
    for secret in (settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE_URL, database):
        assert secret not in text
    assert response["Cache-Control"].startswith("max-age=0")
