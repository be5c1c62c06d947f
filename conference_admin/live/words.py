"""What Twilio's reasons and the dashboard's actions say, in a supervisor's words: one table each.

Used by the live timeline (`timeline.py`) and by History's reports (`history/selectors.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Every ReasonParticipantLeft Twilio sends (CONTRACT.md section 11), and the call statuses a
# participant-leave or a call-progress callback carries when it gives no reason.
LEFT_REASONS = {
    "participant_hung_up": "hung up",
    "conference_ended_via_api": "conference ended by the dashboard",
    "moderator_ended_conference": "a moderator left and ended the conference",
    "participant_updated_via_api": "moved or removed through the API",
    "participant_add_failed": "the call could not be placed",
    "completed": "call ended",
    "busy": "the line was busy",
    "no-answer": "did not answer",
    "failed": "call failed",
    "canceled": "call cancelled",
    "in-progress": "still on the call (moved elsewhere)",
}
# Twilio's reason_conference_ended.
ENDED_REASONS = {
    "conference-ended-via-api": "ended through the API (the dashboard)",
    "participant-with-end-conference-on-exit-left": "a participant who ends it on exit left",
    "participant-with-end-conference-on-exit-kicked": "a participant who ends it on exit was removed",
    "last-participant-kicked": "the last participant was removed",
    "last-participant-left": "the last participant left",
}

MOVE = "move"


def reason_text(reason: str) -> str:
    """A leave or end reason in words (an unknown one as Twilio sent it)."""
    return LEFT_REASONS.get(reason) or ENDED_REASONS.get(reason) or reason


def action_text(action: str, who: str, parameters: Mapping[str, Any] | None, *, here: bool = True) -> str:
    """What a supervisor's action says in a room's story. A move reads "X moved to Side room 2" in
    the room it left and "X moved here from Escalation" in the room it went to (`here=False`)."""
    if action == MOVE:
        parameters = parameters or {}
        verb = "brought back" if parameters.get("returning") else "moved"
        if not here:
            return f"{who} {verb} here from {parameters.get('from_room') or 'another conference'}"
        return f"{who} {verb} to {parameters.get('to_room') or 'another conference'}"
    return f"{action} {who}".strip()
