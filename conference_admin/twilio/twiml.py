"""The one TwiML document the dashboard sends: `<Response><Dial><Conference>` (UpdateCall's `Twiml`).

Built as an XML tree and serialised by ElementTree, so every name and attribute is escaped by
the XML library, never pasted into a string. What Twilio would refuse is refused here first
(`TwimlRefused`), so a supervisor reads why before anything is sent: a room name of 1 to 128
characters ([TWIML] https://www.twilio.com/docs/voice/twiml/conference, the friendly-name limit),
a label Twilio refuses (16024's rules: at most 128 characters, not shaped like a Call SID, no
`/`), a `coach` that is not a Call SID, characters XML 1.0 cannot carry, and a document over
Twilio's 4,000-character `Twiml` limit (32018, CONTRACT.md section 14).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

from conference_admin.sids import CALL_SID

TWIML_MAX_LENGTH = 4000
ROOM_NAME_MAX_LENGTH = 128
LABEL_MAX_LENGTH = 128
LABEL_LOOKS_LIKE_CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
# Characters XML 1.0 cannot hold (https://www.w3.org/TR/xml/#charsets).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CONFERENCE_EVENTS = ("start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement")
BEEPS = ("true", "false", "onEnter", "onExit")


class TwimlRefused(ValueError):
    """What Twilio would refuse; the message says why, in words a supervisor reads."""


def conference_twiml(
    room: str,
    *,
    participant_label: str | None = None,
    muted: bool = False,
    start_conference_on_enter: bool = True,
    end_conference_on_exit: bool = False,
    coach: str | None = None,
    beep: str | None = None,
    wait_url: str | None = None,
    status_callback: str | None = None,
    status_callback_event: Sequence[str] = (),
) -> str:
    """`<Response><Dial><Conference ...>room</Conference></Dial></Response>`, at most 4,000 characters."""
    room = _text("The room name", room.strip())
    if not room or len(room) > ROOM_NAME_MAX_LENGTH:
        raise TwimlRefused(f"A room name is 1 to {ROOM_NAME_MAX_LENGTH} characters long.")
    attributes: dict[str, str] = {}
    if participant_label:
        attributes["participantLabel"] = _label(participant_label)
    if muted:
        attributes["muted"] = "true"
    if not start_conference_on_enter:
        attributes["startConferenceOnEnter"] = "false"
    if end_conference_on_exit:
        attributes["endConferenceOnExit"] = "true"
    if coach is not None:
        if not CALL_SID.fullmatch(coach):
            raise TwimlRefused(f"Only a call can be coached; {coach!r} is not a call SID.")
        attributes["coach"] = coach
    if beep is not None:
        if beep not in BEEPS:
            raise TwimlRefused(f"beep is one of {', '.join(BEEPS)}.")
        attributes["beep"] = beep
    if wait_url is not None:
        attributes["waitUrl"] = _url("The wait music address", wait_url)
    if status_callback is not None:
        attributes["statusCallback"] = _url("The status callback address", status_callback)
        unknown = [event for event in status_callback_event if event not in CONFERENCE_EVENTS]
        if unknown:
            raise TwimlRefused(f"Unknown conference events: {', '.join(unknown)}.")
        if status_callback_event:
            attributes["statusCallbackEvent"] = " ".join(status_callback_event)
    response = Element("Response")
    conference = SubElement(SubElement(response, "Dial"), "Conference", attributes)
    conference.text = room
    document = tostring(response, encoding="unicode")
    if len(document) > TWIML_MAX_LENGTH:
        raise TwimlRefused(
            f"The instructions would be {len(document)} characters long; Twilio takes at most {TWIML_MAX_LENGTH}."
        )
    return document


def _text(what: str, value: str) -> str:
    if NOT_XML.search(value):
        raise TwimlRefused(f"{what} contains a control character.")
    return value


def _label(label: str) -> str:
    label = _text("The label", label)
    if (
        len(label) > LABEL_MAX_LENGTH
        or "/" in label
        or "%2f" in label.lower()
        or LABEL_LOOKS_LIKE_CALL_SID.fullmatch(label)
    ):
        raise TwimlRefused("A label is at most 128 characters, has no '/' and does not look like a call SID.")
    return label


def _url(what: str, url: str) -> str:
    url = _text(what, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise TwimlRefused(f"{what} must be an absolute http(s) URL.")
    return url
