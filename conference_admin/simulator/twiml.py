"""The TwiML a call is redirected to (UpdateCall's `Twiml`, or the document its `Url` returns).

Parsed with a real XML parser (defusedxml: no entity expansion, no external DTDs). The
simulator runs the one thing the dashboard sends, `<Response><Dial><Conference>`, with every
attribute of the `<Conference>` noun Twilio documents ([TWIML] https://www.twilio.com/docs/voice/twiml/conference);
any other verb just runs and the document ends, which for a live call means Twilio hangs up
(a call with no TwiML left to execute is completed).

Errors (docs/SIMULATOR.md): a document that is not well-formed XML or whose root is not
`<Response>` is Twilio's 12100 "Document parse failure"; a known verb with an attribute value
Twilio's schema refuses is 12200 "Schema validation warning" (Twilio logs both for a fetched
document; the simulator refuses an inline `Twiml` with them at once, so a bad document never
half-runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .errors import SimulatorError
from .validation import CALL_SID, CONFERENCE_EVENTS

DOCUMENT_PARSE_FAILURE = 12100
SCHEMA_VALIDATION = 12200

# Every verb TwiML for Voice defines; anything else is not TwiML.
VERBS = (
    "Connect",
    "Dial",
    "Echo",
    "Enqueue",
    "Gather",
    "Hangup",
    "Leave",
    "Pause",
    "Pay",
    "Play",
    "Record",
    "Redirect",
    "Refer",
    "Reject",
    "Say",
    "Start",
    "Stop",
)


@dataclass(frozen=True)
class ConferenceNoun:
    """`<Dial><Conference ...>name</Conference></Dial>` with its attributes, typed."""

    name: str
    muted: bool = False
    beep: str = "true"  # true | false | onEnter | onExit
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    wait_url: str | None = None
    wait_method: str = "POST"
    max_participants: int = 250
    record: str = "do-not-record"
    region: str | None = None
    coach: str | None = None
    trim: str = "trim-silence"
    participant_label: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("start", "end")
    jitter_buffer_size: str = "medium"


@dataclass(frozen=True)
class Instructions:
    """What the call does next: join `conference`, or (None) run other verbs and hang up."""

    conference: ConferenceNoun | None
    verbs: tuple[str, ...]


def parse_failure(message: str) -> SimulatorError:
    return SimulatorError(DOCUMENT_PARSE_FAILURE, f"Document parse failure: {message}", 400)


def schema_error(message: str) -> SimulatorError:
    return SimulatorError(SCHEMA_VALIDATION, f"Schema validation warning: {message}", 400)


def parse(document: str) -> Instructions:
    try:
        root = fromstring(document)
    except (ParseError, DefusedXmlException) as exc:
        raise parse_failure(str(exc) or exc.__class__.__name__) from None
    if root.tag != "Response":
        raise parse_failure(f"the root element must be <Response>, not <{root.tag}>")
    verbs = tuple(child.tag for child in root)
    for verb in verbs:
        if verb not in VERBS:
            raise schema_error(f"<{verb}> is not a TwiML verb")
    for child in root:
        if child.tag == "Dial":
            conference = _dialled_conference(child)
            if conference is not None:
                return Instructions(conference, verbs)
            break  # a <Dial> to anything else: the simulator has no phones to ring
    return Instructions(None, verbs)


def _dialled_conference(dial: Element) -> ConferenceNoun | None:
    nouns = [child for child in dial if isinstance(child.tag, str)]
    conferences = [noun for noun in nouns if noun.tag == "Conference"]
    if not conferences:
        return None
    if len(nouns) > 1:
        raise schema_error("<Dial> with <Conference> takes no other noun")
    noun = conferences[0]
    name = (noun.text or "").strip()
    if not name or len(name) > 128:
        raise schema_error("<Conference> needs a room name of 1 to 128 characters")
    attributes = dict(noun.attrib)
    return ConferenceNoun(
        name=name,
        muted=_boolean(attributes, "muted", False),
        beep=_choice(attributes, "beep", ("true", "false", "onEnter", "onExit"), "true"),
        start_conference_on_enter=_boolean(attributes, "startConferenceOnEnter", True),
        end_conference_on_exit=_boolean(attributes, "endConferenceOnExit", False),
        wait_url=attributes.get("waitUrl"),
        wait_method=_choice(attributes, "waitMethod", ("GET", "POST"), "POST"),
        max_participants=_integer(attributes, "maxParticipants", 2, 250, 250),
        record=_choice(attributes, "record", ("do-not-record", "record-from-start"), "do-not-record"),
        region=attributes.get("region"),
        coach=_call_sid(attributes, "coach"),
        trim=_choice(attributes, "trim", ("trim-silence", "do-not-trim"), "trim-silence"),
        participant_label=attributes.get("participantLabel") or None,
        status_callback=attributes.get("statusCallback") or None,
        status_callback_method=_choice(attributes, "statusCallbackMethod", ("GET", "POST"), "POST"),
        status_callback_events=_events(attributes),
        jitter_buffer_size=_choice(attributes, "jitterBufferSize", ("off", "small", "medium", "large"), "medium"),
    )


def _boolean(attributes: dict[str, str], name: str, default: bool) -> bool:
    raw = attributes.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise schema_error(f"{name} must be true or false, got {raw!r}")
    return raw.lower() == "true"


def _choice(attributes: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = attributes.get(name)
    if raw is None:
        return default
    if raw not in allowed:
        raise schema_error(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _integer(attributes: dict[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = attributes.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise schema_error(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _call_sid(attributes: dict[str, str], name: str) -> str | None:
    raw = attributes.get(name)
    if raw is None:
        return None
    if not CALL_SID.fullmatch(raw):
        raise schema_error(f"{name} must be a Call SID, got {raw!r}")
    return raw


def _events(attributes: dict[str, str]) -> tuple[str, ...]:
    raw = attributes.get("statusCallbackEvent")
    if raw is None:
        return ("start", "end")
    found: list[str] = []
    for item in raw.split():
        if item not in CONFERENCE_EVENTS:
            raise schema_error(f"statusCallbackEvent contains {item!r}; allowed: {' '.join(CONFERENCE_EVENTS)}")
        if item not in found:
            found.append(item)
    return tuple(found)
