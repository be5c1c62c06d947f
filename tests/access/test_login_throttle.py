"""Sign-in throttling: the client address behind trusted proxies, and a per-address limit across usernames."""

from __future__ import annotations

import ipaddress

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from conference_admin.access.lockout import client_ip
from conference_admin.access.roles import SUPERVISOR, assign_role

PASSWORD = "correct-horse-battery-staple-42"
PROXY = "127.0.0.1"


@pytest.fixture
def sam(django_user_model, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_user("sam", password=PASSWORD)
    assign_role(user, SUPERVISOR)
    return user


def login(client, password: str, *, username: str = "sam", remote: str = PROXY, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/login/", **extra)


# --- The client address -------------------------------------------------------------------


@pytest.mark.parametrize(
    "proxies,remote,forwarded,expected",
    [
        (0, "10.0.0.7", None, "10.0.0.7"),
        (0, "10.0.0.7", "6.6.6.6", "10.0.0.7"),  # nobody is trusted to say who the client is
        (1, PROXY, "6.6.6.6, 10.1.2.3", "10.1.2.3"),  # the hop our proxy appended
        (1, PROXY, "10.1.2.3", "10.1.2.3"),
        (2, PROXY, "6.6.6.6, 10.1.2.3, 192.168.0.9", "10.1.2.3"),
        (1, PROXY, "::ffff:10.1.2.3", "10.1.2.3"),  # one client, one key
        (1, PROXY, "2001:DB8::1", "2001:db8::1"),
        (1, PROXY, None, PROXY),  # fewer hops than proxies: the peer
        (2, PROXY, "10.1.2.3", PROXY),
        (1, PROXY, "garbage", PROXY),  # never an invalid value
        (1, PROXY, "999.1.1.1", PROXY),
        (1, PROXY, "10.1.2.3, garbage", PROXY),
        (1, PROXY, "fe80::1%eth0", PROXY),
        (1, PROXY, "", PROXY),
        (1, PROXY, "10.1.2.3,", PROXY),
    ],
)
def test_client_address_comes_from_the_configured_number_of_proxies(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request_from(remote, forwarded)) == expected


def test_no_valid_address_at_all_is_no_key_rather_than_a_made_up_one(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("", "garbage")) is None


@pytest.mark.parametrize("hop", ["garbage", "999.1.1.1", "1.2.3.4, not-an-ip", "fe80::1%eth0", "'; DROP TABLE x; --"])
def test_a_failed_login_with_a_bad_forwarded_hop_is_an_ordinary_failure(client, sam, settings, hop):
    settings.TRUSTED_PROXY_COUNT = 1
    response = login(client, "wrong", forwarded=hop)
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
    addresses = list(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == [PROXY]
    for address in addresses:
        ipaddress.ip_address(address)


def test_without_a_trusted_proxy_the_client_cannot_choose_its_lockout_key(client, sam, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        login(client, "wrong", forwarded=f"203.0.113.{n}")
    assert login(client, PASSWORD, forwarded="198.51.100.1").status_code == 429


def test_behind_one_proxy_only_the_hop_it_appended_counts(client, sam, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):  # the attacker varies what it sends; our proxy appends its real address
        login(client, "wrong", forwarded=f"203.0.113.{n}, 10.9.9.9")
    assert login(client, PASSWORD, forwarded="10.9.9.9").status_code == 429
    assert login(client, PASSWORD, forwarded="10.9.9.10").status_code == 302  # a colleague elsewhere


# --- Password spraying: a limit per address across usernames ---------------------------------


def spray(client, count: int, *, remote: str = "10.0.0.1", prefix: str = "nobody") -> None:
    """`count` failures from one address, never more than two per username (the pair limit is 5)."""
    for n in range(count):
        response = login(client, "wrong", username=f"{prefix}{n // 2}", remote=remote)
        assert response.status_code in (200, 429)


def test_spraying_usernames_from_one_address_locks_that_address(client, sam, settings):
    assert settings.LOGIN_IP_FAILURE_LIMIT == 50
    spray(client, 50)
    response = login(client, PASSWORD, remote="10.0.0.1")  # even a right password, for another user
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()
    assert login(client, PASSWORD, remote="10.0.0.2").status_code == 302  # another address is not affected


def test_a_shared_address_lives_with_fewer_failures_than_the_limit(client, sam, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 12
    spray(client, 11)  # a busy call-center NAT: 11 mistyped passwords over 6 people
    assert login(client, PASSWORD, remote="10.0.0.1").status_code == 302


def test_twelve_failures_over_three_usernames_lock_with_a_limit_of_twelve(client, sam, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 12
    for n in range(12):
        login(client, "wrong", username=["amy", "bob", "cat"][n % 3], remote="10.0.0.1")
    assert login(client, PASSWORD, remote="10.0.0.1").status_code == 429


def test_a_successful_sign_in_does_not_reset_the_address_count(client, sam, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 12
    spray(client, 10)
    assert login(client, PASSWORD, remote="10.0.0.1").status_code == 302  # clears sam's own failures only
    client.post(reverse("logout"))
    spray(client, 2, prefix="other")
    assert login(client, PASSWORD, remote="10.0.0.1").status_code == 429


def test_the_username_limit_still_applies_below_the_address_limit(client, sam):
    for _ in range(5):
        login(client, "wrong", remote="10.0.0.1")
    assert login(client, PASSWORD, remote="10.0.0.1").status_code == 429
