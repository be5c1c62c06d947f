"""Demo conferences for the dashboard: realistic call-center rooms in every interesting state.

Loaded through the engine's public operations: agents and supervisors are dialled out (as an API
client would add them, `outbound-api`) and answered at once so the demo does not depend on
dial-out delays; customers rang the call center (`inbound`, from their own numbers, some with a
caller-ID name). "Support: billing dispute" and "Sales: renewal" are recorded from their start
(`ConferenceRecord=record-from-start` on their first participant).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .engine import NO_ANSWER_NUMBER, Conference, Simulator

CALLER_ID = "+15005550006"  # Twilio's "valid From" test number
HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class DemoParticipant:
    label: str | None
    to: str = ""  # whom a dial-out rings
    dials_in_from: str | None = None  # a customer who rang in from this number (inbound)
    caller_name: str | None = None  # what caller-ID lookup found for a dial-in
    answered: bool = True
    muted: bool = False
    hold: bool = False
    coach: str | None = None  # label of the participant this one coaches
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False


@dataclass(frozen=True)
class DemoConference:
    friendly_name: str
    participants: tuple[DemoParticipant, ...] = field(default_factory=tuple)
    recorded: bool = False


DEMO_CONFERENCES = (
    DemoConference(
        "Support: billing dispute",
        (
            DemoParticipant("agent:alice", "client:alice", end_conference_on_exit=True),
            DemoParticipant("customer:+14155550101", dials_in_from="+14155550101"),
            DemoParticipant("supervisor:sam", "client:sam", coach="agent:alice"),
        ),
        recorded=True,
    ),
    DemoConference(
        "Sales: renewal",
        (
            DemoParticipant("agent:bob", "client:bob"),
            DemoParticipant(
                "customer:Dana Whitfield", dials_in_from="+13125550148", caller_name="WHITFIELD DANA", hold=True
            ),
        ),
        recorded=True,
    ),
    DemoConference(
        "Escalation: outage #4471",
        (
            DemoParticipant("agent:carol", "client:carol"),
            DemoParticipant("agent:dave", "client:dave", muted=True),
            DemoParticipant("customer:+14155550103", dials_in_from="+14155550103"),
            DemoParticipant("customer:Acme on-call", NO_ANSWER_NUMBER, answered=False),
        ),
    ),
    DemoConference(
        "Onboarding: Northwind",
        (
            DemoParticipant("agent:erin", "client:erin"),
            DemoParticipant(
                "customer:Northwind IT", dials_in_from="+12065550187", caller_name="NORTHWIND TRADERS", muted=True
            ),
            DemoParticipant(None, dials_in_from="+442079460321"),  # an international caller
        ),
    ),
    DemoConference(
        "Team huddle (waiting for lead)",
        (
            DemoParticipant("agent:frank", "client:frank", start_conference_on_enter=False),
            DemoParticipant("agent:grace", "client:grace", start_conference_on_enter=False, muted=True),
        ),
    ),
)


def load_demo(simulator: Simulator, account_sid: str | None = None) -> list[Conference]:
    """Create the demo conferences in `account_sid` (default: the simulator's first account)."""
    account = account_sid or simulator.account_sid
    return [_load_conference(simulator, account, conference) for conference in DEMO_CONFERENCES]


def _load_conference(simulator: Simulator, account: str, demo: DemoConference) -> Conference:
    conference_sid = ""
    call_sids: dict[str, str] = {}
    for person in demo.participants:
        if person.dials_in_from:  # the conference is open by then: every demo room starts with a dial-out
            created = simulator.join(
                conference_sid,
                label=person.label,
                from_=person.dials_in_from,
                account_sid=account,
                muted=person.muted,
                caller_name=person.caller_name,
            )
        else:
            params = _create_params(person, record=demo.recorded and not conference_sid)
            created = simulator.create_participant(account, conference_sid or demo.friendly_name, params)
            conference_sid = created.conference_sid
            if person.answered:
                simulator.answer(account, conference_sid, created.call_sid)
            else:
                simulator.ring(account, conference_sid, created.call_sid)
        if person.label:
            call_sids[person.label] = created.call_sid
    for person in demo.participants:
        changes = _changes(person, call_sids)
        if changes and person.label:
            simulator.update_participant(account, conference_sid, person.label, changes)
    return simulator.fetch_conference(account, conference_sid)


def _create_params(person: DemoParticipant, record: bool) -> dict[str, str]:
    params = {
        "From": CALLER_ID,
        "To": person.to,
        "Muted": str(person.muted).lower(),
        "StartConferenceOnEnter": str(person.start_conference_on_enter).lower(),
        "EndConferenceOnExit": str(person.end_conference_on_exit).lower(),
        "Timeout": "600",
    }
    if person.label:
        params["Label"] = person.label
    if record:
        params["ConferenceRecord"] = "record-from-start"
    return params


def _changes(person: DemoParticipant, call_sids: dict[str, str]) -> dict[str, str]:
    """Hold and coaching need the call connected first, so they are applied afterwards."""
    changes: dict[str, str] = {}
    if person.hold:
        changes.update(Hold="true", HoldUrl=HOLD_MUSIC, HoldMethod="GET")
    if person.coach:
        changes.update(Coaching="true", CallSidToCoach=call_sids[person.coach])
    return changes
