"""Sign-in with the company's directory, against the real test directory (tests/directory.py):
the OpenID provider's own login page (node, oidc-provider) and a private slapd.

Roles come from the mapped groups at sign-in and at every re-check; someone in no mapped group
is refused with the reason; a disabled account loses its session at the next re-check; local
password sign-in can be kept for named accounts only. Each of these is on the audit trail with
its source.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from conference_admin.access import directory, directory_oidc
from conference_admin.access.models import DirectoryAccount
from conference_admin.access.roles import ADMIN, MODERATE, OBSERVER, SUPERVISOR, VIEW, assign_role
from conference_admin.audit.models import AuditRecord

from ..dashboard.conftest import ESCALATION
from ..directory import group_dn

HTMX = {"HTTP_HX_REQUEST": "true"}

GROUP_ROLES = ";".join(
    [
        "dashboard-observers=Observer",
        "dashboard-supervisors=Supervisor",
        "dashboard-leads=Lead",
        "dashboard-admins=Admin",
        f"{group_dn('dashboard-observers')}=Observer",
        f"{group_dn('dashboard-supervisors')}=Supervisor",
        f"{group_dn('dashboard-leads')}=Lead",
        f"{group_dn('dashboard-admins')}=Admin",
    ]
)


@pytest.fixture
def oidc_settings(settings, oidc):
    settings.OIDC_OP_ISSUER = oidc.issuer
    settings.OIDC_RP_CLIENT_ID = oidc.client_id
    settings.OIDC_RP_CLIENT_SECRET = oidc.client_secret
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_PROVIDER_NAME = "Test directory"
    settings.DIRECTORY_GROUP_ROLES = GROUP_ROLES
    directory_oidc._discovered.clear()
    return oidc


@pytest.fixture
def ldap_settings(settings, ldap):
    settings.LDAP_ENABLED = True
    for name, value in ldap.dashboard_settings().items():
        setattr(settings, name, value)
    settings.AUTH_LDAP_GROUP_SEARCH_FILTER = "(objectClass=groupOfNames)"
    settings.AUTH_LDAP_GROUP_TYPE_NAME = "GroupOfNamesType"
    settings.DIRECTORY_GROUP_ROLES = GROUP_ROLES
    return ldap


def _oidc_sign_in(client: Client, provider, username: str) -> str:
    """Through the provider's own login page; returns where the dashboard sends the browser."""
    start = client.get("/oidc/authenticate/", {"next": "/"})
    assert start.status_code == 302
    back = provider.log_in(start["Location"], username, provider.users[username].password)
    assert back.startswith("http://testserver/oidc/callback/"), back
    parts = urlsplit(back)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 302
    return answer["Location"]


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _role(username: str) -> str | None:
    return directory.current_role(_user(username))


def _records(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


@pytest.mark.django_db
def test_login_page_offers_the_company_sign_in_first(client, oidc_settings):
    page = client.get("/login/").content.decode()
    assert "Sign in with Test directory" in page
    assert page.index("Sign in with Test directory") < page.index('name="password"')


@pytest.mark.django_db
def test_login_page_without_a_directory_is_as_before(client):
    page = client.get("/login/").content.decode()
    assert "Sign in with" not in page and 'name="password"' in page
    assert client.get("/oidc/authenticate/").status_code == 404


@pytest.mark.django_db
def test_oidc_supervisor_signs_in_with_the_role_of_their_group(client, oidc_settings, simulator):
    assert _oidc_sign_in(client, oidc_settings, "sso-supervisor") == "/"
    assert client.get("/").status_code == 200
    assert _role("sso-supervisor") == SUPERVISOR
    user = _user("sso-supervisor")
    assert user.first_name == "Sam Supervisor" and not user.has_usable_password()
    assert DirectoryAccount.objects.get(user=user).source == "oidc"
    [signed_in] = _records("sign-in")
    assert signed_in.actor_username == "sso-supervisor" and signed_in.parameters == {"source": "oidc"}
    [change] = _records("directory-role-change")
    assert change.parameters == {"source": "oidc", "before": "", "after": SUPERVISOR}


@pytest.mark.django_db
def test_oidc_user_in_no_mapped_group_is_refused_and_reads_why(client, oidc_settings, simulator):
    assert _oidc_sign_in(client, oidc_settings, "sso-sales") == "/login/"
    page = client.get("/login/").content.decode()
    assert directory.NO_MAPPED_GROUP in page
    assert client.get("/").status_code == 302  # not signed in
    [refused] = _records("sign-in-refused")
    assert refused.parameters == {"source": "oidc", "reason": directory.NO_MAPPED_GROUP}
    assert refused.actor_username == "sso-sales" and refused.outcome == "failed"
    # The message is shown once.
    assert directory.NO_MAPPED_GROUP not in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_oidc_recheck_applies_the_new_role_and_ends_a_disabled_account(client, oidc_settings, settings, simulator):
    settings.DIRECTORY_RECHECK_SECONDS = 0  # every request re-checks
    _oidc_sign_in(client, oidc_settings, "sso-supervisor")
    assert _user("sso-supervisor").has_perm(MODERATE)

    oidc_settings.set_groups("sso-supervisor", ["dashboard-observers"])
    assert client.get("/").status_code == 200
    user = _user("sso-supervisor")
    assert _role("sso-supervisor") == OBSERVER and user.has_perm(VIEW) and not user.has_perm(MODERATE)
    assert [r.parameters["after"] for r in _records("directory-role-change")] == [SUPERVISOR, OBSERVER]

    oidc_settings.disable("sso-supervisor")
    answer = client.get("/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
    assert "session=ended" in answer["Location"]
    [signed_out] = _records("directory-sign-out")
    assert signed_out.parameters == {"source": "oidc", "reason": directory.ACCOUNT_GONE}


@pytest.mark.django_db
def test_oidc_no_recheck_before_the_interval(client, oidc_settings, settings, simulator):
    settings.DIRECTORY_RECHECK_SECONDS = 300
    _oidc_sign_in(client, oidc_settings, "sso-supervisor")
    oidc_settings.disable("sso-supervisor")
    assert client.get("/").status_code == 200  # still signed in until the re-check is due


@pytest.mark.django_db
def test_ldap_user_signs_in_with_the_role_of_their_group(client, ldap_settings):
    user = ldap_settings.user("ldap-supervisor")
    answer = client.post("/login/", {"username": user.uid, "password": user.password})
    assert answer.status_code == 302, answer.content.decode()[:500]
    assert _role("ldap-supervisor") == SUPERVISOR
    assert DirectoryAccount.objects.get(user=_user("ldap-supervisor")).source == "ldap"
    assert _records("sign-in")[0].parameters == {"source": "ldap"}
    # A user in an observer group and an unmapped one is an Observer.
    observer = ldap_settings.user("ldap-observer")
    Client().post("/login/", {"username": observer.uid, "password": observer.password})
    assert _role("ldap-observer") == OBSERVER


@pytest.mark.django_db
def test_ldap_user_in_no_mapped_group_is_refused_and_reads_why(client, ldap_settings):
    user = ldap_settings.user("ldap-sales")
    page = client.post("/login/", {"username": user.uid, "password": user.password})
    assert page.status_code == 200
    assert directory.NO_MAPPED_GROUP in page.content.decode()
    [refused] = _records("sign-in-refused")
    assert refused.parameters == {"source": "ldap", "reason": directory.NO_MAPPED_GROUP}


@pytest.mark.django_db
def test_ldap_disabled_account_cannot_sign_in(client, ldap_settings):
    former = ldap_settings.user("ldap-former")
    page = client.post("/login/", {"username": former.uid, "password": former.password})
    assert page.status_code == 200 and 'id="login-error"' in page.content.decode()
    assert not get_user_model().objects.filter(username="ldap-former").exists()
    assert _records("sign-in-refused")[0].parameters["source"] == "ldap"


@pytest.mark.django_db
def test_ldap_recheck_applies_the_new_role_and_ends_a_disabled_account(client, ldap_settings, settings, simulator):
    settings.DIRECTORY_RECHECK_SECONDS = 0
    user = ldap_settings.user("ldap-supervisor")
    client.post("/login/", {"username": user.uid, "password": user.password})
    assert _role("ldap-supervisor") == SUPERVISOR

    ldap_settings.move("ldap-supervisor", from_group="dashboard-supervisors", to_group="dashboard-observers")
    assert client.get("/").status_code == 200
    assert _role("ldap-supervisor") == OBSERVER and not _user("ldap-supervisor").has_perm(MODERATE)

    ldap_settings.disable("ldap-supervisor")
    answer = client.get("/")
    assert answer.status_code == 302 and "session=ended" in answer["Location"]
    assert _records("directory-sign-out")[0].parameters == {"source": "ldap", "reason": directory.ACCOUNT_GONE}


@pytest.mark.django_db
def test_ldap_never_takes_over_a_local_account(client, ldap_settings, django_user_model):
    local = django_user_model.objects.create_user("ldap-supervisor", password="local-" + "x" * 12)
    assign_role(local, ADMIN)
    user = ldap_settings.user("ldap-supervisor")
    page = client.post("/login/", {"username": user.uid, "password": user.password})
    assert page.status_code == 200 and directory.LOCAL_NAME_TAKEN in page.content.decode()
    assert _role("ldap-supervisor") == ADMIN and not DirectoryAccount.objects.exists()


@pytest.mark.django_db
def test_local_sign_in_can_be_kept_for_the_break_glass_account_only(client, settings, django_user_model):
    password = "local-" + "y" * 12
    for name in ("breakglass", "demo-supervisor"):
        assign_role(django_user_model.objects.create_user(name, password=password), ADMIN)
    settings.LOCAL_SIGN_IN_USERS = ["breakglass"]

    page = client.post("/login/", {"username": "demo-supervisor", "password": password})
    assert page.status_code == 200 and directory.LOCAL_SIGN_IN_OFF in page.content.decode()
    [refused] = _records("sign-in-refused")
    assert refused.parameters == {"source": "local", "reason": directory.LOCAL_SIGN_IN_OFF}

    assert client.post("/login/", {"username": "breakglass", "password": password}).status_code == 302
    assert _records("sign-in")[0].parameters == {"source": "local"}


def test_group_roles_setting_takes_dns_and_json():
    mapping = directory.group_roles("cn=Leads,ou=groups,dc=example,dc=test=Lead; sales = Observer")
    assert mapping == {"cn=leads,ou=groups,dc=example,dc=test": "Lead", "sales": "Observer"}
    assert directory.group_roles('{"Admins": "Admin"}') == {"admins": "Admin"}
    with pytest.raises(Exception, match="DIRECTORY_GROUP_ROLES"):
        directory.group_roles("sales=Boss")


@pytest.mark.django_db
def test_open_page_reloads_and_actions_are_refused_after_the_directory_moves_a_supervisor(
    client, oidc_settings, settings, demo
):
    """The poll of an open conference page: a re-check due takes the normal stack, the new role
    makes the page reload (HX-Refresh) and a replayed action is refused."""
    settings.DIRECTORY_RECHECK_SECONDS = 300
    _oidc_sign_in(client, oidc_settings, "sso-supervisor")
    sid = demo.sid(ESCALATION)
    page = client.get(reverse("conference-detail", args=[sid])).content.decode()
    assert 'name="action" value="mute"' in page  # a supervisor's row actions
    page_rights = re.search(r'data-rights="([0-9a-f]+)"', page).group(1)
    version = re.search(r'data-version="(\d+)"', page).group(1)
    poll_url = reverse("participant-table", args=[sid])
    poll = {"version": version, "rights": page_rights}
    assert client.get(poll_url, poll, **HTMX).status_code == 204

    oidc_settings.set_groups("sso-supervisor", ["dashboard-observers"])
    assert client.get(poll_url, poll, **HTMX).status_code == 204  # not due yet: nothing asked
    settings.DIRECTORY_RECHECK_SECONDS = 0  # the interval has passed
    answer = client.get(poll_url, poll, **HTMX)
    assert answer.status_code == 200 and answer["HX-Refresh"] == "true"
    assert _role("sso-supervisor") == OBSERVER

    action = reverse("participant", args=[sid, demo.call_sid(ESCALATION, "agent:carol")])
    demo.simulator.reset_request_log()
    assert client.post(action, {"action": "mute"}, **HTMX).status_code == 403
    assert demo.simulator.request_log == []  # nothing reached Twilio
    page = client.get(reverse("conference-detail", args=[sid])).content.decode()
    assert re.search(r'data-rights="([0-9a-f]+)"', page).group(1) != page_rights
    assert 'name="action" value="mute"' not in page


@pytest.mark.django_db
def test_requests_arriving_together_make_one_recheck(rf):
    """A refresh token is good for one refresh: of the requests that find the same session due,
    one re-checks; after it, the next due check is claimed afresh."""
    from django.contrib.sessions.backends.cache import SessionStore

    request = rf.get("/")
    request.session = SessionStore()
    request.session[directory.SESSION_SOURCE] = directory.OIDC
    request.session[directory.SESSION_CHECKED_AT] = 1000.0
    request.session.save()
    assert directory.recheck_due(request.session)
    assert directory.DirectoryRecheck._claim(request) is True
    assert directory.DirectoryRecheck._claim(request) is False  # the page's other request
    request.session[directory.SESSION_CHECKED_AT] = 2000.0
    assert directory.DirectoryRecheck._claim(request) is True


@pytest.fixture(scope="module")
def entra_like_provider():
    """A provider that, as Entra ID, puts the groups in the ID token and not in userinfo."""
    from ..directory import OpenIdProvider, skip_unless_installed

    skip_unless_installed(oidc=True)
    provider = OpenIdProvider.start(["http://testserver/oidc/callback/"], groups_in_id_token_only=True)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.mark.django_db
def test_groups_only_in_the_id_token_are_read_at_sign_in_and_at_the_recheck(
    client, entra_like_provider, settings, simulator
):
    provider = entra_like_provider
    settings.OIDC_OP_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.DIRECTORY_GROUP_ROLES = GROUP_ROLES
    settings.DIRECTORY_RECHECK_SECONDS = 0
    directory_oidc._discovered.clear()
    assert _oidc_sign_in(client, provider, "sso-supervisor") == "/"
    assert _role("sso-supervisor") == SUPERVISOR
    provider.set_groups("sso-supervisor", ["dashboard-observers"])
    assert client.get("/").status_code == 200
    assert _role("sso-supervisor") == OBSERVER


@pytest.mark.django_db
def test_a_session_from_a_directory_no_longer_configured_ends(client, ldap_settings, settings, simulator):
    settings.DIRECTORY_RECHECK_SECONDS = 0
    user = ldap_settings.user("ldap-supervisor")
    client.post("/login/", {"username": user.uid, "password": user.password})
    assert client.get("/").status_code == 200
    settings.LDAP_ENABLED = False
    answer = client.get("/")
    assert answer.status_code == 302 and "session=ended" in answer["Location"]
    assert _records("directory-sign-out")[0].parameters["reason"] == directory.DIRECTORY_GONE


@pytest.mark.django_db
def test_refused_oidc_sign_ins_do_not_lock_out_the_address(client, oidc_settings, settings, simulator):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert _oidc_sign_in(Client(), oidc_settings, "sso-sales") == "/login/"
    assert len(_records("sign-in-refused")) == settings.AXES_FAILURE_LIMIT + 1
    assert _oidc_sign_in(client, oidc_settings, "sso-supervisor") == "/"


@pytest.mark.django_db
def test_an_unreachable_directory_keeps_the_session_and_is_asked_again_later(
    client, ldap_settings, settings, simulator
):
    from ..directory import free_port

    settings.DIRECTORY_RECHECK_SECONDS = 300
    user = ldap_settings.user("ldap-supervisor")
    client.post("/login/", {"username": user.uid, "password": user.password})
    session = client.session
    session[directory.SESSION_CHECKED_AT] = 0.0  # long due
    session.save()
    settings.AUTH_LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()}"  # nothing listens there
    assert client.get("/").status_code == 200  # still signed in, still a supervisor
    assert _role("ldap-supervisor") == SUPERVISOR
    checked_at = client.session[directory.SESSION_CHECKED_AT]
    assert not directory.recheck_due(client.session)
    assert checked_at + 300 - time.time() == pytest.approx(directory.UNREACHABLE_RETRY_SECONDS, abs=5)
    assert not _records("directory-sign-out")


@pytest.mark.django_db
def test_an_unreachable_provider_keeps_the_session_and_is_asked_again_later(client, oidc_settings, settings, simulator):
    from ..directory import free_port

    settings.DIRECTORY_RECHECK_SECONDS = 300
    _oidc_sign_in(client, oidc_settings, "sso-supervisor")
    session = client.session
    session[directory.SESSION_CHECKED_AT] = 0.0  # long due
    session.save()
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{free_port()}/token"  # nothing listens there
    assert client.get("/").status_code == 200
    assert _role("sso-supervisor") == SUPERVISOR
    assert not directory.recheck_due(client.session)
    assert not _records("directory-sign-out")
