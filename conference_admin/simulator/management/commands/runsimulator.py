"""`manage.py runsimulator`: serve the Twilio simulator in the foreground until Ctrl-C."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from conference_admin.simulator.demo import load_demo
from conference_admin.simulator.engine import DialTimings, Simulator
from conference_admin.simulator.server import build_server


class Command(BaseCommand):
    help = "Serve the Twilio-compatible Conference/Participant simulator (with demo conferences)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=settings.SIMULATOR_SEED, help="seed for deterministic SIDs")
        parser.add_argument("--no-demo", action="store_true", help="start without the demo conferences")
        parser.add_argument(
            "--answer-after",
            type=float,
            default=settings.SIMULATOR_ANSWER_AFTER_SECONDS,
            metavar="SECONDS",
            help="seconds from dial-out to answer",
        )

    def handle(self, *args: object, host: str, port: int, seed: int | None, no_demo: bool, answer_after: float, **options: object) -> None:
        if not settings.TWILIO_AUTH_TOKEN and not (settings.TWILIO_API_KEY_SID and settings.TWILIO_API_KEY_SECRET):
            raise CommandError(
                "Set TWILIO_AUTH_TOKEN (any value) in this shell and in the dashboard's, so both agree; "
                "`make run` does this for you."
            )
        defaults = DialTimings()
        timings = DialTimings(
            connect_after=min(defaults.connect_after, answer_after),
            ring_after=min(defaults.ring_after, answer_after),
            answer_after=answer_after,
        )
        simulator = Simulator.from_settings(seed=seed, timings=timings)
        if settings.SIMULATOR_LOAD_DEMO and not no_demo:
            load_demo(simulator)
        server = build_server(simulator, host, port)
        # The account SID is not a secret; the token is never printed.
        self.stdout.write(f"Twilio simulator listening on {server.base_url}")
        self.stdout.write(f"Account SID: {simulator.account_sid}")
        self.stdout.write("Press Ctrl-C to stop.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Simulator stopped.")
