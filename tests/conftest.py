"""Shared fixtures: a real simulator HTTP server and Django settings pointing at it."""

import os
import secrets
from datetime import UTC, datetime

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses
# that unless told it is fine (it is: the tests are synchronous).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The periodic settling of pending audit records (conference_admin/ops/settling.py) stays off in
# the servers tests start (they inherit this) and in this process (`settle_runner_off`);
# tests/ops/test_settle_after_kill.py turns it on for its server.
os.environ.setdefault("AUDIT_SETTLE_EVERY_SECONDS", "0")

TEST_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TEST_AUTH_TOKEN = secrets.token_hex(16)


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker):
    """Tests run with DEBUG off, so templates need the hashed-name manifest, as in production."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def settle_runner_off():
    """Settings are read before this file, so the variable above does not reach this process:
    no runner thread here, settling records of other tests (tests/ops/test_settle.py calls it)."""
    from django.conf import settings

    settings.AUDIT_SETTLE_EVERY_SECONDS = 0


# The audit table's TRUNCATE trigger (audit migration 0005), by name, for the tests that need it.
AUDIT_NO_TRUNCATE = "audit_auditrecord_no_truncate"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as migrated, except that on PostgreSQL the audit table's TRUNCATE
    trigger is disabled: the test runner empties every table with TRUNCATE after each
    transactional test. tests/audit/test_append_only.py enables it where it is tested."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE audit_auditrecord DISABLE TRIGGER {AUDIT_NO_TRUNCATE}")
    yield


@pytest.fixture(autouse=True)
def empty_cache():
    """The shared roster lives in the cache: every test starts without one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def call_identity():
    """Callers' identities are fetched in background threads; in tests the work waits for
    `call_identity.run()`, so no test sees a FetchCall it did not ask for."""
    from conference_admin.live import identity

    with identity.deferred() as pending:
        yield pending


@pytest.fixture(scope="session")
def simulator_server():
    from conference_admin.simulator.engine import ManualClock, Simulator
    from conference_admin.simulator.server import start_simulator

    # Start the manual clock at the real time so the dashboard's "in call for" figures stay sane.
    clock = ManualClock(datetime.now(UTC))
    simulator = Simulator(account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN, clock=clock, seed=7)
    server = start_simulator(simulator)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def simulator(simulator_server, settings):
    """The running simulator, emptied, its clock at the real time, with the dashboard's settings pointed at it."""
    simulator_server.simulator.reset()
    # The session's manual clock started with the run: catch it up, so ages read as a test expects.
    clock = simulator_server.simulator.clock
    clock.advance(max(0.0, (datetime.now(UTC) - clock.now()).total_seconds()))
    settings.TWILIO_API_BASE_URL = simulator_server.base_url
    settings.TWILIO_ACCOUNT_SID = TEST_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = TEST_AUTH_TOKEN
    settings.TWILIO_API_KEY_SID = ""
    settings.TWILIO_API_KEY_SECRET = ""
    return simulator_server.simulator


@pytest.fixture
def twilio_client(simulator_server):
    from conference_admin.twilio import TwilioClient

    client = TwilioClient(
        account_sid=TEST_ACCOUNT_SID,
        auth_token=TEST_AUTH_TOKEN,
        base_url=simulator_server.base_url,
        read_timeout=5,
        total_timeout=10,
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def ldap_directory():
    """A private slapd with the test directory (tests/directory.py), stopped at the end of the run."""
    from .directory import LdapDirectory, skip_unless_installed

    skip_unless_installed(ldap=True)
    directory = LdapDirectory.start()
    try:
        yield directory
    finally:
        directory.stop()


@pytest.fixture
def ldap(ldap_directory):
    """The session's directory for one test; put back as it was afterwards (a test moves and locks people)."""
    yield ldap_directory
    ldap_directory.restore()


@pytest.fixture(scope="session")
def openid_provider():
    """The test OpenID provider (tests/idp, node) with the dashboard's client registered for the
    Django test client's callback URL; stopped at the end of the run."""
    from .directory import OpenIdProvider, skip_unless_installed

    skip_unless_installed(oidc=True)
    provider = OpenIdProvider.start(redirect_uris=["http://testserver/oidc/callback/"])
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def oidc(openid_provider):
    """The session's provider for one test; its users put back as they were afterwards."""
    yield openid_provider
    openid_provider.reset_users()


@pytest.fixture
def audit_writes_refused(monkeypatch):
    """The database refuses every new audit record (a locked table, a database that is down), as
    its driver would: whatever writes the record, the statement fails."""
    from django.db import DatabaseError
    from django.db.backends.utils import CursorWrapper

    from conference_admin.audit.models import AuditRecord

    table = AuditRecord._meta.db_table
    execute = CursorWrapper.execute

    def refusing(self, sql, params=None):
        if sql.lstrip().upper().startswith("INSERT INTO") and table in sql.split("(", 1)[0]:
            raise DatabaseError("audit table locked")
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", refusing)
