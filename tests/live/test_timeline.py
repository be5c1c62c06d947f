import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, SUPERVISOR, assign_role
from conference_admin.audit.recorder import audit_attempt
from conference_admin.live.callbacks import receive_conference_callback
from conference_admin.live.timeline import conference_timeline
from conference_admin.twilio import TwilioApiError

from .callback_helpers import ALICE, BOB, CONFERENCE, conference_event


class Params(dict):
    def getlist(self, key):
        return [self[key]]


@pytest.fixture
def history(db):
    sam = get_user_model().objects.create_user("sam")
    receive_conference_callback(Params(conference_event("participant-join", 1, call_sid=ALICE, label="agent:alice")))
    receive_conference_callback(
        Params(conference_event("participant-speech-start", 2, call_sid=ALICE, label="agent:alice"))
    )
    receive_conference_callback(
        Params(conference_event("participant-mute", 3, call_sid=ALICE, label="agent:alice", muted=True))
    )
    with audit_attempt(
        actor=sam, action="hold", conference_sid=CONFERENCE, participant_sid=BOB, participant_label="customer:bo"
    ):
        pass
    try:
        with audit_attempt(
            actor=sam, action="kick", conference_sid=CONFERENCE, participant_sid=BOB, participant_label="customer:bo"
        ):
            raise TwilioApiError("Participant not found", status=404, code=20404)
    except TwilioApiError:
        pass
    return sam


def test_timeline_merges_twilio_events_and_supervisor_actions(history):
    items = conference_timeline(CONFERENCE)
    texts = [item.text for item in items]
    assert "agent:alice joined" in texts and "agent:alice was muted" in texts
    assert not any("speech" in text for text in texts)
    hold = next(item for item in items if item.text == "hold customer:bo")
    assert (hold.source, hold.actor, hold.outcome) == ("dashboard", "sam", "ok")
    kick = next(item for item in items if item.text == "kick customer:bo")
    assert kick.outcome == "failed" and "20404" in kick.detail
    assert [item.at for item in items] == sorted((item.at for item in items), reverse=True)


@pytest.mark.parametrize("role,sees_audit_link", [(OBSERVER, False), (SUPERVISOR, True)])
def test_timeline_partial_links_to_the_audit_for_those_allowed(client, history, role, sees_audit_link):
    user = get_user_model().objects.create_user(f"viewer-{role}")
    assign_role(user, role)
    client.force_login(user)
    html = client.get(reverse("conference-timeline", args=[CONFERENCE])).content.decode()
    assert "agent:alice was muted" in html
    assert ("?conference=" + CONFERENCE in html) is sees_audit_link


def test_timeline_escapes_labels(db, client):
    receive_conference_callback(
        Params(conference_event("participant-join", 1, call_sid=ALICE, label="<img src=x onerror=alert(1)>"))
    )
    user = get_user_model().objects.create_user("viewer")
    assign_role(user, OBSERVER)
    client.force_login(user)
    html = client.get(reverse("conference-timeline", args=[CONFERENCE])).content.decode()
    assert "<img" not in html and "&lt;img src=x" in html
