"""An unchanged poll is answered from one cache round trip, and only to whom the full stack
would answer it."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from conference_admin.access.roles import LEAD, OBSERVER, SUPERVISOR, assign_role

from ..dashboard import cachelog
from ..dashboard.conftest import ESCALATION

cache_log = cachelog.cache_log  # the fixture


def poll(client, demo, version):
    url = reverse("participant-table", args=[demo.sid(ESCALATION)])
    return client.get(url, {"version": version}, HTTP_HX_REQUEST="true")


def first_poll(client, demo):
    response = client.get(reverse("participant-table", args=[demo.sid(ESCALATION)]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response["X-Roster-Version"]


def sent_to_login(response, *, ended: bool) -> bool:
    """A poll without a signed-in user: htmx is told to load the login page (HX-Redirect)."""
    location = response.get("HX-Redirect", "")
    return (
        response.status_code == 200
        and response.content == b""
        and location.startswith(reverse("login") + "?next=")
        and ("session=ended" in location) == ended
    )


def test_an_unchanged_poll_is_one_cache_round_trip(client_as, demo, cache_log, django_assert_num_queries):
    supervisor_client = client_as(LEAD)
    version = first_poll(supervisor_client, demo)
    assert poll(supervisor_client, demo, version).status_code == 204  # grant written on the normal stack
    cache_log.clear()
    with django_assert_num_queries(0):
        response = poll(supervisor_client, demo, version)
    assert response.status_code == 204 and response.content == b""
    assert "Content-Type" not in response
    reads = [key for (kind, key) in cache_log if kind == "read"]
    assert sum(cache_log.values()) == len(reads) == 5  # ONE get_many: session, grant, epoch, meta, lease
    assert any(key.startswith("django.contrib.sessions") for key in reads)
    assert [kind for (kind, _) in cache_log if kind == "write"] == []


def test_a_changed_roster_still_gets_its_rows(client_as, demo):
    supervisor_client = client_as(LEAD)
    version = first_poll(supervisor_client, demo)
    poll(supervisor_client, demo, version)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    supervisor_client.post(
        reverse("participant", args=[demo.sid(ESCALATION), carol]), {"action": "mute"}, HTTP_HX_REQUEST="true"
    )
    response = poll(supervisor_client, demo, version)
    assert response.status_code == 200 and f'id="participant-{carol}"' in response.content.decode()


def test_a_logged_out_poll_gets_no_data(client_as, demo):
    supervisor_client = client_as(LEAD)
    version = first_poll(supervisor_client, demo)
    assert poll(supervisor_client, demo, version).status_code == 204
    session_cookie = supervisor_client.cookies["sessionid"].value
    assert sent_to_login(poll(Client(), demo, version), ended=False)  # no session at all
    supervisor_client.post(reverse("logout"))
    stolen = Client()
    stolen.cookies["sessionid"] = session_cookie  # the ended session's cookie, replayed
    assert sent_to_login(poll(stolen, demo, version), ended=True)


def test_a_user_without_the_view_permission_gets_403(demo, django_user_model):
    user = django_user_model.objects.create_user("nobody")
    client = Client()
    client.force_login(user)
    for version in ("0", "1", "2"):
        assert poll(client, demo, version).status_code == 403


def test_a_revoked_permission_applies_on_the_next_poll(client_as, demo):
    client = client_as(SUPERVISOR)
    version = first_poll(client, demo)
    assert poll(client, demo, version).status_code == 204
    assert poll(client, demo, version).status_code == 204  # now on the fast path
    Group.objects.get(name=SUPERVISOR).permissions.remove(Permission.objects.get(codename="view_conferences"))
    assert poll(client, demo, version).status_code == 403


def test_a_changed_role_or_deactivation_applies_on_the_next_poll(client_as, demo, django_user_model):
    client = client_as(OBSERVER)
    version = first_poll(client, demo)
    poll(client, demo, version)
    user = django_user_model.objects.get(username=OBSERVER.lower())
    user.groups.clear()
    assert poll(client, demo, version).status_code == 403
    assign_role(user, OBSERVER)
    first_poll(client, demo)
    assert poll(client, demo, version).status_code in (200, 204)
    user.is_active = False
    user.save()
    assert sent_to_login(poll(client, demo, version), ended=True)
