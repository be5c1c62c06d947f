"""Fault injection: make chosen API requests fail the ways Twilio and networks really fail.

Rules are matched per request by operation (the spec's operationId, or "*" for every Twilio
operation) and optionally HTTP method; a rule fires for its next `count` matches, for a seeded
`fraction` of them, or (neither) for every one until cleared. The first rule that fires wins.
Whether a faulted request still changes state is part of each kind (docs/SIMULATOR.md):

- never applied: `rate_limit` (429), `error` (500/502/503), `html`, `not_found`, `stall`, `reset`
  (Twilio, or the network in front of it, refused the request before processing it);
- applied, then the answer is lost or garbled: `malformed_json`, `empty` (the server said 200),
  and `error` / `stall` / `reset` with `apply=True`, the ambiguous case a client cannot tell apart
  from the one above;
- `latency` only delays a normal answer.

This module holds the rules only; views.py turns a fired rule into the HTTP behaviour.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

OPERATIONS = (
    "ListParticipant",
    "UpdateParticipant",
    "CreateParticipant",
    "DeleteParticipant",
    "FetchParticipant",
    "ListConference",
    "FetchConference",
    "UpdateConference",
    "FetchCall",
    "UpdateCall",
    "CreateCallRecording",
    "ListCallRecording",
    "FetchCallRecording",
    "UpdateCallRecording",
    "ListConferenceRecording",
    "FetchConferenceRecording",
    "UpdateConferenceRecording",
    "CreateRealtimeTranscription",
    "UpdateRealtimeTranscription",
)
KINDS = ("latency", "stall", "rate_limit", "error", "html", "malformed_json", "empty", "reset", "not_found")
APPLY_THEN_FAIL = ("error", "stall", "reset")
ERROR_STATUSES = (500, 502, 503)
HTML_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class Fault:
    """One injection rule; `remaining` is None when it is not limited by a count."""

    id: int
    kind: str
    operation: str = "*"
    method: str | None = None
    remaining: int | None = None
    fraction: float | None = None
    latency_ms: int = 0
    seconds: float = 0.0
    retry_after: int = 1
    status: int | None = None
    apply: bool = False

    def matches(self, operation: str, method: str) -> bool:
        return (self.operation == "*" or self.operation == operation) and (self.method is None or self.method == method)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


class FaultInjector:
    """The simulator's fault rules. Empty (the default) costs one list check per request."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._ids = 0
        self._injected: Counter[str] = Counter()

    def inject(
        self,
        *,
        kind: str,
        operation: str = "*",
        method: str | None = None,
        count: int | None = None,
        fraction: float | None = None,
        latency_ms: int = 0,
        seconds: float = 0.0,
        retry_after: int = 1,
        status: int | None = None,
        apply: bool = False,
    ) -> Fault:
        """Add a rule; raises ValueError when it makes no sense. Returns the rule."""
        _check(kind, operation, count, fraction, latency_ms, seconds, retry_after, status, apply)
        with self._lock:
            self._ids += 1
            rule = Fault(
                id=self._ids,
                kind=kind,
                operation=operation,
                method=method.upper() if method else None,
                remaining=count,
                fraction=fraction,
                latency_ms=latency_ms,
                seconds=seconds,
                retry_after=retry_after,
                status=status if status is not None else _default_status(kind),
                apply=apply,
            )
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        """Remove every rule and reset the counters."""
        with self._lock:
            self._rules.clear()
            self._injected.clear()

    @property
    def rules(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def counts(self) -> Counter[str]:
        """How many requests each fault kind has hit so far."""
        with self._lock:
            return Counter(self._injected)

    def take(self, operation: str, method: str) -> Fault | None:
        """The rule this request triggers (consuming one of its count), or None."""
        if not self._rules:  # the fast path every request takes when nothing is injected
            return None
        if operation not in OPERATIONS:
            return None  # never the control API
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(operation, method):
                    continue
                if rule.fraction is not None and self._random.random() >= rule.fraction:
                    continue
                if rule.remaining is not None:
                    left = rule.remaining - 1
                    if left <= 0:
                        del self._rules[index]
                    else:
                        self._rules[index] = replace(rule, remaining=left)
                self._injected[rule.kind] += 1
                return rule
        return None


def _default_status(kind: str) -> int | None:
    return {"error": 500, "html": 502, "rate_limit": 429, "not_found": 404}.get(kind)


def _check(
    kind: str,
    operation: str,
    count: int | None,
    fraction: float | None,
    latency_ms: int,
    seconds: float,
    retry_after: int,
    status: int | None,
    apply: bool,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
    if operation != "*" and operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; one of *, {', '.join(OPERATIONS)}")
    if count is not None and count < 1:
        raise ValueError("count must be at least 1")
    if fraction is not None and not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    if latency_ms < 0 or seconds < 0 or retry_after < 0:
        raise ValueError("latency_ms, seconds and retry_after must not be negative")
    if kind == "stall" and seconds <= 0:
        raise ValueError("a stall needs seconds > 0 (longer than the client's read timeout)")
    if kind == "latency" and latency_ms <= 0:
        raise ValueError("latency needs latency_ms > 0")
    if kind == "error" and status is not None and status not in ERROR_STATUSES:
        raise ValueError(f"error status must be one of {ERROR_STATUSES}")
    if kind == "html" and status is not None and status not in HTML_STATUSES:
        raise ValueError(f"html status must be one of {HTML_STATUSES}")
    if kind not in ("error", "html") and status is not None and status != _default_status(kind):
        raise ValueError(f"status does not apply to {kind}")
    if apply and kind not in APPLY_THEN_FAIL:
        raise ValueError(f"apply=True only exists for {', '.join(APPLY_THEN_FAIL)}")


# --- text specs for `runsimulator --fault` and SIMULATOR_FAULTS ----------------------------------

# Each key's converter from the spec's text to inject()'s keyword argument.
_SPEC_KEYS: dict[str, Callable[[str], object]] = {
    "kind": str,
    "operation": str,
    "method": str,
    "count": int,
    "fraction": float,
    "latency_ms": int,
    "seconds": float,
    "retry_after": int,
    "status": int,
    "apply": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
}


def parse_spec(text: str) -> dict[str, Any]:
    """`kind=error,status=503,operation=ListParticipant,count=2` -> keyword arguments for inject().

    Each value is already of its keyword's type (see `_SPEC_KEYS`), hence `Any`; inject() checks what they mean.
    """
    arguments: dict[str, Any] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or key not in _SPEC_KEYS:
            raise ValueError(
                f"bad fault spec part {part!r}: expected key=value with key one of {', '.join(_SPEC_KEYS)}"
            )
        try:
            arguments[key] = _SPEC_KEYS[key](value.strip())
        except ValueError:
            raise ValueError(f"bad value in fault spec part {part!r}") from None
    if "kind" not in arguments:
        raise ValueError(f"fault spec {text!r} needs kind=...")
    return arguments


def parse_specs(text: str) -> list[dict[str, Any]]:
    """Several specs separated by `;` (the SIMULATOR_FAULTS format)."""
    return [parse_spec(spec) for spec in text.split(";") if spec.strip()]
