"""Every history page costs the same number of queries at any size (no query per row)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conference_admin.access.roles import SUPERVISOR, assign_role
from conference_admin.history.models import ConferenceAlert, ParticipantSession
from conference_admin.live.models import ConferenceEvent

from .factories import BASE, act, call_sid, conference_sid, make_conference

pytestmark = pytest.mark.django_db


def alerts(n: int, count: int) -> None:
    ConferenceAlert.objects.bulk_create(
        ConferenceAlert(
            conference_id=conference_sid(n), kind="hold", subject=call_sid(n, i), text=f"on hold {i}", fired_at=BASE
        )
        for i in range(count)
    )


def build(conferences: int, participants: int) -> None:
    for n in range(1, conferences + 1):
        record = make_conference(n, participants=participants)
        alerts(n, 1)
        for i in range(participants):
            act(n, f"sup{i % 3}", "mute", participant=i)
            ConferenceEvent.objects.create(
                conference_sid=record.sid,
                event="participant-join",
                call_sid=call_sid(n, i),
                occurred_at=record.started_at,
                source="twilio",
                delivery_key=f"{n}-{i}",
                detail={"Muted": "false", "Hold": "false"},
            )


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        with CaptureQueriesContext(connection) as streamed:
            b"".join(response.streaming_content)
        return len(captured) + len(streamed)
    return len(captured)


def measure(client) -> dict[str, int]:
    return {
        "list": queries(client, reverse("history-list")),
        "list page 2": queries(client, reverse("history-list"), {"page": 2}),
        "search by label": queries(client, reverse("history-search"), {"participant": "customer"}),
        "search by supervisor": queries(client, reverse("history-search"), {"supervisor": "sup1"}),
        "report": queries(client, reverse("history-report", args=[conference_sid(1)])),
        "report csv": queries(client, reverse("history-report-export", args=[conference_sid(1)])),
    }


def test_query_counts_do_not_grow_with_conferences_or_participants(client):
    user = get_user_model().objects.create_user("sam", password="x")
    assign_role(user, SUPERVISOR)
    client.force_login(user)
    client.get(reverse("history-list"))  # the session and permission caches warm up once

    build(conferences=2, participants=2)
    small = measure(client)
    # Many more conferences (two pages of them), and conference 1 grows to 62 participants.
    for n in range(3, 120):
        make_conference(n, participants=12)
        alerts(n, 3)
    grow_conference_one(by=60)
    ConferenceAlert.objects.bulk_create(
        ConferenceAlert(
            conference_id=conference_sid(1), kind="ringing", subject=call_sid(1, 100 + i), text="ringing", fired_at=BASE
        )
        for i in range(20)
    )
    large = measure(client)
    assert small == large, (small, large)
    assert large["report"] <= 9 and large["list"] <= 8


def grow_conference_one(*, by: int) -> None:
    ParticipantSession.objects.bulk_create(
        [
            ParticipantSession(
                conference_id=conference_sid(1), call_sid=call_sid(1, 100 + i), label=f"customer big {i}"
            )
            for i in range(by)
        ]
    )
    for i in range(by):
        act(1, f"sup{i % 5}", "hold", participant=100 + i)
