"""`manage.py runsimulator`: serve the Twilio simulator in the foreground until SIGINT (Ctrl-C) or SIGTERM.

Both stop it gracefully and it exits 0, even when started in the background with SIGINT ignored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from conference_admin.simulator.demo import load_demo
from conference_admin.simulator.engine import DialTimings, Simulator
from conference_admin.simulator.faults import parse_spec, parse_specs
from conference_admin.simulator.server import build_server
from conference_admin.simulator.shutdown import stop_on_signals

SHUTDOWN_FLUSH_SECONDS = 2.0


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
        parser.add_argument(
            "--callback-base-url",
            default=settings.SIMULATOR_CALLBACK_BASE_URL,
            metavar="URL",
            help="send every event of conferences and calls without their own callback URL to the dashboard at URL",
        )
        parser.add_argument(
            "--activity",
            nargs="?",
            type=float,
            const=2.0,
            default=settings.SIMULATOR_ACTIVITY_SECONDS or None,
            metavar="SECONDS",
            help="simulate speech, callers joining and hanging up every SECONDS (default 2)",
        )
        parser.add_argument(
            "--fault",
            action="append",
            default=[],
            metavar="SPEC",
            help="inject a fault, e.g. kind=error,status=503,operation=ListParticipant,count=2 (repeatable)",
        )

    def handle(
        self,
        *args: object,
        host: str,
        port: int,
        seed: int | None,
        no_demo: bool,
        answer_after: float,
        callback_base_url: str,
        activity: float | None,
        fault: list[str],
        **options: object,
    ) -> None:
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
        try:
            faults = parse_specs(settings.SIMULATOR_FAULTS) + [parse_spec(spec) for spec in fault]
        except ValueError as exc:
            raise CommandError(f"Bad fault: {exc}") from None
        with stop_on_signals():
            self._serve(host, port, seed, no_demo, timings, callback_base_url, activity, faults)
        self.stdout.write("Simulator stopped.")

    def _serve(
        self,
        host: str,
        port: int,
        seed: int | None,
        no_demo: bool,
        timings: DialTimings,
        callback_base_url: str,
        activity: float | None,
        faults: list[dict[str, Any]],
    ) -> None:
        """Serve until SIGINT or SIGTERM (KeyboardInterrupt), then stop the server and the callbacks."""
        simulator = Simulator.from_settings(seed=seed, timings=timings)
        server = None
        try:
            simulator.callbacks.use_dashboard(None)  # the demo is set up silently, then reported on
            if settings.SIMULATOR_LOAD_DEMO and not no_demo:
                load_demo(simulator)
            simulator.callbacks.use_dashboard(callback_base_url or None)
            for arguments in faults:
                try:
                    simulator.faults.inject(**arguments)
                except (ValueError, TypeError) as exc:
                    raise CommandError(f"Bad fault {arguments}: {exc}") from None
            # Dial-outs move on (and report) by themselves once someone listens or activity runs.
            tick = 0.5 if callback_base_url or activity else None
            server = build_server(simulator, host, port, tick_interval=tick, activity_interval=activity)
            # The account SID is not a secret; the token is never printed.
            self.stdout.write(f"Twilio simulator listening on {server.base_url}")
            self.stdout.write(f"Account SID: {simulator.account_sid}")
            if callback_base_url:
                self.stdout.write(f"Status callbacks without their own URL go to {callback_base_url}")
            if activity:
                self.stdout.write(f"Simulated activity every {activity:g} s")
            for rule in simulator.faults.rules:
                self.stdout.write(f"Fault injected: {rule.as_json()}")
            self.stdout.write("Press Ctrl-C to stop (or send SIGTERM).")
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if server is not None:
                server.stop()
            simulator.callbacks.flush(SHUTDOWN_FLUSH_SECONDS)  # callbacks already due still go out
            simulator.callbacks.close()
