"""History: transcript lines searched by phrase, exported with the export permission (formula
cells defused); only for users who may read transcripts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from conference_admin.access.roles import LEAD, OBSERVER, SUPERVISOR, assign_role
from conference_admin.live.models import TranscriptLine

pytestmark = pytest.mark.django_db

CONFERENCE = "CF" + "4c" * 16


def line(text, *, final=True, sequence=1, speaker="customer:Dana"):
    return TranscriptLine.objects.create(
        conference_sid=CONFERENCE,
        call_sid="CA" + "5d" * 16,
        transcription_sid="GT" + "6e" * 16,
        track="inbound_track",
        speaker=speaker,
        text=text,
        final=final,
        confidence=0.9,
        sequence=sequence,
        spoken_at=datetime(2026, 12, 7, 12, 0, sequence, tzinfo=UTC),
        version=sequence,
    )


def as_role(client, django_user_model, role):
    user = django_user_model.objects.create_user(role.lower())
    assign_role(user, role)
    client.force_login(user)
    return client


def test_search_by_phrase_newest_first(client, django_user_model):
    line("I want to cancel my account.", sequence=1)
    line("Please CANCEL MY account now", sequence=2)  # any case
    line("cancel my acc", final=False, sequence=3)  # a partial result is not a line said
    line("Thanks for calling.", sequence=4)
    page = as_role(client, django_user_model, SUPERVISOR).get(
        reverse("history-transcripts"), {"q": "cancel my account"}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "2 lines found" in html
    assert html.index("Please CANCEL") < html.index("I want to cancel")
    assert "Thanks for calling." not in html
    assert "Export CSV" in html  # a supervisor may export (the audit export's permission)


def test_export_defuses_formula_cells(client, django_user_model):
    line('=HYPERLINK("http://evil") cancel my account', sequence=1, speaker="+cmd|calc")
    as_role(client, django_user_model, LEAD)
    page = client.get(reverse("history-transcripts"), {"q": "cancel my account"}).content.decode()
    assert "Export CSV" in page
    response = client.get(reverse("history-transcripts-export"), {"q": "cancel my account"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["conference_sid", "call_sid", "speaker", "track", "spoken_at", "text", "confidence"]
    assert rows[1][2].startswith("'") and rows[1][5].startswith("'=HYPERLINK")
    assert rows[1][0] == CONFERENCE


def test_who_may_search_and_export(client, django_user_model):
    line("cancel my account")
    as_role(client, django_user_model, OBSERVER)
    assert client.get(reverse("history-transcripts"), {"q": "cancel"}).status_code == 403
    assert client.get(reverse("history-transcripts-export"), {"q": "cancel"}).status_code == 403
