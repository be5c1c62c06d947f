"""Run the whole demo in one process: the Twilio simulator and the dashboard.

The simulator listens on its own port and the dashboard reaches it over HTTP,
exactly as it would reach Twilio. The dashboard is served by uvicorn (ASGI), so its pages'
event streams (conference_admin/push) are live too, with nothing else to start.
Credentials for the pair are generated per run unless the environment provides them,
so nothing secret lives in the repository.
The simulator sends signed status callbacks back to this dashboard and simulates
activity (speech, callers joining and leaving), so the demo moves on its own.
SIGINT (Ctrl-C) and SIGTERM stop both servers and exit 0, even when started in the
background with SIGINT ignored.
"""

import os
import secrets
import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from conference_admin.live.phrases import ensure_demo_rules
from conference_admin.simulator.shutdown import stop_on_signals


class Command(BaseCommand):
    help = "Start the Twilio simulator (with demo conferences) and the dashboard, and print one demo login per role."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--simulator-port", type=int, default=8001)
        parser.add_argument(
            "--activity",
            type=float,
            default=2.0,
            metavar="SECONDS",
            help="seconds between simulated-activity steps (0: off)",
        )

    def handle(self, *args, host, port, simulator_port, activity, **options):
        with stop_on_signals():
            self._run(host, port, simulator_port, activity)

    def _run(self, host, port, simulator_port, activity):
        """Serve both until SIGINT or SIGTERM; the dashboard's runserver then exits 0 and the simulator stops."""
        from conference_admin.simulator.demo import load_demo
        from conference_admin.simulator.engine import Simulator
        from conference_admin.simulator.server import start_simulator

        if not settings.TWILIO_AUTH_TOKEN:
            token = secrets.token_hex(16)
            os.environ["TWILIO_AUTH_TOKEN"] = token
            settings.TWILIO_AUTH_TOKEN = token
        # Bound now, so port 0 (any free port) is known before the simulator is told where to call back.
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(2048)  # connections wait in the backlog until uvicorn accepts them
        port = listening.getsockname()[1]
        # The simulator signs callbacks for this URL and the webhooks check them against it.
        dashboard_url = f"http://{host}:{port}"
        settings.PUBLIC_BASE_URL = dashboard_url

        simulator = Simulator(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN)
        server = None
        try:
            load_demo(simulator)
            server = start_simulator(
                simulator, host="127.0.0.1", port=simulator_port, tick_interval=0.5, activity_interval=activity or None
            )
            settings.TWILIO_API_BASE_URL = server.base_url
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write(f"Twilio simulator: {server.base_url} (account {settings.TWILIO_ACCOUNT_SID})")
            self.stdout.write(
                f"Status callbacks to {dashboard_url}/webhooks/twilio/...; simulated activity every {activity:g} s"
            )
            call_command("create_roles", stdout=self.stdout)
            call_command("create_demo_users", stdout=self.stdout)
            if added := ensure_demo_rules():
                self.stdout.write(f"Phrase alert rules added (Django admin → Phrase rules): {', '.join(added)}")
            self.stdout.write(self.style.SUCCESS(f"Dashboard: http://{host}:{port}/  (Ctrl-C to stop)"))
            # Only now: the demo loaded quietly and nothing is sent while the dashboard cannot listen yet.
            simulator.callbacks.use_dashboard(dashboard_url)
            self.stdout.write(f"Starting development server at {dashboard_url}/")
            # uvicorn stops gracefully on SIGINT/SIGTERM, then hands the signal back: KeyboardInterrupt below.
            serve_dashboard(listening)
        except KeyboardInterrupt:  # stopped by a signal
            pass
        finally:
            listening.close()
            if server is not None:
                server.stop()
            simulator.callbacks.close()
            self.stdout.write("Demo stopped.")


def serve_dashboard(listening: socket.socket) -> None:
    """The whole dashboard (pages, webhooks and event streams) from the ASGI application."""
    import uvicorn

    config = uvicorn.Config(
        "conference_admin.asgi:application",
        lifespan="off",  # Django has no lifespan handler
        timeout_graceful_shutdown=2,  # open event streams are cut then; browsers reconnect or poll
        log_level="warning",
    )
    uvicorn.Server(config).run(sockets=[listening])
