"""The cached auth backend: no query when warm, and changes to roles apply at once."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from conference_admin.access.roles import LEAD, OBSERVER, SUPERVISOR, assign_role

from ..dashboard.conftest import ESCALATION


def test_a_warm_authenticated_page_check_reads_only_the_cache(client_as, demo, django_assert_num_queries):
    client = client_as(LEAD)
    url = reverse("participant-table", args=[demo.sid(ESCALATION)])
    version = client.get(url)["X-Roster-Version"]  # warms session, user and permissions
    with django_assert_num_queries(0):
        response = client.get(url, {"version": version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204


def test_a_new_role_applies_on_the_next_request(client_as, demo, django_user_model):
    client = client_as(LEAD)
    end = reverse("conference-end", args=[demo.sid("Sales: renewal")])
    client.get(reverse("conference-list"))  # warm
    assign_role(django_user_model.objects.get(username="lead"), OBSERVER)
    assert client.post(end).status_code == 403


def test_a_changed_group_applies_to_its_members_on_the_next_request(client_as, demo):
    client = client_as(SUPERVISOR)
    detail = reverse("conference-detail", args=[demo.sid(ESCALATION)])
    assert client.get(detail).status_code == 200
    Group.objects.get(name=SUPERVISOR).permissions.remove(Permission.objects.get(codename="view_conferences"))
    assert client.get(detail).status_code == 403


def test_a_deactivated_user_is_out_on_the_next_request(client_as, demo, django_user_model):
    client = client_as(SUPERVISOR)
    assert client.get(reverse("conference-list")).status_code == 200
    user = django_user_model.objects.get(username="supervisor")
    user.is_active = False
    user.save()
    response = client.get(reverse("conference-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_changed_password_ends_other_sessions(client_as, demo, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = client_as(SUPERVISOR)
    assert client.get(reverse("conference-list")).status_code == 200
    user = django_user_model.objects.get(username="supervisor")
    user.set_password("a-new-password-for-sam-77")
    user.save()
    assert client.get(reverse("conference-list")).status_code == 302


def test_a_warm_request_reads_user_and_permissions_in_one_round_trip(client_as, demo, monkeypatch):
    from django.core.cache import caches

    client = client_as(SUPERVISOR)
    page = reverse("conference-detail", args=[demo.sid(ESCALATION)])
    assert client.get(page).status_code == 200  # warms user and permissions
    backend, calls, depth = caches["default"], [], [0]
    for name in ("get", "get_many"):
        original = getattr(backend, name)

        def counted(keys, *args, _original=original, **kwargs):
            names = [keys] if isinstance(keys, str) else list(keys)
            if not depth[0] and any(key.startswith("auth:") for key in names):
                calls.append(names)  # an outer call only: a backend's get_many may call its own get
            depth[0] += 1
            try:
                return _original(keys, *args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    assert client.get(page).status_code == 200
    assert len(calls) == 1, calls
