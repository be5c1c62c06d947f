"""A phrase alert in History says who said which watched phrase to everyone who may read
History; the line they said only to who may read transcripts (an Observer sees alerts, not
transcripts), on the report, in its export and in the conference list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from conference_admin.access.roles import LEAD, OBSERVER, SUPERVISOR, VIEW_AUDIT, assign_role
from conference_admin.history.models import ConferenceAlert, ConferenceRecord
from conference_admin.history.recorder import history_alerts_fired
from conference_admin.live.alerts import Alert

from .factories import BASE, call_sid, conference_sid, make_conference

ALERT = "customer:Dana said “cancel my account” (Churn)"
SAID = "I want to cancel my account, my card is 4111 1111."


def fired() -> str:
    record = make_conference(1)
    alert = Alert("phrase", ALERT, call_sid(1, 1), "critical", detail=SAID)
    history_alerts_fired({record.sid: [alert]}, at=BASE + timedelta(minutes=2))
    return record.sid


def as_role(client, django_user_model, role, *extra):
    user = django_user_model.objects.create_user(role.lower())
    assign_role(user, role)
    if extra:
        from django.contrib.auth.models import Permission

        for name in extra:
            app, codename = name.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_observer_sees_the_alert_but_not_the_line(client, django_user_model):
    sid = fired()
    observer = as_role(client, django_user_model, OBSERVER, VIEW_AUDIT)  # may export, not read transcripts
    report = observer.get(reverse("history-report", args=[sid]))
    assert report.status_code == 200
    page = report.content.decode()
    assert "said “cancel my account” (Churn)" in page and "4111" not in page
    exported = b"".join(observer.get(reverse("history-report-export", args=[sid])).streaming_content).decode()
    assert "said “cancel my account” (Churn)" in exported and "4111" not in exported
    listed = observer.get(reverse("history-list")).content.decode()
    assert "said “cancel my account” (Churn)" in listed and "4111" not in listed


@pytest.mark.django_db
@pytest.mark.parametrize("role", [SUPERVISOR, LEAD])
def test_who_may_read_transcripts_sees_the_line(client, django_user_model, role):
    sid = fired()
    reader = as_role(client, django_user_model, role)
    page = reader.get(reverse("history-report", args=[sid])).content.decode()
    alerts = page.split('id="report-alerts"', 1)[1].split("</ul>", 1)[0]
    assert ALERT in alerts and "my card is 4111 1111." in alerts
    assert "my card is 4111 1111." in page.split('id="report-timeline"', 1)[1]
    alert = ConferenceAlert.objects.get()
    assert (alert.text, alert.line) == (ALERT, SAID)
    assert ConferenceRecord.objects.get(sid=sid).alerts_fired == ALERT


@pytest.mark.django_db(transaction=True)
def test_alerts_recorded_with_their_line_in_the_text_are_split():
    executor = MigrationExecutor(connection)
    executor.migrate([("history", "0005_recording_state_length")])
    old = executor.loader.project_state([("history", "0005_recording_state_length")]).apps
    Record, OldAlert = old.get_model("history", "ConferenceRecord"), old.get_model("history", "ConferenceAlert")
    sid = conference_sid(7)
    Record.objects.create(sid=sid, alerts_fired=f"{ALERT}: “{SAID}”; customer:Dana on hold 2:00")
    OldAlert.objects.create(conference_id=sid, kind="phrase", subject="s", text=f"{ALERT}: “{SAID}”", fired_at=BASE)
    OldAlert.objects.create(
        conference_id=sid, kind="hold", subject="h", text="customer:Dana on hold 2:00", fired_at=BASE + timedelta(1)
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(ConferenceAlert.objects.order_by("fired_at").values_list("text", "line")) == [
        (ALERT, SAID),
        ("customer:Dana on hold 2:00", ""),
    ]
    assert ConferenceRecord.objects.get(sid=sid).alerts_fired == f"{ALERT}; customer:Dana on hold 2:00"
