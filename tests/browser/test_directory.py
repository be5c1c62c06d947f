"""Sign-in with the company's directory in Chromium: the OpenID provider's own login page (node,
oidc-provider) and a private slapd, both real (tests/directory.py); roles from their groups.

The re-check interval is set short here (DIRECTORY_RECHECK_SECONDS); the time from a directory
change to lost rights on an open page is printed (`-s` shows it).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from conference_admin.access import directory, directory_oidc
from conference_admin.access.roles import OBSERVER, SUPERVISOR

from ..access.test_directory_sign_in import GROUP_ROLES
from ..directory import OpenIdProvider, skip_unless_installed
from .conftest import row

pytestmark = pytest.mark.browser

ESCALATION = "Escalation: outage #4471"
RECHECK_SECONDS = 2


@pytest.fixture(scope="session")
def browser_provider(live_server):
    """The test OpenID provider with the dashboard's client registered for the live server."""
    skip_unless_installed(oidc=True)
    provider = OpenIdProvider.start(redirect_uris=[f"{live_server.url}/oidc/callback/"])
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def directory_settings(settings, browser_provider, ldap, live_server, transactional_db):
    provider = browser_provider
    settings.OIDC_OP_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_PROVIDER_NAME = "Test directory"
    settings.LDAP_ENABLED = True
    for name, value in ldap.dashboard_settings().items():
        setattr(settings, name, value)
    settings.DIRECTORY_GROUP_ROLES = GROUP_ROLES
    settings.DIRECTORY_RECHECK_SECONDS = RECHECK_SECONDS
    directory_oidc._discovered.clear()
    try:
        yield provider
    finally:
        provider.reset_users()


def _role(username: str) -> str | None:
    return directory.current_role(get_user_model().objects.get(username=username))


def _sign_in_with_provider(page, provider, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_role("link", name="Sign in with Test directory").click()
    expect(page.get_by_role("heading", name="Test directory")).to_be_visible()
    assert page.url.startswith(provider.issuer)  # the provider's own login page
    page.get_by_label("Directory username").fill(username)
    page.get_by_label("Directory password").fill(provider.users[username].password)
    page.get_by_role("button", name="Sign in to the directory").click()


def test_supervisor_signs_in_through_the_provider_and_lands_on_the_conferences_list(
    page, directory_settings, demo, live_server
):
    _sign_in_with_provider(page, directory_settings, "sso-supervisor")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".user-name")).to_have_text("sso-supervisor")
    expect(page.get_by_role("link", name=ESCALATION)).to_be_visible()
    assert _role("sso-supervisor") == SUPERVISOR


def test_ldap_user_signs_in(page, directory_settings, ldap, demo, live_server):
    user = ldap.user("ldap-supervisor")
    page.goto("/login/")
    page.get_by_label("Username").fill(user.uid)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".user-name")).to_have_text("ldap-supervisor")
    assert _role("ldap-supervisor") == SUPERVISOR


def test_user_in_no_mapped_group_is_refused_with_a_clear_message(
    page, directory_settings, ldap, live_server, artifacts
):
    _sign_in_with_provider(page, directory_settings, "sso-sales")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("#sign-in-refused")).to_have_text(directory.NO_MAPPED_GROUP)
    page.screenshot(path=artifacts / "login-refused-no-mapped-group.png")

    user = ldap.user("ldap-sales")
    page.get_by_label("Username").fill(user.uid)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#sign-in-refused")).to_have_text(directory.NO_MAPPED_GROUP)
    assert not get_user_model().objects.filter(username__in=["sso-sales", "ldap-sales"], groups__isnull=False)


def test_supervisor_moved_to_observers_loses_the_buttons_and_a_replayed_action_is_refused(
    page, directory_settings, simulator, demo, live_server
):
    conference = demo[ESCALATION]
    _sign_in_with_provider(page, directory_settings, "sso-supervisor")
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"/conferences/{conference.sid}/")
    carol = row(page, simulator, conference.sid, "agent:carol")
    expect(carol.get_by_role("button", name=re.compile(r"^Mute"))).to_be_visible()
    action = carol.locator("form").first.get_attribute("action")
    headers = json.loads(page.locator("body").get_attribute("hx-headers") or "{}")

    directory_settings.set_groups("sso-supervisor", ["dashboard-observers"])
    moved = time.monotonic()
    expect(carol.get_by_text("View only")).to_be_visible(timeout=(RECHECK_SECONDS + 5) * 1000)
    lost = time.monotonic() - moved
    expect(page.get_by_role("button", name=re.compile(r"^Mute"))).to_have_count(0)
    print(f"\ndirectory change to lost rights on the open page: {lost:.2f} s (re-check every {RECHECK_SECONDS} s)")
    assert lost <= RECHECK_SECONDS + 4
    assert _role("sso-supervisor") == OBSERVER

    simulator.reset_request_log()
    replayed = page.request.post(
        f"{live_server.url}{action}", form={"action": "mute"}, headers={**headers, "HX-Request": "true"}
    )
    assert replayed.status == 403
    assert simulator.request_log == []  # nothing reached Twilio


def test_disabled_account_loses_its_session(page, directory_settings, simulator, demo, live_server):
    conference = demo[ESCALATION]
    _sign_in_with_provider(page, directory_settings, "sso-supervisor")
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"/conferences/{conference.sid}/")
    expect(row(page, simulator, conference.sid, "agent:carol")).to_be_visible()

    directory_settings.disable("sso-supervisor")
    disabled = time.monotonic()
    expect(page).to_have_url(re.compile(r"/login/\?.*session=ended"), timeout=(RECHECK_SECONDS + 5) * 1000)
    gone = time.monotonic() - disabled
    print(f"\ndirectory disable to signed out: {gone:.2f} s (re-check every {RECHECK_SECONDS} s)")
    expect(page.locator("#session-note")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))


@pytest.fixture
def pushed_dashboard(simulator, ldap, transactional_db):
    """The dashboard under uvicorn (event streams, as `make run` and production serve them),
    signing in against the test directory's slapd; settings through its environment."""
    from django.conf import settings

    from .asgi_server import free_port, uvicorn_server

    port = free_port()
    env = {
        "TWILIO_API_BASE_URL": settings.TWILIO_API_BASE_URL,
        "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "DASHBOARD_POLL_SECONDS": "1",
        "PUSH_HEARTBEAT_SECONDS": "1",
        "PUSH_RETRY_MILLISECONDS": "300",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        **ldap.dashboard_settings(),
        "DIRECTORY_GROUP_ROLES": GROUP_ROLES,
        "DIRECTORY_RECHECK_SECONDS": str(RECHECK_SECONDS),
    }
    with uvicorn_server(env, port) as url:
        yield url


def test_pushed_page_of_a_supervisor_moved_to_observers_reloads_without_the_buttons(
    browser, pushed_dashboard, ldap, simulator, demo
):
    """The page is live by push and its polls are held back: only the event stream can take the
    buttons away (it ends with `reload` once the re-check is due; the reload re-checks)."""
    from .conftest import PageProblems

    conference = demo[ESCALATION]
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=pushed_dashboard)
    page = context.new_page()
    problems = PageProblems(page)
    try:
        page.route("**/participants/?version=*", lambda route: route.fulfill(status=204))
        user = ldap.user("ldap-supervisor")
        page.goto("/login/")
        page.get_by_label("Username").fill(user.uid)
        page.get_by_label("Password").fill(user.password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.locator(".user-name")).to_have_text("ldap-supervisor")
        page.goto(f"/conferences/{conference.sid}/")
        expect(page.locator("#push-state")).to_have_text("live")
        carol = row(page, simulator, conference.sid, "agent:carol")
        expect(carol.get_by_role("button", name=re.compile(r"^Mute"))).to_be_visible()

        ldap.move("ldap-supervisor", from_group="dashboard-supervisors", to_group="dashboard-observers")
        moved = time.monotonic()
        expect(carol.get_by_text("View only")).to_be_visible(timeout=(RECHECK_SECONDS + 8) * 1000)
        lost = time.monotonic() - moved
        print(f"\nLDAP change to lost rights on a pushed page: {lost:.2f} s (re-check {RECHECK_SECONDS} s)")
        expect(page.locator("#push-state")).to_have_text("live")  # the reloaded page is live again
        assert lost <= RECHECK_SECONDS + 5
        problems.assert_none()
    finally:
        context.close()
