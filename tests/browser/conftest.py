"""Real Chromium through Playwright against pytest-django's live_server and the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conference_admin.access.roles import LEAD, assign_role

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-staple-42"

expect.set_options(timeout=5_000)

# Reported from the page itself: a violation is an event, not always a console line.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`;
  window.__reportProblem(`CSP ${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
}, true);
"""


class PageProblems:
    """Everything a page complains about, from its first document to the last action: console
    errors and warnings, uncaught exceptions, Content-Security-Policy violations.

    Attach it before the first navigation; `assert_none()` at the end of the test."""

    def __init__(self, page) -> None:
        self.page = page
        self.found: list[str] = []
        page.expose_function("__reportProblem", lambda text: self.found.append(text))
        page.add_init_script(CSP_WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.found.append(f"uncaught: {exc}"))

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.found.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    def assert_none(self) -> None:
        if not self.page.is_closed():
            self.page.wait_for_timeout(100)  # reports still on their way from the page
        assert self.found == [], f"The page reported problems: {self.found}"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def fast_browser_settings(settings):
    """Refresh every second so tests see polling quickly; a fast hasher for the login test."""
    settings.DASHBOARD_POLL_SECONDS = 1
    # Changes made behind the dashboard's back (in the simulator) show within a second.
    settings.ROSTER_POLL_INTERVAL_SECONDS = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def unhashed_static(settings):
    """live_server serves /static/ through Django's finders, which do not know the manifest's
    hashed names (WhiteNoise never sees those requests), so browser tests use plain names."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def supervisor(transactional_db, django_user_model):
    user = django_user_model.objects.create_user("supervisor", password=PASSWORD)
    assign_role(user, LEAD)
    return user


@pytest.fixture
def page(browser, live_server, simulator):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    problems = PageProblems(page)
    try:
        yield page
        problems.assert_none()
    finally:
        context.close()


@pytest.fixture
def logged_in(page, supervisor, live_server):
    """A page with a supervisor session (the login form itself is tested separately)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(supervisor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
    return page


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def demo(simulator):
    """The simulator's demo conferences by friendly name."""
    from conference_admin.simulator.demo import load_demo

    return {conference.friendly_name: conference for conference in load_demo(simulator)}


def row(page, simulator, conference_sid: str, label: str):
    """The participant's table row, located by its stable DOM id."""
    call_sid = simulator.fetch_participant(simulator.account_sid, conference_sid, label).call_sid
    return page.locator(f"#participant-{call_sid}")
