"""The Admin role manages accounts and groups without ever granting more than it holds itself."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from conference_admin.access.roles import ADMIN, LEAD, OBSERVER, SUPERVISOR

NEW_PASSWORD = "Stolen-keys-for-the-root-9"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ada(user_with_role):
    return user_with_role(ADMIN, "ada")


@pytest.fixture
def ada_client(ada) -> Client:
    client = Client()
    client.force_login(ada)
    return client


@pytest.fixture
def root(django_user_model, db):
    return django_user_model.objects.create_superuser("root", "root@example.com", "root-original-password-1")


def change_form(user, **overrides) -> dict:
    """What the admin's user change page posts, with the user's current values."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [str(g.pk) for g in user.groups.all()],
        "user_permissions": [str(p.pk) for p in user.user_permissions.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "_save": "Save",
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def refused(response) -> bool:
    """403, 404, or admin's "does not exist" redirect back to its index: the page is not served."""
    return response.status_code in (403, 404) or (response.status_code == 302 and response["Location"] == "/admin/")


def permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


# --- Way 1: is_superuser=on on a change page -------------------------------------------------


def test_admin_cannot_make_itself_superuser(ada, ada_client):
    url = reverse("admin:auth_user_change", args=[ada.pk])
    assert 'name="is_superuser"' not in ada_client.get(url).content.decode()
    ada_client.post(url, change_form(ada, is_superuser="on"))
    ada.refresh_from_db()
    assert not ada.is_superuser


def test_admin_cannot_make_another_user_superuser(ada_client, user_with_role):
    lee = user_with_role(LEAD, "lee")
    ada_client.post(reverse("admin:auth_user_change", args=[lee.pk]), change_form(lee, is_superuser="on"))
    lee.refresh_from_db()
    assert not lee.is_superuser


def test_admin_cannot_grant_a_permission_it_does_not_hold(ada_client, user_with_role):
    lee = user_with_role(LEAD, "lee")
    outside = permission("auth.add_permission")
    response = ada_client.post(
        reverse("admin:auth_user_change", args=[lee.pk]), change_form(lee, user_permissions=[str(outside.pk)])
    )
    assert response.status_code == 200  # the form says why
    lee.refresh_from_db()
    assert not lee.user_permissions.exists()


def test_admin_cannot_put_someone_in_a_group_that_holds_more(ada_client, user_with_role):
    ops = Group.objects.create(name="Ops")
    ops.permissions.set([permission("axes.delete_accessattempt"), permission("access.view_conferences")])
    lee = user_with_role(LEAD, "lee")
    url = reverse("admin:auth_user_change", args=[lee.pk])
    assert f'value="{ops.pk}"' not in ada_client.get(url).content.decode()
    ada_client.post(url, change_form(lee, groups=[str(ops.pk)]))
    assert list(lee.groups.values_list("name", flat=True)) == [LEAD]


# --- Way 2: a superuser's password -----------------------------------------------------------


def test_admin_cannot_set_a_superusers_password_and_sign_in_as_them(ada_client, root, client):
    url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert ada_client.get(url).status_code in (403, 404)
    response = ada_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code in (403, 404)
    root.refresh_from_db()
    assert not root.check_password(NEW_PASSWORD) and root.check_password("root-original-password-1")
    assert client.post(reverse("login"), {"username": "root", "password": NEW_PASSWORD}).status_code != 302


def test_admin_cannot_act_on_accounts_holding_more_than_it_does(ada_client, root, user_with_role):
    auditor = user_with_role(OBSERVER, "auditor")
    auditor.user_permissions.add(permission("axes.view_accessattempt"))  # outside the Admin role
    for target in (root, auditor):
        for name in ("admin:auth_user_change", "admin:auth_user_password_change", "admin:auth_user_delete"):
            url = reverse(name, args=[target.pk])
            assert refused(ada_client.get(url)), url
            assert refused(ada_client.post(url, {"post": "yes"})), url
    root.refresh_from_db()
    auditor.refresh_from_db()
    assert root.is_superuser and auditor.is_active


def test_admin_cannot_delete_a_superuser_through_the_bulk_action(ada_client, root):
    ada_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [root.pk], "post": "yes"},
    )
    assert type(root).objects.filter(pk=root.pk).exists()


# --- Way 3: adding permissions to a group ----------------------------------------------------


def test_admin_cannot_add_permissions_it_does_not_hold_to_its_own_group(ada, ada_client):
    group = Group.objects.get(name=ADMIN)
    before = set(group.permissions.values_list("pk", flat=True))
    everything = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]
    url = reverse("admin:auth_group_change", args=[group.pk])
    page = ada_client.get(url).content.decode()
    assert f'value="{permission("auth.add_permission").pk}"' not in page
    ada_client.post(url, {"name": ADMIN, "permissions": everything, "_save": "Save"})
    assert set(group.permissions.values_list("pk", flat=True)) == before
    ada = type(ada).objects.get(pk=ada.pk)
    assert not ada.has_perm("axes.delete_accessattempt") and not ada.has_perm("auth.add_permission")


def test_admin_cannot_edit_a_group_that_holds_more_than_it_does(ada_client):
    ops = Group.objects.create(name="Ops")
    ops.permissions.set([permission("axes.delete_accessattempt")])
    url = reverse("admin:auth_group_change", args=[ops.pk])
    ada_client.post(url, {"name": "Ops", "permissions": [], "_save": "Save"})
    assert list(ops.permissions.values_list("codename", flat=True)) == ["delete_accessattempt"]


# --- What an Admin still does ----------------------------------------------------------------


def test_admin_still_manages_accounts_and_groups_within_its_role(ada_client, user_with_role, client):
    lee = user_with_role(LEAD, "lee")
    supervisor_group = Group.objects.get(name=SUPERVISOR)
    response = ada_client.post(
        reverse("admin:auth_user_change", args=[lee.pk]),
        change_form(lee, groups=[str(supervisor_group.pk)], email="lee@example.com"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lee.refresh_from_db()
    assert list(lee.groups.values_list("name", flat=True)) == [SUPERVISOR] and lee.email == "lee@example.com"

    response = ada_client.post(
        reverse("admin:auth_user_password_change", args=[lee.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert client.post(reverse("login"), {"username": "lee", "password": NEW_PASSWORD}).status_code == 302

    observer = Group.objects.get(name=OBSERVER)
    response = ada_client.post(
        reverse("admin:auth_group_change", args=[observer.pk]),
        {
            "name": OBSERVER,
            "permissions": [str(permission(n).pk) for n in ("access.view_conferences", "audit.view_auditrecord")],
        },
    )
    assert response.status_code == 302
    assert observer.permissions.count() == 2

    # A new Admin, made by an Admin, is possible: it holds no more than its maker.
    kim = user_with_role(OBSERVER, "kim")
    admin_group = Group.objects.get(name=ADMIN)
    response = ada_client.post(
        reverse("admin:auth_user_change", args=[kim.pk]), change_form(kim, groups=[str(admin_group.pk)], is_staff="on")
    )
    assert response.status_code == 302
    kim = type(kim).objects.get(pk=kim.pk)
    assert kim.is_staff and not kim.is_superuser and kim.has_perm("auth.change_user")
    listing = ada_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "lee" in listing and "kim" in listing


def test_a_superuser_still_grants_anything(root, user_with_role):
    client = Client()
    client.force_login(root)
    lee = user_with_role(LEAD, "lee")
    response = client.post(
        reverse("admin:auth_user_change", args=[lee.pk]),
        change_form(lee, is_superuser="on", user_permissions=[str(permission("auth.add_permission").pk)]),
    )
    assert response.status_code == 302
    lee.refresh_from_db()
    assert lee.is_superuser and lee.user_permissions.count() == 1
