"""The TwiML builder: escaped by the XML library, within Twilio's 4,000 characters, refusing what Twilio would."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring

from conference_admin.simulator import twiml as simulator_twiml
from conference_admin.twilio.twiml import TWIML_MAX_LENGTH, TwimlRefused, conference_twiml

COACHED = "CA" + "a" * 32


def test_a_plain_move_is_the_smallest_document() -> None:
    assert conference_twiml("Side room 1") == "<Response><Dial><Conference>Side room 1</Conference></Dial></Response>"


def test_names_and_labels_are_escaped_and_read_back_exactly() -> None:
    room = 'Tom & Jerry\'s <"side"> room'
    label = 'customer:O\'Brien & "Sons" <vip>'
    document = conference_twiml(room, participant_label=label)
    assert "&amp;" in document and "&lt;" in document  # escaped, not pasted
    noun = fromstring(document).find("Dial/Conference")
    assert noun is not None and (noun.text, noun.get("participantLabel")) == (room, label)
    # The simulator, parsing as Twilio does, reads the same room and label back.
    parsed = simulator_twiml.parse(document).conference
    assert parsed is not None and (parsed.name, parsed.participant_label) == (room, label)


def test_every_attribute_the_dashboard_sets_is_twilios_spelling() -> None:
    document = conference_twiml(
        "Room B",
        participant_label="customer",
        muted=True,
        start_conference_on_enter=False,
        end_conference_on_exit=True,
        coach=COACHED,
        beep="onExit",
        wait_url="https://example.com/wait?x=1&y=2",
        status_callback="https://dash.example.com/webhooks/twilio/conference-status/",
        status_callback_event=["start", "end", "join", "leave"],
    )
    noun = simulator_twiml.parse(document).conference
    assert noun is not None
    assert (noun.muted, noun.start_conference_on_enter, noun.end_conference_on_exit) == (True, False, True)
    assert (noun.coach, noun.beep, noun.wait_url) == (COACHED, "onExit", "https://example.com/wait?x=1&y=2")
    assert noun.status_callback_events == ("start", "end", "join", "leave")


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"room": ""}, "room name"),
        ({"room": "   "}, "room name"),
        ({"room": "x" * 129}, "room name"),
        ({"room": "bell\x07"}, "control character"),
        ({"room": "R", "participant_label": "a/b"}, "label"),
        ({"room": "R", "participant_label": "ca%2Fb"}, "label"),
        ({"room": "R", "participant_label": "CA" + "0" * 32}, "label"),
        ({"room": "R", "participant_label": "x" * 129}, "label"),
        ({"room": "R", "coach": "agent"}, "call SID"),
        ({"room": "R", "beep": "loud"}, "beep"),
        ({"room": "R", "wait_url": "ftp://example.com/x"}, "http"),
        ({"room": "R", "status_callback": "https://e.com/", "status_callback_event": ["finish"]}, "Unknown"),
    ],
)
def test_what_twilio_would_refuse_is_refused_here(kwargs: dict, why: str) -> None:
    room = kwargs.pop("room")
    with pytest.raises(TwimlRefused, match=why):
        conference_twiml(room, **kwargs)


def test_the_4000_character_limit_is_enforced_on_the_escaped_document() -> None:
    base = len(conference_twiml("R", wait_url="https://e.com/?q="))
    fits = conference_twiml("R", wait_url="https://e.com/?q=" + "a" * (TWIML_MAX_LENGTH - base))
    assert len(fits) == TWIML_MAX_LENGTH
    with pytest.raises(TwimlRefused, match="4000"):
        conference_twiml("R", wait_url="https://e.com/?q=" + "a" * (TWIML_MAX_LENGTH - base + 1))
    # Escaping counts: 700 ampersands and 500 letters are 1,200 characters typed, 4,000 and more escaped.
    with pytest.raises(TwimlRefused, match="4000"):
        conference_twiml("R", wait_url="https://e.com/?q=" + "&" * 700 + "b" * 500)
