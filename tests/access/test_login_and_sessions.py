"""Login throttling (django-axes), session lifetime and logout."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from conference_admin.access.roles import SUPERVISOR, assign_role

PASSWORD = "correct-horse-battery-staple-42"
LOCKED = "Too many failed attempts; try again in 15 minutes"


@pytest.fixture
def sam(django_user_model, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_user("sam", password=PASSWORD)
    assign_role(user, SUPERVISOR)
    return user


def login(client: Client, password: str, *, username: str = "sam", ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def session_store(key: str) -> SessionBase:
    return import_string(settings.SESSION_ENGINE + ".SessionStore")(session_key=key)


def test_five_failures_lock_the_username_from_that_address(client, sam):
    for _ in range(4):
        response = login(client, "wrong")
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    response = login(client, "wrong")  # the fifth
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    # Even the right password is refused now, with the message on the login page.
    response = login(client, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429 and LOCKED in html
    assert 'name="password"' in html and 'value="sam"' in html
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(client, sam, django_user_model):
    for _ in range(5):
        login(client, "wrong")
    assert login(client, PASSWORD, ip="10.0.0.2").status_code == 302  # another address
    client.logout()
    other = django_user_model.objects.create_user("kim", password=PASSWORD)
    assign_role(other, SUPERVISOR)
    assert login(client, PASSWORD, username="kim").status_code == 302  # another user, same address


def test_the_lock_ends_after_the_cool_off(client, sam, settings):
    from datetime import timedelta

    for _ in range(5):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 429
    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)
    assert login(client, PASSWORD).status_code == 302


def test_success_resets_the_failure_count(client, sam):
    for _ in range(4):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert login(client, "wrong").status_code == 200  # counting from zero again
    assert login(client, PASSWORD).status_code == 302


def test_session_lasts_one_shift(client, sam):
    assert login(client, PASSWORD).status_code == 302
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600


def test_logout_is_a_post_and_removes_the_session_from_the_store(client, sam):
    assert login(client, PASSWORD).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert session_store(key).exists(key)
    assert client.get(reverse("logout")).status_code == 405  # a link cannot log anyone out
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not session_store(key).exists(key)
    # The old cookie is worthless now.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("conference-list")).status_code == 302


def test_login_page_posts_only_to_itself(client, db):
    html = client.get(reverse("login")).content.decode()
    assert f'action="{reverse("login")}"' in html and "csrfmiddlewaretoken" in html
