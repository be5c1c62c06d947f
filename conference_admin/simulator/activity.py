"""Simulated life in live conferences, so the demo moves on its own and tests can drive it.

Each `step()` visits every in-progress conference once (oldest first) and, with seeded
probabilities, has someone start or stop talking, a customer hang up, or a new caller dial in.
It only uses the simulator's public operations, so every change produces the same events (and
callbacks) as any other. It never ends a conference: a hang-up needs at least three connected
participants and is never by someone with EndConferenceOnExit.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import SimulatorError
from .validation import ConferenceFilters

if TYPE_CHECKING:
    from .engine import Conference, Participant, Simulator

CALLER_NAMES = (
    "Priya Raman",
    "Jonas Berg",
    "Maria Lopez",
    "Tom Okafor",
    "Aiko Tanaka",
    "Liam O'Brien",
    "Sofia Rossi",
    "Noah Fischer",
)


@dataclass(frozen=True)
class ActivityRates:
    """Per in-progress conference and step: the chance of each kind of change."""

    speech: float = 0.6
    hang_up: float = 0.03
    join: float = 0.05
    max_participants: int = 6  # no new callers beyond this many


class Activity:
    def __init__(self, simulator: Simulator, seed: int | None = None, rates: ActivityRates | None = None) -> None:
        self._simulator = simulator
        self._random = random.Random(seed)
        self.rates = rates or ActivityRates()
        # The server's ticker and a test may both step; their draws must not interleave.
        self._lock = threading.Lock()

    def step(self) -> list[str]:
        with self._lock:
            done: list[str] = []
            simulator = self._simulator
            for account in simulator.account_sids:
                live = simulator.list_conferences(account, ConferenceFilters(status="in-progress"))
                for conference in sorted(live, key=lambda c: c.ordinal):
                    done.extend(self._step_conference(account, conference))
            return done

    def _step_conference(self, account: str, conference: Conference) -> list[str]:
        simulator, draw, rates = self._simulator, self._random, self.rates
        try:
            participants = simulator.list_participants(account, conference.sid)
        except SimulatorError:
            return []  # ended meanwhile
        connected = [p for p in participants if p.status == "connected"]
        done: list[str] = []
        try:
            if draw.random() < rates.speech:
                done.extend(self._speech(conference, connected))
            if draw.random() < rates.hang_up:
                done.extend(self._hang_up(account, conference, connected))
            if draw.random() < rates.join and len(participants) < rates.max_participants:
                done.extend(self._join(account, conference, participants))
        except SimulatorError:
            pass  # an API call changed the conference under us; try again next step
        return done

    def _speech(self, conference: Conference, connected: list[Participant]) -> list[str]:
        talking = [p for p in connected if p.speaking]
        audible = [p for p in connected if not p.speaking and not p.muted and not p.hold]
        if talking and (not audible or self._random.random() < 0.5):
            quiet = self._random.choice(talking)
            self._simulator.stop_speaking(conference.sid, quiet.call_sid, account_sid=conference.account_sid)
            return [f"speech-stop {conference.sid} {quiet.call_sid}"]
        if audible:
            talker = self._random.choice(audible)
            self._simulator.start_speaking(conference.sid, talker.call_sid, account_sid=conference.account_sid)
            return [f"speech-start {conference.sid} {talker.call_sid}"]
        return []

    def _hang_up(self, account: str, conference: Conference, connected: list[Participant]) -> list[str]:
        if len(connected) < 3:
            return []  # two people stay, so the conference never ends by accident
        customers = [p for p in connected if _is_customer(p) and not p.end_conference_on_exit]
        if not customers:
            return []
        leaving = self._random.choice(customers)
        self._simulator.hang_up(account, conference.sid, leaving.call_sid)
        return [f"hang-up {conference.sid} {leaving.call_sid}"]

    def _join(self, account: str, conference: Conference, participants: list[Participant]) -> list[str]:
        used = {p.label for p in participants}
        name = self._random.choice(CALLER_NAMES)
        number = f"+1415555{self._random.randrange(200, 1000):04d}"
        label = f"customer:{name}" if f"customer:{name}" not in used else f"customer:{number}"
        if label in used:
            return []
        joined = self._simulator.join(conference.sid, label=label, from_=number, account_sid=account)
        return [f"join {conference.sid} {joined.call_sid}"]


def _is_customer(participant: Participant) -> bool:
    return participant.label is None or participant.label.startswith("customer:")
