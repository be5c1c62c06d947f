"""Phrase alerts: watched words and phrases in live transcripts.

Rules live in the database (`PhraseRule`, edited in Django admin) and are read at most once per
RULES_CACHE_SECONDS per process (a rule saved or deleted drops the cached copy at once). Each
final transcript line is matched against them (partial results never: the words may still
change); a match is written onto the speaker's roster entry (`RosterEntry.phrase_alert`, one
roster write, only when something matched), and `live/alerts.conference_alerts` turns it into
the row's, the conference page's and the conferences list's alert, which history records with
the matched line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save

from .models import PhraseRule
from .participants import AGENT, CUSTOMER, SUPERVISOR, participant_role
from .roster import Roster, mutate
from .roster.model import PhraseHit

RULES_KEY = "phrase-rules"
RULES_CACHE_SECONDS = 30
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Rule:
    name: str
    phrases: tuple[str, ...]
    match: str  # phrase | word
    side: str  # customer | agent | any
    severity: str

    def pattern(self) -> re.Pattern[str]:
        parts = []
        for phrase in self.phrases:
            words = r"\s+".join(re.escape(word) for word in phrase.split())
            parts.append(rf"(?<!\w){words}(?!\w)" if self.match == "word" else words)
        return re.compile("|".join(parts), re.IGNORECASE)


def rules() -> list[Rule]:
    found = cache.get(RULES_KEY)
    if found is None:
        try:
            found = [
                Rule(r.name, tuple(r.phrase_list()), r.match, r.side, r.severity)
                for r in PhraseRule.objects.filter(enabled=True)
            ]
        except DatabaseError:
            return []  # no alerts rather than no transcript
        cache.set(RULES_KEY, found, RULES_CACHE_SECONDS)
    return [rule for rule in found if rule.phrases]


def forget_rules(**_: object) -> None:
    cache.delete(RULES_KEY)


post_save.connect(forget_rules, sender=PhraseRule, dispatch_uid="phrase-rules-saved")
post_delete.connect(forget_rules, sender=PhraseRule, dispatch_uid="phrase-rules-deleted")


def side_of(speaker: str, track: str) -> str:
    """customer | agent: whose words these are (the other side of a call's outbound track is
    not one person: it counts for `any` rules only)."""
    if track != "inbound_track":
        return ""
    return AGENT if participant_role(speaker) in (AGENT, SUPERVISOR) else CUSTOMER


def matches(text: str, side: str) -> list[tuple[Rule, str]]:
    """Each rule that matches `text` said by `side`, with the words that matched, most severe first."""
    found = []
    for rule in rules():
        if rule.side != "any" and rule.side != side:
            continue
        hit = rule.pattern().search(text)
        if hit is not None:
            found.append((rule, hit.group(0)))
    return sorted(found, key=lambda pair: -SEVERITY_RANK.get(pair[0].severity, 1))


def phrase_heard(
    conference_sid: str, *, call_sid: str, speaker: str, track: str, text: str, at: datetime, line_id: int
) -> PhraseHit | None:
    """Match one final line; on a match, put it on the participant's row (one roster write)."""
    found = matches(text, side_of(speaker, track))
    if not found:
        return None
    rule, phrase = found[0]
    hit = PhraseHit(rule.name, rule.severity, phrase, text, at, line_id)

    def change(roster: Roster, version: int) -> bool:
        entry = roster.entries.get(call_sid)
        if entry is None:
            return False
        entry.phrase_alert = hit
        entry.changed_version = version
        return True

    mutate(conference_sid, change)
    return hit


# Example rules `manage.py rundemo` adds (when none of that name exists), so the demo shows alerts.
DEMO_RULES = (
    ("Churn risk", "cancel my account\nclose my account", "phrase", "customer", "warning"),
    ("Escalation", "speak to a manager\nyour supervisor", "phrase", "customer", "warning"),
    ("Legal", "lawyer\nattorney\nsue", "word", "any", "critical"),
)


def ensure_demo_rules() -> list[str]:
    """Add the example rules that are missing; the names of those added."""
    added = []
    for name, phrases_text, match, side, severity in DEMO_RULES:
        _, created = PhraseRule.objects.get_or_create(
            name=name, defaults={"phrases": phrases_text, "match": match, "side": side, "severity": severity}
        )
        if created:
            added.append(name)
    return added
