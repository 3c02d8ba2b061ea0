"""CantonDEX gateway settings: every value the environment can change is read here, once (see docs/configuration.md).

The rest of the code reads `django.conf.settings.<NAME>` when it needs a value, never the environment, so a
test's `settings` fixture changes what the code sees.
"""

import ipaddress
import logging
import os
import sys
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
import environ
import structlog
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The one environment reader. Booleans: a non-zero number or true/yes/y/on/ok is on, anything else is off.
# A value starting with `$` names another variable (django-environ's proxy); write `\$` for a literal one.
env = environ.Env()
env.escape_proxy = True

# On: development mode (detailed error pages, a dev secret key, local hosts allowed); off in production.
DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-cantondex-dev-only-never-use-in-production"
# Signs sessions and JWTs; required when DEBUG is off.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

_default_hosts = ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
# Host names served, comma-separated; also the WebSocket Origins browsers may connect from.
ALLOWED_HOSTS = [h.strip() for h in env.list("DJANGO_ALLOWED_HOSTS", default=_default_hosts) if h.strip()]
# Origins (scheme://host) trusted for the admin's CSRF check behind a proxy, comma-separated.
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]) if o.strip()]

if not DEBUG:
    # Session and CSRF cookies only over HTTPS (production without DEBUG); off only behind plain HTTP.
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "kernel",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us (no CDN): /v1/docs works offline
    "channels",
    "accounts",
    "streams",
    "trading",
    "compliance",
    "operations",
    "auctions",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cantondex.urls"
ASGI_APPLICATION = "cantondex.asgi.application"

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
        },
    },
]

# The database, as a URL (dj-database-url): SQLite beside the code by default, PostgreSQL in production.
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Seconds a database connection is kept open for reuse (0: closed after each request or ORM call).
CDX_DB_CONN_MAX_AGE = env.int("CDX_DB_CONN_MAX_AGE", default=300)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Kept open between requests and ORM calls: the gateway's one ORM thread would otherwise open and
        # close a connection for every auth, subscribe and relay pass. Checked before reuse after an error.
        conn_max_age=CDX_DB_CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
# PostgreSQL: a connection pool per process (Django's, psycopg_pool), so the connections are bounded by
# configuration however many request threads ASGI runs; a request that waits longer than the timeout
# for one gets 503 SERVICE_UNAVAILABLE (kernel.errors). Connections go back to the pool after each
# request, so CONN_MAX_AGE must be 0 with it.
CDX_DB_POOL_MAX_SIZE = env.int("CDX_DB_POOL_MAX_SIZE", default=16)
# HTTP requests run at once per server process (kernel/asgi.py); more wait on the event loop.
CDX_HTTP_CONCURRENCY = env.int("CDX_HTTP_CONCURRENCY", default=4)
CDX_DB_POOL_TIMEOUT_S = env.float("CDX_DB_POOL_TIMEOUT_S", default=5.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, CDX_DB_POOL_MAX_SIZE),
        "max_size": CDX_DB_POOL_MAX_SIZE,
        "timeout": CDX_DB_POOL_TIMEOUT_S,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The gateway writes from several threads (web requests, settlement, relay): wait for the lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # The test database is a file, not memory, so end-to-end tests' daphne processes can open it;
    # one file per test run, so runs side by side do not share it; in RAM where there is /dev/shm.
    _test_db_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db_dir / f"cantondex-test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis for the channel layer and the cluster-wide connection counter; empty: in-process layer, one process.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL}],
                # Each gateway process has one hub channel that receives every stream event for
                # its subscribers; the default capacity of 100 would drop bursts.
                "capacity": 1000,
                "channel_capacity": {"cdx.hub*": 100_000},
                "expiry": 60,
                "group_expiry": 86400,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 100_000, "expiry": 60},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# daphne serves no static files itself; WhiteNoise does (from the app folders while debugging).
WHITENOISE_USE_FINDERS = DEBUG
LOGIN_URL = "/admin/login/"

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's, telling an expired token from a bad one, and reading user, roles and account at once
        "accounts.authentication.JwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["kernel.json.ExactJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["kernel.json.ExactJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "kernel.schema.AutoSchema",  # every answer, errors included
    "COERCE_DECIMAL_TO_STRING": False,
    "EXCEPTION_HANDLER": "kernel.errors.exception_handler",
}

# Lifetimes of JWT access and refresh tokens, in seconds.
CDX_JWT_ACCESS_LIFETIME_S = env.int("CDX_JWT_ACCESS_LIFETIME_S", default=15 * 60)
CDX_JWT_REFRESH_LIFETIME_S = env.int("CDX_JWT_REFRESH_LIFETIME_S", default=24 * 3600)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=CDX_JWT_ACCESS_LIFETIME_S),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=CDX_JWT_REFRESH_LIFETIME_S),
    "UPDATE_LAST_LOGIN": False,
}

# The API version of REST and WebSocket alike (docs/versioning.md); the AsyncAPI document reads it too.
API_VERSION = "1.0.0"
SPECTACULAR_SETTINGS = {
    "TITLE": "CantonDEX gateway API",
    "DESCRIPTION": "REST API of the CantonDEX gateway. The WebSocket protocol: /v1/asyncapi.json (AsyncAPI 3.0).",
    "VERSION": API_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# WebSocket protocol limits (CONTRACT.md): every one is a setting.
# Seconds a new connection has to authenticate before AUTH_REQUIRED and close 4001.
CDX_WS_AUTH_TIMEOUT_S = env.float("CDX_WS_AUTH_TIMEOUT_S", default=5.0)
# Open connections per account (per user without one), across every server when REDIS_URL is set.
CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT = env.int("CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT", default=10)
# Client messages per second per connection (token bucket, bursts up to the same number).
CDX_WS_RATE_LIMIT_PER_S = env.int("CDX_WS_RATE_LIMIT_PER_S", default=100)
# Largest client message, in UTF-8 bytes.
CDX_WS_MAX_MESSAGE_BYTES = env.int("CDX_WS_MAX_MESSAGE_BYTES", default=64 * 1024)
# A message over this many bytes also closes the socket (4009); daphne's own limit (Makefile) must be higher.
CDX_WS_CLOSE_MESSAGE_BYTES = env.int("CDX_WS_CLOSE_MESSAGE_BYTES", default=1024 * 1024)
# Streams per connection (each market_data symbol counts).
CDX_WS_MAX_SUBSCRIPTIONS = env.int("CDX_WS_MAX_SUBSCRIPTIONS", default=50)
# Seconds between server pings; a client that has answered one with `pong` and is then silent for one more
# interval after a ping is closed (4008). A client that never answers is left to daphne's protocol pings.
CDX_WS_PING_INTERVAL_S = env.float("CDX_WS_PING_INTERVAL_S", default=30.0)
# daphne's RFC 6455 pings (whole seconds, `--ping-interval`, `--ping-timeout`: Makefile and tests/e2e/server.py pass these):
# a protocol ping after this many seconds without a client frame, the TCP peer dropped without its pong.
CDX_WS_PROTOCOL_PING_INTERVAL_S = env.int("CDX_WS_PROTOCOL_PING_INTERVAL_S", default=20)
CDX_WS_PROTOCOL_PING_TIMEOUT_S = env.int("CDX_WS_PROTOCOL_PING_TIMEOUT_S", default=30)
# Seconds an authenticated connection may stay without any subscription before it is closed (4008).
CDX_WS_IDLE_TIMEOUT_S = env.float("CDX_WS_IDLE_TIMEOUT_S", default=300.0)
# Slow consumers (streams/flow.py): UTF-8 bytes written to a socket and not yet covered by an answered ping;
# beyond them messages wait (shared, not copied).
CDX_WS_SEND_WINDOW_BYTES = env.int("CDX_WS_SEND_WINDOW_BYTES", default=256 * 1024)
# UTF-8 bytes that may wait for one socket; more and it is closed as a slow consumer (4030).
CDX_WS_SEND_QUEUE_BYTES = env.int("CDX_WS_SEND_QUEUE_BYTES", default=64 * 1024 * 1024)
# Seconds a socket with messages waiting may go without answering a ping before it is closed (4030).
CDX_WS_SLOW_CONSUMER_S = env.float("CDX_WS_SLOW_CONSUMER_S", default=10.0)
# Resume (`since` on subscribe): how many missed events can be replayed from the event log.
CDX_WS_REPLAY_MAX_EVENTS = env.int("CDX_WS_REPLAY_MAX_EVENTS", default=1000)
# Seconds events stay in the event log (the resume window in time).
CDX_EVENT_LOG_RETENTION_S = env.int("CDX_EVENT_LOG_RETENTION_S", default=24 * 3600)
# Seconds market data stays in the event log: it is latest-state (a snapshot on every subscribe).
CDX_EPHEMERAL_RETENTION_S = env.int("CDX_EPHEMERAL_RETENTION_S", default=300)
# Seconds between the event relay's looks for events committed by other processes (commits also wake it).
CDX_RELAY_POLL_S = env.float("CDX_RELAY_POLL_S", default=0.05)

# Valuation-currency notional at or above which a trade, deposit or withdrawal raises large_transaction_alert.
CDX_LARGE_TRANSACTION_THRESHOLD = env("CDX_LARGE_TRANSACTION_THRESHOLD", cast=Decimal, default=Decimal("1000000"))

# Trading.
# Commission charged to each side of a fill, as a fraction of the gross amount (0.001 = 0.1 %).
CDX_TRADING_FEE_RATE = env("CDX_TRADING_FEE_RATE", cast=Decimal, default=Decimal("0.001"))
# Dotted path of the ledger adapter class that settles trades and sends withdrawals.
CDX_LEDGER_ADAPTER = env.str("CDX_LEDGER_ADAPTER", default="trading.ledger.LocalLedger")
# The currency balances are valued in (balance_updated, margin) and credit lines are drawn in.
CDX_VALUATION_CURRENCY = env.str("CDX_VALUATION_CURRENCY", default="USDC")
# Margin level (equity / borrowed, a fraction) below which margin_call goes out.
CDX_MARGIN_WARNING_LEVEL = env("CDX_MARGIN_WARNING_LEVEL", cast=Decimal, default=Decimal("0.5"))
# Margin level (a fraction) reported in margin_call as the liquidation level.
CDX_MARGIN_LIQUIDATION_LEVEL = env("CDX_MARGIN_LIQUIDATION_LEVEL", cast=Decimal, default=Decimal("0.3"))

# Operations: health probes and the status page.
# Milliseconds above which a probe reports its services degraded: database SELECT 1, Redis PING,
# channel-layer round trip, matching p99.
CDX_PROBE_DATABASE_MS = env.float("CDX_PROBE_DATABASE_MS", default=250.0)
CDX_PROBE_REDIS_MS = env.float("CDX_PROBE_REDIS_MS", default=100.0)
CDX_PROBE_CHANNEL_LAYER_MS = env.float("CDX_PROBE_CHANNEL_LAYER_MS", default=250.0)
CDX_PROBE_MATCHING_P99_MS = env.float("CDX_PROBE_MATCHING_P99_MS", default=50.0)
# Seconds of matching latency samples the p99 is taken over (at most 1000 samples).
CDX_PROBE_MATCHING_WINDOW_S = env.float("CDX_PROBE_MATCHING_WINDOW_S", default=60.0)
# Seconds between the status page's re-reads of GET /v1/system/status when it has no live socket.
CDX_STATUS_PAGE_POLL_S = env.float("CDX_STATUS_PAGE_POLL_S", default=5.0)

# Seconds a server given SIGTERM spends draining (cantondex/drain.py): its clients told to reconnect elsewhere
# and gone, its relay pass and its jobs' runs in progress finished. Then it exits regardless.
CDX_DRAIN_TIMEOUT_S = env.float("CDX_DRAIN_TIMEOUT_S", default=10.0)

# Background jobs (kernel/jobs.py).
# Run the jobs in each server process (the holder of the jobs lease runs them); off: `manage.py run_jobs` does.
CDX_IN_PROCESS_JOBS = env.bool("CDX_IN_PROCESS_JOBS", default=True)
# Seconds between runs of each job (a commit wakes settlement and withdrawals sooner).
CDX_SETTLEMENT_INTERVAL_S = env.float("CDX_SETTLEMENT_INTERVAL_S", default=1.0)
CDX_WITHDRAWAL_INTERVAL_S = env.float("CDX_WITHDRAWAL_INTERVAL_S", default=2.0)
CDX_MARGIN_REVIEW_INTERVAL_S = env.float("CDX_MARGIN_REVIEW_INTERVAL_S", default=10.0)
CDX_CANCEL_ALL_AFTER_INTERVAL_S = env.float("CDX_CANCEL_ALL_AFTER_INTERVAL_S", default=1.0)
CDX_MAINTENANCE_WINDOWS_INTERVAL_S = env.float("CDX_MAINTENANCE_WINDOWS_INTERVAL_S", default=1.0)
CDX_PROBE_INTERVAL_S = env.float("CDX_PROBE_INTERVAL_S", default=5.0)
CDX_EVENT_LOG_PRUNE_INTERVAL_S = env.float("CDX_EVENT_LOG_PRUNE_INTERVAL_S", default=60.0)
CDX_AUCTION_STEP_INTERVAL_S = env.float("CDX_AUCTION_STEP_INTERVAL_S", default=0.5)
# Auctions: while bids arrive, at most one auction_update per auction per this many seconds (phase changes always).
CDX_AUCTION_UPDATE_INTERVAL_S = env.float("CDX_AUCTION_UPDATE_INTERVAL_S", default=1.0)
# --- order path (issue 12): surveillance runs in the background job, off the request path ---
CDX_SURVEILLANCE_INTERVAL_S = env.float("CDX_SURVEILLANCE_INTERVAL_S", default=0.5)
# --- end order path ---

# Level of the root logger (DEBUG, INFO, WARNING, ERROR).
CDX_LOG_LEVEL = env.str("CDX_LOG_LEVEL", default="INFO")
# Log lines (docs/operations.md, Logs): `json`, one JSON object a line for a log collector (the default in
# production), or `console`, aligned and coloured for a person (the default with DJANGO_DEBUG on, `make run`).
# Either way a line written while serving a request carries its `request_id`, and one written for a
# WebSocket its `connection_id`.
CDX_LOG_FORMAT = env.str("CDX_LOG_FORMAT", default="console" if DEBUG else "json")
if CDX_LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"CDX_LOG_FORMAT must be json or console, not {CDX_LOG_FORMAT!r}")

# Lines of the standard library's loggers (Django, daphne, ours) and of structlog's get the same fields:
# the ids bound for the request or connection (contextvars), logger, level, UTC timestamp, `extra`.
_LOG_FIELDS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
# Tracebacks without their frames' local variables, in either format: a local can hold a password (a connection
# string). Drawing them with rich also took ~100 ms a traceback with the GIL held, enough to stall the event loop
# of a server logging a failing database's errors.
_LOG_RENDER = (
    [
        structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=False)),
        structlog.processors.JSONRenderer(),
    ]
    if CDX_LOG_FORMAT == "json"
    # No escape codes in a file.
    else [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)]
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": _LOG_FIELDS,
            "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_LOG_RENDER],
        }
    },
    "filters": {"static_files_quiet": {"()": "kernel.logs.StaticFilesQuiet"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["static_files_quiet"]}
    },
    "root": {"handlers": ["console"], "level": CDX_LOG_LEVEL},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
        # Each response is logged once, by django-structlog's request_finished (4xx a warning, 5xx an
        # error with its traceback); Django's own "Not Found: ..." lines would repeat it.
        "django.request": {"level": "CRITICAL"},
    },
}
structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_LOG_FIELDS,  # the same fields, from one list (ExtraAdder finds no LogRecord here and adds nothing)
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
# django-structlog (kernel/logs.py): one line per request, when it is answered; the request id checked first.
INSTALLED_APPS.append("django_structlog")
MIDDLEWARE[:0] = ["kernel.logs.request_id_middleware", "django_structlog.middlewares.RequestMiddleware"]
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # it would believe any X-Forwarded-For; kernel.logs binds client_ip

# --- Credentials (accounts): API keys, two-factor login for officers, revocable refresh tokens ---
INSTALLED_APPS += [
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # `manage.py addstatictoken`: the first administrator's way in
]
# After AuthenticationMiddleware: marks the user verified or not, then drops the unverified session of a
# user who must use two factors (officers, administrators), so no page or session-authenticated call sees it.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1, "accounts.two_factor.TwoFactorRequiredMiddleware"
)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].append("accounts.authentication.ApiKeyAuthentication")
REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"].append("accounts.permissions.HasApiKeyScope")
SIMPLE_JWT.update(ROTATE_REFRESH_TOKENS=True, BLACKLIST_AFTER_ROTATION=True)
OTP_TOTP_ISSUER = "CantonDEX"
# --- end credentials ---

# --- Hardening: REST input, request rates, login lockout, deployment (one block) ---

# Client strings on REST (kernel/inputs.py): a path, query parameter or JSON body string longer than this
# (characters), or holding NUL or a lone surrogate, is 400 INVALID_REQUEST; so is JSON nested deeper.
CDX_REST_MAX_STRING_CHARS = env.int("CDX_REST_MAX_STRING_CHARS", default=4096)
CDX_JSON_MAX_DEPTH = env.int("CDX_JSON_MAX_DEPTH", default=32)
# Right after SecurityMiddleware: nothing else reads the URL before it is checked.
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
MIDDLEWARE.insert(_security + 1, "kernel.inputs.client_input_middleware")
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["kernel.inputs.CheckedJSONParser"]

# REST request rates (kernel/throttles.py), "N/s", "N/min" or "N/hour"; over one: 429 RATE_LIMITED, Retry-After.
# Per IP without a login; per user for GET; per user for order entry and every other change.
CDX_RATE_ANON = env.str("CDX_RATE_ANON", default="300/min")
CDX_RATE_READ = env.str("CDX_RATE_READ", default="1200/min")
CDX_RATE_WRITE = env.str("CDX_RATE_WRITE", default="600/min")
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "kernel.throttles.AnonymousRateThrottle",
    "kernel.throttles.ReadRateThrottle",
    "kernel.throttles.WriteRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": CDX_RATE_ANON, "read": CDX_RATE_READ, "write": CDX_RATE_WRITE}
# Proxies in front of the servers that append to X-Forwarded-For: the client IP is the one they saw.
# 0: the connecting address (a client's own X-Forwarded-For is never trusted).
CDX_TRUSTED_PROXIES = env.int("CDX_TRUSTED_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = CDX_TRUSTED_PROXIES
# Rate counters: shared by every server process through Redis when it is set, else per process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cdx",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Login lockout (django-axes, accounts/lockout.py): this many failed logins for one username, or from one IP,
# lock it out of /v1/auth/token (429 TOO_MANY_ATTEMPTS) and the admin login for CDX_LOGIN_LOCKOUT_S seconds,
# counted again from each further attempt; staff unlock sooner (docs/rest.md, "Hostile input, rates and lockout").
CDX_LOGIN_FAILURE_LIMIT = env.int("CDX_LOGIN_FAILURE_LIMIT", default=10)
CDX_LOGIN_LOCKOUT_S = env.int("CDX_LOGIN_LOCKOUT_S", default=900)
INSTALLED_APPS.append("axes")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = ["accounts.lockout.LoginLockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = CDX_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=CDX_LOGIN_LOCKOUT_S)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "kernel.throttles.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"

# Production (DJANGO_DEBUG off) passes `manage.py check --deploy`: HTTPS only, with HSTS. Behind a proxy that
# terminates TLS, name the header it sets (DJANGO_SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto), or the
# redirect to https never ends; or turn the redirect off where the proxy does it.
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    _proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="").strip()
    if _proxy_ssl_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

# Many serializers have a `status` (or `tier`) of different choices: each choice set is named once here, so
# the schema (built by the deploy checks too, tests/kernel/test_schema.py) has no enum name collision to warn
# about, whichever serializer uses it, new ones included.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "ServiceStateEnum": "operations.serializers.SERVICE_STATES",
    "HealthStatusEnum": "operations.models.HealthStatus.values",
    "NoticeStateEnum": "operations.models.NoticeState.values",
    "KycStatusEnum": "accounts.models.KycStatus.values",
    "KycTierEnum": "accounts.models.KycTier.values",
    "OrderStatusEnum": "trading.models.OrderStatus.values",
    "TradeStatusEnum": "trading.models.TradeStatus.values",
    "SettlementStatusEnum": "trading.models.SettlementStatus.values",
    "WithdrawalStatusEnum": "trading.models.WithdrawalStatus.values",
    "AuctionStatusEnum": "auctions.models.AuctionStatus.values",
    "BidStatusEnum": "auctions.models.BidStatus.values",
}

# --- Monitoring (operations/monitoring.py): /healthz, /readyz and /metrics, answered before any other middleware ---
# Callers of /metrics, as CIDRs (comma-separated); behind a proxy, deny /metrics there (see docs/deployment.md).
CDX_METRICS_ALLOWED_IPS = [c.strip() for c in env.list("CDX_METRICS_ALLOWED_IPS", default=["127.0.0.0/8", "::1/128"]) if c.strip()]
# A bearer token that admits a caller of /metrics from any address (empty: none).
CDX_METRICS_TOKEN = env.str("CDX_METRICS_TOKEN", default="")
for _cidr in CDX_METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"CDX_METRICS_ALLOWED_IPS: {_cidr!r} is not an address or a network") from None
# HTTP request metrics by view (django-prometheus' two middlewares, around all the others); not its database
# wrappers (docs/operations.md says why).
INSTALLED_APPS.append("django_prometheus")
MIDDLEWARE = ["operations.monitoring.MonitoringEndpoints", "django_prometheus.middleware.PrometheusBeforeMiddleware", *MIDDLEWARE]
MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
# --- end monitoring ---

# --- Compliance cases: evidence files and the history of configuration changes ---
INSTALLED_APPS += ["simple_history"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "simple_history.middleware.HistoryRequestMiddleware",
)
CDX_MEDIA_ROOT = env.str("CDX_MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_ROOT = CDX_MEDIA_ROOT
CDX_CASE_ATTACHMENT_MAX_BYTES = env.int("CDX_CASE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# --- end compliance cases ---
