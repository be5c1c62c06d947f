"""History pages per role, search, the report and CSV exports."""

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conference_admin.access.roles import ADMIN, LEAD, OBSERVER, SUPERVISOR, assign_role
from conference_admin.history.models import ParticipantSession

from .factories import BASE, act, call_sid, conference_sid, make_conference

pytestmark = pytest.mark.django_db


def login(client, role):
    user = get_user_model().objects.create_user(f"user-{role.lower()}", password="x")
    assign_role(user, role)
    client.force_login(user)
    return user


@pytest.fixture
def observer(client):
    login(client, OBSERVER)
    return client


@pytest.fixture
def supervisor(client):
    login(client, SUPERVISOR)
    return client


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    "url",
    [
        reverse("history-list"),
        reverse("history-search"),
        reverse("history-report", args=[conference_sid(1)]),
        reverse("history-report-export", args=[conference_sid(1)]),
        reverse("history-search-export") + "?participant=alice",
    ],
)
def test_anonymous_users_are_sent_to_the_login_page(client, url):
    make_conference(1)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_may_not_read_history(client):
    client.force_login(get_user_model().objects.create_user("nobody", password="x"))
    assert client.get(reverse("history-list")).status_code == 403


def test_observer_reads_the_list_report_and_search_but_may_not_export(observer):
    make_conference(1, name="Northwind escalation")
    act(1, "lea", "mute")
    listing = observer.get(reverse("history-list"))
    assert listing.status_code == 200
    assert (
        b"Northwind escalation" in listing.content and b"not recorded" in listing.content and b"lea" in listing.content
    )

    report = observer.get(reverse("history-report", args=[conference_sid(1)]))
    assert report.status_code == 200
    assert b"customer 1-2" in report.content and b"Export CSV" not in report.content
    assert b"Audit trail for this conference" not in report.content  # the audit trail needs its permission

    search = observer.get(reverse("history-search"), {"participant": "customer 1-1"})
    assert search.status_code == 200 and b"Northwind escalation" in search.content
    assert b"Export CSV" not in search.content

    assert observer.get(reverse("history-report-export", args=[conference_sid(1)])).status_code == 403
    assert observer.get(reverse("history-search-export"), {"participant": "x"}).status_code == 403


@pytest.mark.parametrize("role", [SUPERVISOR, LEAD, ADMIN])
def test_roles_with_the_audit_export_permission_may_export(client, role):
    login(client, role)
    make_conference(1)
    report = client.get(reverse("history-report", args=[conference_sid(1)]))
    assert b"Export CSV" in report.content
    assert f"{reverse('audit-list')}?conference={conference_sid(1)}".encode() in report.content
    assert client.get(reverse("history-report-export", args=[conference_sid(1)])).status_code == 200


def test_the_list_shows_ended_conferences_of_the_period_newest_first(supervisor, settings):
    from django.utils import timezone

    now = timezone.now()
    # Whatever the time of day the test runs at: Charlie started today, Alpha at noon 30 days ago.
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    make_conference(1, start=midnight - timedelta(days=30) + timedelta(hours=12), name="Alpha call")
    make_conference(2, start=now - timedelta(days=3), name="Bravo call")
    make_conference(3, start=midnight + (now - midnight) / 2, name="Charlie call")
    make_conference(4, start=now - timedelta(minutes=20), name="Delta call", ended=False)
    everything = supervisor.get(reverse("history-list")).content.decode()
    assert everything.index("Charlie call") < everything.index("Bravo call") < everything.index("Alpha call")
    assert "Delta call" not in everything
    today = supervisor.get(reverse("history-list"), {"period": "today"}).content.decode()
    assert "Charlie call" in today and "Bravo call" not in today
    week = supervisor.get(reverse("history-list"), {"period": "week"}).content.decode()
    assert "Bravo call" in week and "Alpha call" not in week
    day = (midnight - timedelta(days=30)).date().isoformat()
    ranged = supervisor.get(reverse("history-list"), {"since": day, "until": day}).content.decode()
    assert "Alpha call" in ranged and "Charlie call" not in ranged


def test_the_list_is_paginated(supervisor):
    for n in range(1, 53):
        make_conference(n, participants=1)
    first = supervisor.get(reverse("history-list")).content.decode()
    assert "Page 1 of 2" in first and "Escalation 52" in first and "Escalation 2<" not in first
    second = supervisor.get(reverse("history-list"), {"page": 2}).content.decode()
    assert "Escalation 1<" in second and "Escalation 52" not in second


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("participant", "CUSTOMER 7-2"),  # label, any case
        ("participant", "5550070002"),  # number, without its +1
        ("participant", "(555) 007-0002"),  # number as typed
        ("conference", "escalation 7"),
        ("supervisor", "LEA"),
    ],
)
def test_search_finds_a_conference_by_each_criterion(supervisor, field, value):
    make_conference(7)
    make_conference(8)
    act(7, "lea")
    act(8, "sam")
    page = supervisor.get(reverse("history-search"), {field: value}).content.decode()
    assert "Escalation 7" in page and "Escalation 8" not in page
    assert reverse("history-report", args=[conference_sid(7)]) in page


def test_search_by_dates_and_the_matched_participant_is_shown(supervisor):
    make_conference(1, start=BASE)
    make_conference(2, start=BASE + timedelta(days=2))
    day = BASE.date().isoformat()
    page = supervisor.get(reverse("history-search"), {"participant": "agent", "since": day, "until": day})
    content = page.content.decode()
    assert "Escalation 1" in content and "Escalation 2" not in content
    assert "agent:alice +15550010000" in content


def test_an_empty_search_asks_for_something(supervisor):
    page = supervisor.get(reverse("history-search"), {"participant": ""})
    assert b"Give at least one thing to search for" in page.content


def test_the_report_merges_twilio_events_and_supervisor_actions_and_marks_approximate_times(supervisor):
    from conference_admin.live.models import ConferenceEvent

    record = make_conference(3, participants=2)
    ParticipantSession.objects.filter(call_sid=call_sid(3, 1)).update(left_approximate=True, approximate_within=6)
    ConferenceEvent.objects.create(
        conference_sid=record.sid,
        event="participant-hold",
        call_sid=call_sid(3, 1),
        label="customer 3-1",
        occurred_at=record.started_at + timedelta(minutes=1),
        source="twilio",
        delivery_key="k1",
    )
    ConferenceEvent.objects.create(
        conference_sid=record.sid,
        event="participant-unhold",
        call_sid=call_sid(3, 1),
        label="customer 3-1",
        occurred_at=record.started_at + timedelta(minutes=3, seconds=5),
        source="twilio",
        delivery_key="k2",
    )
    act(3, "lea", "mute", participant=1)
    content = supervisor.get(reverse("history-report", args=[record.sid])).content.decode()
    assert "customer 3-1 was put on hold" in content and "customer 3-1 was taken off hold" in content
    assert "mute customer 3-1" in content and "by lea" in content
    assert "≈ within 6 s" in content
    assert "2:05" in content  # time on hold
    assert "ended through the API (the dashboard)" in content  # Twilio's reason, in words


def test_a_report_of_an_unknown_conference_is_404(supervisor):
    assert supervisor.get(reverse("history-report", args=[conference_sid(99)])).status_code == 404


def test_csv_exports_defuse_formula_cells(supervisor):
    make_conference(5, participants=2, name='=HYPERLINK("http://evil")')
    ParticipantSession.objects.filter(call_sid=call_sid(5, 1)).update(label="@SUM(A1)")
    report = csv_rows(supervisor.get(reverse("history-report-export", args=[conference_sid(5)])))
    header, rows = report[0], report[1:]
    participant = next(r for r in rows if r[header.index("call_sid")] == call_sid(5, 1))
    assert participant[header.index("label")] == "'@SUM(A1)"
    assert participant[header.index("number")] == "'+15550050001"

    search = csv_rows(supervisor.get(reverse("history-search-export"), {"conference": "HYPERLINK"}))
    assert search[1][search[0].index("friendly_name")] == '\'=HYPERLINK("http://evil")'
    assert search[1][search[0].index("participants")] == "2"


def test_a_long_timeline_is_shown_a_slice_at_a_time(supervisor):
    record = make_conference(6, participants=1)
    for i in range(230):
        act(6, "lea", "mute" if i % 2 else "unmute", participant=0)
    url = reverse("history-report", args=[record.sid])
    # 230 actions, and the participant's join and leave known from history alone: 232 items.
    first = supervisor.get(url).content.decode()
    assert first.count('class="timeline-item ') == 100 and "Show 100 more of 232" in first
    more = supervisor.get(url, {"from": 100}, headers={"HX-Request": "true"}).content.decode()
    assert more.count('class="timeline-item ') == 100 and "Show 32 more of 232" in more and "<html" not in more
    rest = supervisor.get(url, {"from": 200}, headers={"HX-Request": "true"}).content.decode()
    assert rest.count('class="timeline-item ') == 32 and "Show" not in rest and "<html" not in rest
    whole = supervisor.get(url, {"timeline": "all"}).content.decode()
    assert whole.count('class="timeline-item ') == 232


def test_the_lists_footnote_explains_the_recording_state_the_column_shows(observer):
    """The dashboard has recording controls: the footnote no longer says it has none, and
    explains the words the column uses."""
    from conference_admin.history.models import ConferenceRecord

    record = make_conference(1)
    ConferenceRecord.objects.filter(pk=record.pk).update(recording_state="recorded, paused at times")
    make_conference(2)
    page = observer.get(reverse("history-list")).content.decode()
    assert "recorded, paused at times" in page and "not recorded" in page
    assert "no recording controls" not in page
    for word in ("“recorded”", "“paused at times”", "“stopped early”", "“not recorded”"):
        assert word in page
