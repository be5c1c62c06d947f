"""Both rooms' reports tell a move: who moved where, by whom; every leave reason reads as words."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conference_admin.history.selectors import conference_report
from conference_admin.live.timeline import conference_timeline
from conference_admin.live.words import LEFT_REASONS, reason_text

from .factories import act, conference_sid, make_conference

# CONTRACT.md section 11: ReasonParticipantLeft's values, and the ParticipantCallStatus values.
TWILIO_LEAVE_REASONS = (
    "conference_ended_via_api",
    "moderator_ended_conference",
    "participant_updated_via_api",
    "participant_hung_up",
    "participant_add_failed",
)
CALL_STATUSES = ("no-answer", "busy", "in-progress", "failed", "canceled", "completed")


def test_every_reason_twilio_gives_has_words() -> None:
    for reason in (*TWILIO_LEAVE_REASONS, *CALL_STATUSES):
        assert reason in LEFT_REASONS and reason_text(reason) == LEFT_REASONS[reason]


@pytest.mark.django_db
def test_both_rooms_reports_and_timelines_say_who_moved_where_and_by_whom() -> None:
    now = timezone.now()
    make_conference(1, name="Escalation 1", ended=False, start=now)
    make_conference(2, name="Side room 2", ended=False, start=now)
    make_conference(3, name="Unrelated", ended=False, start=now)
    act(
        1,
        "sam",
        action="move",
        participant_label="customer:Dana",
        parameters={"to_room": "Side room 2", "from_room": "Escalation 1"},
    )
    report = conference_report(conference_sid=conference_sid(1))
    left = [(i.text, i.by) for i in report.timeline]
    # The participant table says why they left: where they went and who moved them.
    assert {p.name: p.left_reason for p in report.participants}["customer 1-1"] == "moved to Side room 2 by sam"
    arrived = [(i.text, i.by) for i in conference_report(conference_sid=conference_sid(2)).timeline]
    assert ("customer:Dana moved to Side room 2", "by sam") in left
    assert ("customer:Dana moved here from Escalation 1", "by sam") in arrived
    assert not any("moved" in item.text for item in conference_report(conference_sid=conference_sid(3)).timeline)
    live = conference_timeline(conference_sid(2), friendly_name="Side room 2", since=now)
    assert [(i.text, i.actor) for i in live] == [("customer:Dana moved here from Escalation 1", "sam")]
