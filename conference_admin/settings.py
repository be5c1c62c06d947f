"""Settings for Conference Admin.

Every environment variable is read here and nowhere else (see `.env.example`).
Two profiles: the embedded default (SQLite, local-memory cache, the bundled Twilio
simulator) and `production` (DJANGO_PROFILE=production), which requires its variables.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

PROFILE = os.environ.get("DJANGO_PROFILE", "default")
IS_PRODUCTION = PROFILE == "production"


def env(name, default=None, *, required_in_production=False):
    value = os.environ.get(name)
    if value not in (None, ""):
        return value
    if required_in_production and IS_PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_PROFILE=production (see .env.example).")
    return default


def env_bool(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", not IS_PRODUCTION)
# The fallback key only ever serves the local default profile; production must set its own.
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    "insecure-local-only-key-for-the-default-profile",
    required_in_production=True,
)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_PROFILE=production.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "conference_admin.simulator",
    "conference_admin.dashboard",
    "conference_admin.live",
    "conference_admin.access",
    "conference_admin.audit",
    "conference_admin.supervision",
    "conference_admin.history",
    "conference_admin.push",
    "conference_admin.ops",
    "axes",
    "csp",
]

MIDDLEWARE = [
    # Outermost: the request's id (X-Request-ID in and out, on its log lines and audit records),
    # then every answer counted and timed by view (conference_admin/ops, docs/OPERATIONS.md).
    "conference_admin.ops.middleware.RequestId",
    "conference_admin.ops.middleware.RequestMetrics",
    "django.middleware.security.SecurityMiddleware",
    # gzip for pages and fragments, never for event streams (conference_admin/http.py).
    "conference_admin.http.CompressedPages",
    # An unchanged participant-table poll answers 204 here, from one cache round trip, with the
    # same authorization as the stack below (conference_admin/dashboard/poll.py).
    "conference_admin.dashboard.poll.UnchangedPollMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, keeping the cookie of a session that ended elsewhere (access/sessions.py).
    "conference_admin.access.sessions.KeepEndedSessionCookie",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's login-required middleware; htmx requests get HX-Redirect (access/login.py).
    # A directory user's account and groups are looked up again every DIRECTORY_RECHECK_SECONDS
    # (conference_admin/access/directory.py): roles follow, a disabled account is signed out.
    "conference_admin.access.directory.DirectoryRecheck",
    "conference_admin.access.login.LoginRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the login page with a message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "conference_admin.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # The filters every app's pages use (clock, age, described), owned by no app.
            "libraries": {"pages": "conference_admin.pagetags"},
        },
    },
]

WSGI_APPLICATION = "conference_admin.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}", required_in_production=True),
        conn_max_age=60,
        # A pooled connection is checked before a request uses it, so a database restart costs
        # one reconnect instead of a failed action.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers from several threads wait for each other instead of failing with "locked";
    # the test database is a file too (an in-memory one fails at once under concurrency).
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # One file per test process, so two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Production shares the roster, sessions and caches between workers and hosts through Redis.
REDIS_URL = env("REDIS_URL", None, required_in_production=True)
if REDIS_URL:
    # While Redis is unreachable each process falls back to its own memory (conference_admin/cache.py).
    CACHES = {"default": {"BACKEND": "conference_admin.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "conference-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sessions and transport security ----------------------------------------------------
# A session lasts one shift and ends on logout.
SESSION_COOKIE_AGE = int(env("DJANGO_SESSION_SECONDS", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The database keeps every session and the cache (Redis in production) holds it in front, so
# a warm request reads no session row and a Redis outage or restart signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Authentication -----------------------------------------------------------------------
# Axes first (it refuses locked-out logins), then the model backend with the user row and
# permission set cached for a short while (conference_admin/access/backends.py).
# The directory backends (LDAP, OpenID Connect) answer only when configured below; sessions they
# sign in load their user through the cached backend too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "conference_admin.access.backends.CachedModelBackend",
    "conference_admin.access.directory_ldap.DirectoryLDAPBackend",
    "conference_admin.access.directory_oidc.DirectoryOIDCBackend",
]
AUTH_CACHE_SECONDS = int(env("AUTH_CACHE_SECONDS", "60"))

# --- Sign-in with the company's directory (conference_admin/access/directory*.py, docs/DEPLOY.md) ---
# OpenID Connect (mozilla-django-oidc; its own setting names). The provider's endpoints come from
# OIDC_OP_ISSUER's discovery document (/.well-known/openid-configuration) unless set one by one.
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", "")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", "")
OIDC_ENABLED = bool(OIDC_OP_ISSUER and OIDC_RP_CLIENT_ID)
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", "your company account")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT", "")
# The authorization code flow with PKCE (S256), always.
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_TIMEOUT = float(env("OIDC_TIMEOUT", "10"))
# The claim (in the ID token or userinfo) that lists the user's groups.
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups")
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/"
# LDAP / Active Directory (django-auth-ldap; its own setting names). Off unless the URI is set.
AUTH_LDAP_SERVER_URI = env("AUTH_LDAP_SERVER_URI", "")
AUTH_LDAP_BIND_DN = env("AUTH_LDAP_BIND_DN", "")
AUTH_LDAP_BIND_PASSWORD = env("AUTH_LDAP_BIND_PASSWORD", "")
AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
# Where and how accounts and groups are found: the library takes search objects, made from these
# (conference_admin/access/directory_ldap.py). A disabled account must not match the user filter.
AUTH_LDAP_USER_SEARCH_BASE = env("AUTH_LDAP_USER_SEARCH_BASE", "")
AUTH_LDAP_USER_SEARCH_FILTER = env("AUTH_LDAP_USER_SEARCH_FILTER", "(uid=%(user)s)")
AUTH_LDAP_GROUP_SEARCH_BASE = env("AUTH_LDAP_GROUP_SEARCH_BASE", "")
AUTH_LDAP_GROUP_SEARCH_FILTER = env("AUTH_LDAP_GROUP_SEARCH_FILTER", "(objectClass=groupOfNames)")
# GroupOfNamesType, ActiveDirectoryGroupType, NestedActiveDirectoryGroupType, ... (django_auth_ldap.config)
AUTH_LDAP_GROUP_TYPE_NAME = env("AUTH_LDAP_GROUP_TYPE", "GroupOfNamesType")
AUTH_LDAP_TLS_CA_FILE = env("AUTH_LDAP_TLS_CA_FILE", "")
AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
AUTH_LDAP_ALWAYS_UPDATE_USER = True
LDAP_ENABLED = bool(AUTH_LDAP_SERVER_URI)
# Directory groups (OIDC group names or LDAP group DNs) to roles: "group=Role;group=Role" or a
# JSON object. A user gets the highest mapped role among their groups; in none, no sign-in.
DIRECTORY_GROUP_ROLES = env("DIRECTORY_GROUP_ROLES", "")
# Signed-in directory users are looked up again this often (roles follow, a disabled account ends).
DIRECTORY_RECHECK_SECONDS = float(env("DIRECTORY_RECHECK_SECONDS", "300"))
# Local (password) accounts: unset, every local account may sign in (the demo, `make run`); set
# to usernames (comma-separated, e.g. the break-glass Admin), only those may.
LOCAL_SIGN_IN_USERS = env_list("LOCAL_SIGN_IN_USERS", None)
# Login throttling (django-axes, conference_admin/access/lockout.py): 5 failures for one
# username from one address lock that pair for 15 minutes (a successful login clears that
# pair's count); LOGIN_IP_FAILURE_LIMIT failures from one address across usernames (password
# spraying) lock the address for as long. Set it above what a shared call-center NAT sees.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "conference_admin.access.lockout.LoginThrottleHandler"
LOGIN_IP_FAILURE_LIMIT = int(env("LOGIN_IP_FAILURE_LIMIT", "50"))
# No start-up banner (it would land in commands' output); lockouts are still logged.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "conference_admin.access.lockout.lockout_response"
# The client address: REMOTE_ADDR, or behind N reverse proxies the X-Forwarded-For hop the
# outermost one appended (N = TRUSTED_PROXY_COUNT; 1 for nginx in front, docs/DEPLOY.md).
AXES_CLIENT_IP_CALLABLE = "conference_admin.access.lockout.client_ip"
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
if env("AXES_TRUSTED_PROXIES"):
    raise ImproperlyConfigured(
        "AXES_TRUSTED_PROXIES is replaced by TRUSTED_PROXY_COUNT, the number of reverse proxies in front "
        "(1 for nginx on the same host); see docs/DEPLOY.md."
    )

# --- Audit trail retention (manage.py prune_audit) -------------------------------------------
# The trail is append-only; `prune_audit` archives records older than this many days to a CSV
# file in AUDIT_ARCHIVE_DIR, deletes them and records that it did (docs/DEPLOY.md).
AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "365"))
AUDIT_ARCHIVE_DIR = Path(env("AUDIT_ARCHIVE_DIR", str(BASE_DIR / "audit-archive")))

# --- Content Security Policy (django-csp) ---------------------------------------------------
# Scripts and styles come from our static files only: no inline code, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    # TLS ends at the reverse proxy, which says so in X-Forwarded-Proto (docs/DEPLOY.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Twilio drops a callback's parameters when it follows a redirect.
    # Probes and the metrics scraper reach the server directly, over plain HTTP (docs/OPERATIONS.md).
    SECURE_REDIRECT_EXEMPT = [r"^webhooks/", r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS])

# --- Twilio -----------------------------------------------------------------------------
# The default profile talks to the bundled simulator; production defaults to Twilio itself.
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", "https://api.twilio.com" if IS_PRODUCTION else "http://127.0.0.1:8001")
# A made-up account SID for the simulator; not a credential.
SIMULATOR_DEMO_ACCOUNT_SID = "AC00000000000000000000000000000000"
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", "")
TWILIO_API_KEY_SID = env("TWILIO_API_KEY_SID", "")
TWILIO_API_KEY_SECRET = env("TWILIO_API_KEY_SECRET", "")
if IS_PRODUCTION:
    # Name every missing Twilio variable at once.
    _missing = [] if TWILIO_ACCOUNT_SID else ["TWILIO_ACCOUNT_SID"]
    if not (TWILIO_AUTH_TOKEN or (TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)):
        _missing.append("TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)")
    if _missing:
        raise ImproperlyConfigured(f"Set {' and '.join(_missing)} for DJANGO_PROFILE=production (see .env.example).")
else:
    TWILIO_ACCOUNT_SID = TWILIO_ACCOUNT_SID or SIMULATOR_DEMO_ACCOUNT_SID
TWILIO_CONNECT_TIMEOUT = float(env("TWILIO_CONNECT_TIMEOUT", "3.05"))
TWILIO_READ_TIMEOUT = float(env("TWILIO_READ_TIMEOUT", "10"))
# Upper bound on one client call including its retries and backoff.
TWILIO_TOTAL_TIMEOUT = float(env("TWILIO_TOTAL_TIMEOUT", "20"))
# Pages one list follows through next_page_uri before it stops with an error (an upstream
# whose next page points back at itself would otherwise be followed for ever).
TWILIO_MAX_PAGES = int(env("TWILIO_MAX_PAGES", "50"))

# Log lines: plain text (the default, as `make run` prints them) or JSON lines for a log
# collector (LOG_FORMAT=json: time, level, logger, message, request_id and any extra fields).
LOG_FORMAT = env("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # A refusal (403) is one line: user, path and reason, without a traceback.
        "one_line_forbidden": {"()": "conference_admin.access.forbidden.OneLineForbidden"},
        # Every line knows the request it belongs to (conference_admin/request_id.py).
        "request_id": {"()": "conference_admin.request_id.RequestIdLogFilter"},
    },
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "loggers": {
        "django.request": {"filters": ["one_line_forbidden"]},
        "django.security.csrf": {"filters": ["one_line_forbidden"]},
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
}

# --- Dashboard ----------------------------------------------------------------------------
# What the supervisor dashboard offers in its pickers: these seed the pick lists of a new
# database (conference_admin.dashboard.models.Choice); Admins edit them at /admin/ afterwards.
# URLs are data handed to Twilio; the dashboard never fetches them. Each entry: a name shown to
# the supervisor, the URL and the HTTP method Twilio should use to fetch it.
DASHBOARD_POLL_SECONDS = int(env("DASHBOARD_POLL_SECONDS", "3"))
DASHBOARD_HOLD_MUSIC = [
    {
        "name": "Busy strings (Twilio default)",
        "url": "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3",
        "method": "GET",
    },
    {
        "name": "Chopin",
        "url": "http://com.twilio.music.classical.s3.amazonaws.com/ith_chopin-15-2.mp3",
        "method": "GET",
    },
    {
        "name": "Borghestral",
        "url": "http://com.twilio.sounds.music.s3.amazonaws.com/MARKOVICHAMP-Borghestral.mp3",
        "method": "GET",
    },
]
DASHBOARD_WAIT_MUSIC = [
    {
        "name": "Classical playlist (Twilio default)",
        "url": "http://twimlets.com/holdmusic?Bucket=com.twilio.music.classical",
        "method": "POST",
    },
    *DASHBOARD_HOLD_MUSIC,
]
DASHBOARD_ANNOUNCEMENTS = [
    {"name": "Supervisor message (TwiML)", "url": "http://demo.twilio.com/docs/voice.xml", "method": "POST"},
    {"name": "Short chime (MP3)", "url": "http://demo.twilio.com/docs/classic.mp3", "method": "GET"},
]
# Numbers (E.164) or client:names the supervisor may dial out from; a typed one is accepted too.
DASHBOARD_CALLER_IDS = env_list("DASHBOARD_CALLER_IDS", ["+15005550006"])


def env_roles(name, default):
    """`role=prefix` pairs, comma-separated; a role may repeat to have several prefixes."""
    roles: dict[str, list[str]] = {}
    for item in env_list(name, default):
        role, _, prefix = item.partition("=")
        if role.strip() not in ("agent", "supervisor") or not prefix.strip():
            raise ImproperlyConfigured(f"{name}: {item!r} is not agent=<prefix> or supervisor=<prefix>.")
        roles.setdefault(role.strip(), []).append(prefix.strip())
    if "supervisor" not in roles:
        raise ImproperlyConfigured(f"{name} needs a supervisor=<prefix> (the label of a supervisor's own line).")
    return {role: tuple(prefixes) for role, prefixes in roles.items()}


# Who a participant is, from its label's prefix: supervisors' own lines ("supervisor:<username>"),
# agents; anyone else is a customer. The one setting behind every role decision (alerts, bulk
# actions, whisper targets).
PARTICIPANT_ROLE_PREFIXES = env_roles("PARTICIPANT_ROLE_PREFIXES", ["agent=agent", "supervisor=supervisor:"])
if env("SUPERVISION_AGENT_LABEL_PREFIX"):
    raise ImproperlyConfigured(
        "SUPERVISION_AGENT_LABEL_PREFIX is replaced by PARTICIPANT_ROLE_PREFIXES "
        "(agent=<prefix>,supervisor=supervisor:); see .env.example."
    )

# --- Live state (status callbacks and the shared roster) ------------------------------------
# The URL Twilio reaches this dashboard at (e.g. https://dash.example.com behind a TLS proxy).
# Webhook signatures are checked against it; unset means polling mode only.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "")
ROSTER_POLL_INTERVAL_SECONDS = int(env("ROSTER_POLL_INTERVAL_SECONDS", "5"))
ROSTER_CALLBACK_INTERVAL_SECONDS = int(env("ROSTER_CALLBACK_INTERVAL_SECONDS", "60"))
ROSTER_CACHE_SECONDS = int(env("ROSTER_CACHE_SECONDS", "86400"))
# A conference SID Twilio does not know is remembered as missing for this long (no upstream
# call for it meanwhile), and each user may make this many reads of a conference the
# dashboard has not seen yet per minute; anything that sends to Twilio on a user's behalf
# (row, add and conference actions, your line, bulk actions) is limited per user per minute.
UNKNOWN_CONFERENCE_CACHE_SECONDS = int(env("UNKNOWN_CONFERENCE_CACHE_SECONDS", "60"))
USER_CONFERENCE_LOOKUPS_PER_MINUTE = int(env("USER_CONFERENCE_LOOKUPS_PER_MINUTE", "10"))
USER_TWILIO_REQUESTS_PER_MINUTE = int(env("USER_TWILIO_REQUESTS_PER_MINUTE", "240"))

# --- Twilio simulator (conference_admin.simulator, `manage.py runsimulator`) ----------------
# Defaults for the bundled simulator; command-line options override them (docs/SIMULATOR.md).
SIMULATOR_SEED = int(env("SIMULATOR_SEED")) if env("SIMULATOR_SEED") else None
SIMULATOR_ANSWER_AFTER_SECONDS = float(env("SIMULATOR_ANSWER_AFTER_SECONDS", "3"))
SIMULATOR_LOAD_DEMO = env_bool("SIMULATOR_LOAD_DEMO", True)
# Status callbacks, simulated activity and fault injection (docs/SIMULATOR.md):
# where conferences and calls without their own callback URL report to (the dashboard's base URL,
# e.g. http://127.0.0.1:8000; unset: nowhere), seconds between simulated-activity steps (0: off),
# and faults to inject at start ("kind=error,status=503,operation=ListParticipant,count=2; ...").
SIMULATOR_CALLBACK_BASE_URL = env("SIMULATOR_CALLBACK_BASE_URL", "")
SIMULATOR_ACTIVITY_SECONDS = float(env("SIMULATOR_ACTIVITY_SECONDS", "0"))
SIMULATOR_FAULTS = env("SIMULATOR_FAULTS", "")

# --- Supervision (conference_admin/supervision: listen/whisper/barge, bulk, alerts) --------
# Alerts on the conferences page: someone on hold / ringing for at least this long.
SUPERVISION_ALERT_HOLD_SECONDS = int(env("SUPERVISION_ALERT_HOLD_SECONDS", "120"))
SUPERVISION_ALERT_RINGING_SECONDS = int(env("SUPERVISION_ALERT_RINGING_SECONDS", "30"))
# A conference that has not started (Twilio starts it when a second participant joins) with one
# participant connected for this long: "alone, waiting for the conference to start".
SUPERVISION_ALERT_WAITING_TO_START_SECONDS = int(env("SUPERVISION_ALERT_WAITING_TO_START_SECONDS", "60"))
# Bulk actions run this many single Twilio calls at once.
SUPERVISION_BULK_CONCURRENCY = int(env("SUPERVISION_BULK_CONCURRENCY", "4"))
# "Also watching": each user's presence is written at most this often and shown for the TTL.
SUPERVISION_PRESENCE_WRITE_SECONDS = 10
SUPERVISION_PRESENCE_TTL_SECONDS = 30
# --- History (conference_admin/history: ended conferences, reports, search) ---------------
# Days history keeps a conference (metadata only) before `manage.py prune_history` removes it.
HISTORY_RETENTION_DAYS = int(env("HISTORY_RETENTION_DAYS", "90"))
# --- Recordings (conference_admin/live/recordings.py, dashboard/recordings.py) --------------
# What a pause does unless the supervisor picks the other: "silence" (Twilio's default: the
# recording keeps running with silence) or "skip" (the paused part is left out).
RECORDING_PAUSE_BEHAVIOR = env("RECORDING_PAUSE_BEHAVIOR", "silence")
if RECORDING_PAUSE_BEHAVIOR not in ("silence", "skip"):
    raise ImproperlyConfigured("RECORDING_PAUSE_BEHAVIOR must be silence or skip.")
# Alert (conference page and conferences list) when a recording stays paused this long.
RECORDING_ALERT_PAUSED_SECONDS = int(env("RECORDING_ALERT_PAUSED_SECONDS", "300"))
# --- Live transcripts (conference_admin/live/transcripts.py, dashboard/transcripts.py) --------
# The language Twilio's Real-Time Transcription listens for (BCP-47).
TRANSCRIPT_LANGUAGE_CODE = env("TRANSCRIPT_LANGUAGE_CODE", "en-US")
# How long a watched phrase (live/phrases.py, rules in Django admin) stays an alert after it was said.
PHRASE_ALERT_SECONDS = int(env("PHRASE_ALERT_SECONDS", "300"))
# While a recording is paused (a card number read out), keep nothing said then from the transcript.
TRANSCRIPT_PAUSE_WITH_RECORDING = env_bool("TRANSCRIPT_PAUSE_WITH_RECORDING", True)
# Days transcript lines are kept before `manage.py prune_transcripts` deletes them.
TRANSCRIPT_RETENTION_DAYS = int(env("TRANSCRIPT_RETENTION_DAYS", "30"))

# --- Live push (conference_admin/push: Server-Sent Events to open pages) -------------------
# A comment line this often keeps proxies from closing an idle stream; as often, every
# stream's session and view permission are checked (a logout or a revoked role closes it).
PUSH_HEARTBEAT_SECONDS = float(env("PUSH_HEARTBEAT_SECONDS", "15"))
# Each watched conference is checked this often per stream process (the poll's refresh: a
# reconcile with Twilio when due, else one small cache read), whatever the number of pages.
PUSH_CHECK_SECONDS = float(env("PUSH_CHECK_SECONDS", str(DASHBOARD_POLL_SECONDS)))
# Open streams per user and process; past it the page polls.
PUSH_STREAMS_PER_USER = int(env("PUSH_STREAMS_PER_USER", "10"))
# How long a browser waits before reconnecting a stream that broke.
PUSH_RETRY_MILLISECONDS = int(env("PUSH_RETRY_MILLISECONDS", "2000"))

# --- Operations (conference_admin/ops: /healthz, /readyz, /metrics; docs/OPERATIONS.md) -----
# /readyz checks the database, Redis (when configured) and Twilio at once, each bounded by this.
READYZ_TIMEOUT_SECONDS = float(env("READYZ_TIMEOUT_SECONDS", "1.0"))
# The conference pages' banner naming a dependency that is down refreshes itself this often, and
# each process runs the readiness checks for it at most this often (ops/status.py).
DEPENDENCY_STATUS_SECONDS = float(env("DEPENDENCY_STATUS_SECONDS", "5"))
# /metrics answers a scraper that sends `Authorization: Bearer <METRICS_BEARER_TOKEN>` or calls
# from one of METRICS_ALLOWED_NETWORKS (CIDRs, matched against REMOTE_ADDR: behind a proxy on this
# host that is the proxy's, so keep /metrics out of the proxy, docs/OPERATIONS.md). The default
# profile lets loopback in; production lets nobody in until one of the two is set.
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", [] if IS_PRODUCTION else ["127.0.0.1/32", "::1/128"])
try:
    [ipaddress.ip_network(network) for network in METRICS_ALLOWED_NETWORKS]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from error
# Where every gunicorn worker and the uvicorn process write their metrics, one directory shared
# by all (prometheus-client's multiprocess mode reads the same variable); empty it before the
# servers start. Unset: each process reports only its own (fine for `make run`).
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", "")
# An audit record still `pending` this long lost its outcome (its process died, or the database
# refused the settling write): it is settled from Twilio's current state (dashboard/settle.py),
# by a runner every AUDIT_SETTLE_EVERY_SECONDS in each server process, one at a time (0: off;
# `manage.py settle_pending_audit` does one pass). Longer than any live action can take.
AUDIT_SETTLE_AFTER_SECONDS = float(env("AUDIT_SETTLE_AFTER_SECONDS", "120"))
AUDIT_SETTLE_EVERY_SECONDS = float(env("AUDIT_SETTLE_EVERY_SECONDS", "30"))
if AUDIT_SETTLE_AFTER_SECONDS <= TWILIO_TOTAL_TIMEOUT:
    raise ImproperlyConfigured(
        "AUDIT_SETTLE_AFTER_SECONDS must be longer than TWILIO_TOTAL_TIMEOUT (an action still waiting "
        "for Twilio is not settled from outside)."
    )
