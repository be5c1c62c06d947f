"""The real directory servers the sign-in tests use behave as a company's would.

slapd: users bind with their passwords, groups list their members, a locked account cannot bind,
a group move and a lock made at run time are seen at once. The OpenID provider: discovery from
the issuer, the authorization code flow through its own login page with PKCE required, a groups
claim, a group change seen on the next refresh, a disabled account's refresh refused.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import ldap as python_ldap
import pytest
import requests

from ..directory import PEOPLE, group_dn

# --- slapd --------------------------------------------------------------------------------


def _bind(directory, dn: str, password: str):
    connection = python_ldap.initialize(directory.url)
    connection.set_option(python_ldap.OPT_NETWORK_TIMEOUT, 5)
    connection.simple_bind_s(dn, password)
    return connection


def _members(directory, cn: str) -> set[str]:
    connection = _bind(directory, "", "")
    [(_, attributes)] = connection.search_s(group_dn(cn), python_ldap.SCOPE_BASE, attrlist=["member"])
    return {value.decode() for value in attributes["member"]}


def test_slapd_binds_users_and_lists_groups(ldap):
    supervisor = ldap.user("ldap-supervisor")
    connection = _bind(ldap, supervisor.dn, supervisor.password)
    assert connection.whoami_s() == f"dn:{supervisor.dn}"
    with pytest.raises(python_ldap.INVALID_CREDENTIALS):
        _bind(ldap, supervisor.dn, "not-the-password")
    assert supervisor.dn in _members(ldap, "dashboard-supervisors")
    found = connection.search_s(PEOPLE, python_ldap.SCOPE_ONELEVEL, "(uid=ldap-*)", ["uid"])
    assert {attributes["uid"][0].decode() for _, attributes in found} == {u.uid for u in ldap.users}


def test_slapd_refuses_a_locked_account_and_sees_changes_at_once(ldap):
    former = ldap.user("ldap-former")
    with pytest.raises(python_ldap.INVALID_CREDENTIALS):
        _bind(ldap, former.dn, former.password)

    supervisor = ldap.user("ldap-supervisor")
    ldap.move("ldap-supervisor", from_group="dashboard-supervisors", to_group="dashboard-observers")
    assert supervisor.dn not in _members(ldap, "dashboard-supervisors")
    assert supervisor.dn in _members(ldap, "dashboard-observers")
    ldap.disable("ldap-supervisor")
    with pytest.raises(python_ldap.INVALID_CREDENTIALS):
        _bind(ldap, supervisor.dn, supervisor.password)

    ldap.restore()
    assert supervisor.dn in _members(ldap, "dashboard-supervisors")
    _bind(ldap, supervisor.dn, supervisor.password).unbind_s()


# --- the OpenID provider ------------------------------------------------------------------

REDIRECT_URI = "http://testserver/oidc/callback/"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _discovery(provider) -> dict:
    answer = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5)
    answer.raise_for_status()
    return answer.json()


def _follow_to_code(session: requests.Session, location: str) -> str:
    """Follow the provider's redirects until it sends the browser back to the dashboard with a code."""
    for _ in range(10):
        if location.startswith(REDIRECT_URI):
            query = parse_qs(urlsplit(location).query)
            assert "code" in query, query
            return query["code"][0]
        answer = session.get(location, allow_redirects=False, timeout=5)
        if answer.status_code in (302, 303):
            location = urljoin(location, answer.headers["Location"])
            continue
        raise AssertionError(f"no redirect from {location}: {answer.status_code} {answer.text[:300]}")
    raise AssertionError("too many redirects")


def _sign_in(provider, username: str, password: str, *, challenge: str | None) -> tuple[requests.Session, str]:
    """Through the provider's own login page, as a browser would; returns the code, the refusal's
    redirect or the login page's answer."""
    config = _discovery(provider)
    session = requests.Session()
    params = {
        "client_id": provider.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile groups",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    answer = session.get(f"{config['authorization_endpoint']}?{urlencode(params)}", allow_redirects=False, timeout=5)
    location = urljoin(provider.issuer, answer.headers["Location"])
    if location.startswith(REDIRECT_URI):  # refused: the error comes back to the client
        return session, location
    page = session.get(location, timeout=5)
    assert "Test directory" in page.text
    action = unescape(re.search(r'action="([^"]+)"', page.text).group(1))
    answer = session.post(
        f"{provider.issuer}{action}", data={"login": username, "password": password}, allow_redirects=False, timeout=5
    )
    if answer.status_code == 200:  # the login page again, with its message
        return session, answer.text
    return session, _follow_to_code(session, urljoin(provider.issuer, answer.headers["Location"]))


def _tokens(provider, **form) -> requests.Response:
    config = _discovery(provider)
    return requests.post(
        config["token_endpoint"],
        data={"client_id": provider.client_id, "client_secret": provider.client_secret, **form},
        timeout=5,
    )


def _userinfo(provider, access_token: str) -> dict:
    answer = requests.get(
        _discovery(provider)["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}, timeout=5
    )
    answer.raise_for_status()
    return answer.json()


def test_the_provider_requires_pkce(oidc):
    _, location = _sign_in(oidc, "sso-supervisor", oidc.users["sso-supervisor"].password, challenge=None)
    assert parse_qs(urlsplit(location).query)["error"] == ["invalid_request"]
    assert "requires PKCE" in parse_qs(urlsplit(location).query)["error_description"][0]


def test_the_provider_signs_in_with_groups_and_follows_changes(oidc):
    config = _discovery(oidc)
    assert config["issuer"] == oidc.issuer
    assert "S256" in config["code_challenge_methods_supported"]

    verifier, challenge = _pkce()
    _, code = _sign_in(oidc, "sso-supervisor", oidc.users["sso-supervisor"].password, challenge=challenge)
    # The code is worth nothing without the verifier.
    wrong = _tokens(oidc, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier="x" * 43)
    assert wrong.status_code == 400
    _, code = _sign_in(oidc, "sso-supervisor", oidc.users["sso-supervisor"].password, challenge=challenge)
    tokens = _tokens(
        oidc, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier
    )
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    assert _userinfo(oidc, tokens["access_token"])["groups"] == ["dashboard-supervisors"]

    oidc.set_groups("sso-supervisor", ["dashboard-observers"])
    refreshed = _tokens(oidc, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert _userinfo(oidc, refreshed.json()["access_token"])["groups"] == ["dashboard-observers"]

    oidc.disable("sso-supervisor")
    refused = _tokens(oidc, grant_type="refresh_token", refresh_token=refreshed.json()["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_the_provider_refuses_a_wrong_password_on_its_login_page(oidc):
    _, challenge = _pkce()
    _, page = _sign_in(oidc, "sso-supervisor", "not-the-password", challenge=challenge)
    assert "wrong password" in page
    oidc.disable("sso-observer")
    _, page = _sign_in(oidc, "sso-observer", oidc.users["sso-observer"].password, challenge=challenge)
    assert "disabled account" in page
