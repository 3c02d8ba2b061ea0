"""CantonDEX gateway settings, read from the environment (see README, "Configuration")."""

import os
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-cantondex-dev-only-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

_default_hosts = "localhost,127.0.0.1,[::1],testserver" if DEBUG else ""
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", _default_hosts).split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
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
    "channels",
    "accounts",
    "streams",
    "auctions",  # before trading: its seed_demo and simulate_market extend trading's
    "trading",
    "compliance",
    "operations",
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Kept open between requests and ORM calls: the gateway's one ORM thread would otherwise open and
        # close a connection for every auth, subscribe and relay pass. Checked before reuse after an error.
        conn_max_age=env_int("CDX_DB_CONN_MAX_AGE", 300),
        conn_health_checks=True,
    )
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

# Channel layer: in-process unless REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
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

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["kernel.json.ExactJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["kernel.json.ExactJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": False,
    "EXCEPTION_HANDLER": "kernel.errors.exception_handler",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("CDX_JWT_ACCESS_LIFETIME_S", 15 * 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env_int("CDX_JWT_REFRESH_LIFETIME_S", 24 * 3600)),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CantonDEX gateway API",
    "DESCRIPTION": "REST API of the CantonDEX gateway. The WebSocket protocol is described in the README.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# WebSocket protocol limits (CONTRACT.md): every one is a setting.
CDX_WS_AUTH_TIMEOUT_S = env_float("CDX_WS_AUTH_TIMEOUT_S", 5)
CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT = env_int("CDX_WS_MAX_CONNECTIONS_PER_ACCOUNT", 10)
CDX_WS_RATE_LIMIT_PER_S = env_int("CDX_WS_RATE_LIMIT_PER_S", 100)
CDX_WS_MAX_MESSAGE_BYTES = env_int("CDX_WS_MAX_MESSAGE_BYTES", 64 * 1024)
CDX_WS_MAX_SUBSCRIPTIONS = env_int("CDX_WS_MAX_SUBSCRIPTIONS", 50)
CDX_WS_PING_INTERVAL_S = env_float("CDX_WS_PING_INTERVAL_S", 30)
CDX_WS_IDLE_TIMEOUT_S = env_float("CDX_WS_IDLE_TIMEOUT_S", 300)
# Slow consumers (streams/flow.py): characters written to a socket and not yet covered by an answered
# ping; beyond them messages wait (shared, not copied), and a socket is closed with 4030 when more than
# CDX_WS_SEND_QUEUE_BYTES wait or its client answers no ping for CDX_WS_SLOW_CONSUMER_S while they do.
CDX_WS_SEND_WINDOW_BYTES = env_int("CDX_WS_SEND_WINDOW_BYTES", 256 * 1024)
CDX_WS_SEND_QUEUE_BYTES = env_int("CDX_WS_SEND_QUEUE_BYTES", 64 * 1024 * 1024)
CDX_WS_SLOW_CONSUMER_S = env_float("CDX_WS_SLOW_CONSUMER_S", 10)
# Resume (`since` on subscribe): how many missed events, and how old, can be replayed from the event log.
CDX_WS_REPLAY_MAX_EVENTS = env_int("CDX_WS_REPLAY_MAX_EVENTS", 1000)
CDX_EVENT_LOG_RETENTION_S = env_int("CDX_EVENT_LOG_RETENTION_S", 24 * 3600)
# Market data is latest-state (a snapshot on every subscribe): its log entries go after a few minutes.
CDX_EPHEMERAL_RETENTION_S = env_int("CDX_EPHEMERAL_RETENTION_S", 300)
# How often the event relay looks for events committed by other processes.
CDX_RELAY_POLL_S = env_float("CDX_RELAY_POLL_S", 0.05)

CDX_LARGE_TRANSACTION_THRESHOLD = Decimal(os.environ.get("CDX_LARGE_TRANSACTION_THRESHOLD", "1000000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CDX_LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
