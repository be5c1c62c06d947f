"""The request the simulator's WSGI app builds: what it serves, and what its request log records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest

if TYPE_CHECKING:
    from .engine import Simulator


class SimulatorRequest(WSGIRequest):
    """Built by `SimulatorWSGIHandler` for every request; views and the middleware fill it in."""

    simulator: Simulator  # the simulator serving this request (set by the handler)
    urlconf: str
    operation: str = "Unknown"  # Twilio's operation name, e.g. "UpdateParticipant"
    fault: str | None = None  # the kind of the injected fault that answered, if any
    no_answer: bool = False  # the connection is reset instead of answered


def simulator_request(request: HttpRequest) -> SimulatorRequest:
    """`request` as the simulator's own request; only the simulator's handler serves its views."""
    if not isinstance(request, SimulatorRequest):
        raise TypeError(
            f"the simulator's views are served by SimulatorWSGIHandler, not with a {type(request).__name__}"
        )
    return request
