"""Pick lists in the database, edited in Django admin, read through one cached function."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conference_admin.access.roles import ADMIN, LEAD, ROLE_PERMISSIONS
from conference_admin.dashboard.models import Choice, pick_lists

from ..dashboard.conftest import ESCALATION


def test_a_fresh_database_has_the_roles_and_the_default_pick_lists(db):
    # Both came from migrate alone (post_migrate and the data migration); nothing ran ensure_roles here.
    groups = {
        g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()} for g in Group.objects.all()
    }
    assert groups == {role: set(names) for role, names in ROLE_PERMISSIONS.items()}
    lists = pick_lists()
    assert lists["hold_music"] == settings.DASHBOARD_HOLD_MUSIC
    assert lists["wait_music"] == settings.DASHBOARD_WAIT_MUSIC
    assert lists["announcements"] == settings.DASHBOARD_ANNOUNCEMENTS
    assert lists["caller_ids"] == settings.DASHBOARD_CALLER_IDS


def test_pick_lists_are_read_from_the_cache_and_refreshed_on_save_and_delete(db, django_assert_num_queries):
    pick_lists()
    with django_assert_num_queries(0):
        pick_lists()
    entry = Choice.objects.create(
        kind=Choice.Kind.ANNOUNCEMENT,
        name="Storm warning",
        url_or_number="https://example.com/storm.xml",
        method="POST",
        position=9,
    )
    assert pick_lists()["announcements"][-1] == {
        "name": "Storm warning",
        "url": "https://example.com/storm.xml",
        "method": "POST",
    }
    entry.name = "Storm warning (updated)"
    entry.save()
    assert pick_lists()["announcements"][-1]["name"] == "Storm warning (updated)"
    entry.delete()
    assert pick_lists()["announcements"] == settings.DASHBOARD_ANNOUNCEMENTS


def test_the_conference_page_offers_what_admin_configured(client_as, demo):
    Choice.objects.create(
        kind=Choice.Kind.HOLD_MUSIC,
        name="Lo-fi beats",
        url_or_number="https://example.com/lofi.mp3",
        method="GET",
        position=0,
    )
    Choice.objects.filter(kind=Choice.Kind.CALLER_ID).delete()
    Choice.objects.create(kind=Choice.Kind.CALLER_ID, name="Support line", url_or_number="+14155550123")
    client = client_as(LEAD)
    html = client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    # Hold music is offered by a row's More… picker, which loads when opened.
    picker = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    html += client.get(picker, {"picker": "more"}, HTTP_HX_REQUEST="true").content.decode()
    # Caller IDs are offered by the dial-out form, which loads once the page is up.
    add = reverse("participant-add", args=[demo.sid(ESCALATION)])
    html += client.get(add, HTTP_HX_REQUEST="true").content.decode()
    assert "Lo-fi beats" in html and "https://example.com/lofi.mp3" in html
    assert "+14155550123" in html and "+15005550006" not in html


def test_a_row_render_costs_no_pick_list_query(client_as, demo):
    client = client_as(LEAD)
    url = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    client.post(url, {"action": "mute"}, HTTP_HX_REQUEST="true")  # warm everything
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"action": "mute"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Lo-fi" not in response.content.decode()
    # The audit record's INSERT (pending, before Twilio) and its settling UPDATE, nothing else
    # (the savepoints around them exist only inside the test's transaction).
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert [sql.split()[0] for sql in statements] == ["INSERT", "UPDATE"], statements
    assert all('"audit_auditrecord"' in sql for sql in statements)


def test_admin_edits_pick_lists_in_django_admin(client_as, db):
    client = client_as(ADMIN)
    assert client.get("/admin/").status_code == 200
    response = client.post(
        "/admin/dashboard/choice/add/",
        {
            "kind": "wait_music",
            "name": "Jazz",
            "url_or_number": "https://example.com/jazz.mp3",
            "method": "GET",
            "position": "5",
        },
    )
    assert response.status_code == 302, re.findall(r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode())
    assert pick_lists()["wait_music"][-1]["name"] == "Jazz"
    # Bad entries are refused with a reason.
    response = client.post(
        "/admin/dashboard/choice/add/",
        {"kind": "caller_id", "name": "x", "url_or_number": "12345", "method": "", "position": "0"},
    )
    assert response.status_code == 200 and "+E.164" in response.content.decode()
    response = client.post(
        "/admin/dashboard/choice/add/",
        {"kind": "hold_music", "name": "x", "url_or_number": "ftp://x", "method": "GET", "position": "0"},
    )
    assert response.status_code == 200 and "http://" in response.content.decode()
    for page in ("/admin/auth/user/", "/admin/auth/group/", "/admin/dashboard/choice/", "/admin/auth/user/add/"):
        assert client.get(page).status_code == 200, page


def test_only_admin_gets_into_django_admin(client_as, db):
    response = client_as(LEAD).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_create_demo_users_prints_one_working_login_per_role(db, capsys, settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("create_demo_users")
    logins = dict(re.findall(r"username: (\S+)\s+password: (\S+)", capsys.readouterr().out))
    assert set(logins) == {"observer", "supervisor", "lead", "admin"}
    assert len(set(logins.values())) == 4
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert [g.name for g in users["lead"].groups.all()] == ["Lead"]
    assert users["admin"].is_staff and not users["lead"].is_staff
    for username, password in logins.items():
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 302, username
        client.post(reverse("logout"))
    call_command("create_demo_users")  # a second run: new passwords, the old ones stop working
    again = dict(re.findall(r"username: (\S+)\s+password: (\S+)", capsys.readouterr().out))
    assert again["lead"] != logins["lead"]
    assert client.post(reverse("login"), {"username": "lead", "password": logins["lead"]}).status_code == 200


def test_rundemo_creates_roles_and_demo_users():
    from pathlib import Path

    import conference_admin.dashboard.management.commands.rundemo as rundemo

    source = Path(rundemo.__file__).read_text()
    assert 'call_command("create_roles"' in source and 'call_command("create_demo_users"' in source
    assert "create_demo_supervisor" not in source
