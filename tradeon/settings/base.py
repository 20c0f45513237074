"""Settings shared by every environment. Environment-specific modules import from here."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from tradeon.env import env_bool, env_choice, env_int, env_json, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-dev-key-do-not-use-in-production-0123456789abcdef")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "channels",
    "tradeon.accounts",
    "catalog",
    "buyers",
    "matching",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tradeon.urls"
ASGI_APPLICATION = "tradeon.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores ---------------------------------------------------------------------------
# DATABASE_URL switches from the embedded SQLite file to PostgreSQL.
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
    # Server-side prepared statements (PostgreSQL, psycopg 3): a statement run DB_PREPARE_THRESHOLD
    # times on a connection is prepared, and PostgreSQL keeps its parse tree and, for a statement
    # without parameters (a page of the product list: ~0.5 ms of planning), its plan. Needs
    # server-side parameter binding. plan_cache_mode=force_custom_plan keeps planning every
    # statement that has parameters with their values, as without preparing: a generic plan for a
    # search (`?q=크림`: LIKE and array parameters) took 380 ms instead of 20. Off behind a pooler in transaction mode (PgBouncer < 1.21),
    # where a prepared statement does not outlive the transaction.
    if env_bool("DB_PREPARED_STATEMENTS", True) and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _db_options = DATABASES["default"].setdefault("OPTIONS", {})
        _db_options["server_side_binding"] = True
        _db_options["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5, minimum=0)
        _db_options["options"] = f"{_db_options.get('options', '')} -c plan_cache_mode=force_custom_plan".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL switches the channel layer and Celery from in-process to Redis.
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))
if REDIS_URL:
    # CHANNEL_LAYER picks channels_redis' layer: "core" (lists per channel, the default) or
    # "pubsub" (Redis PUBLISH; no per-channel capacity). bench/realtime.py compares them.
    CHANNEL_LAYER = env_choice("CHANNEL_LAYER", ("core", "pubsub"), "core")
    # redis-py 8 times every read out after 5 s, and the core layer blocks up to 5 s waiting for a
    # worker's next message: an idle worker's read timed out and closed its websockets
    # (channels_redis#422; found by bench/realtime.py). Reads get longer than that wait.
    _redis_host = {
        "address": REDIS_URL,
        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000, minimum=10),
        "socket_timeout": 30,
    }
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [_redis_host]},
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                # redis-py 8 caps its async pool at 100 connections by default; hundreds of
                # websockets then fail with 500s, so the pool is sized explicitly. A channel
                # holds at most `capacity` undelivered messages; past it group sends are dropped
                # silently, so it is sized for a burst of board updates to a slow client.
                "CONFIG": {"hosts": [_redis_host], "capacity": env_int("CHANNEL_CAPACITY", 1000, minimum=100)},
            }
        }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # Shared by every process: debounce keys, cached counts.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
# Nightly: learn weights from the day's outcomes, then recompute every pairing (Seoul time).
CELERY_BEAT_SCHEDULE = {
    "matching-train": {"task": "matching.tasks.train_scoring_model", "schedule": crontab(hour=2, minute=30)},
    "matching-recompute": {"task": "matching.tasks.recompute_pairings", "schedule": crontab(hour=3, minute=0)},
    # Pending meeting requests past their expiry become expired (answers check the time too).
    "fairs-expire-requests": {
        "task": "matching.fairs.tasks.expire_meeting_requests",
        "schedule": crontab(minute="*/15"),
    },
    # Meeting reminders 24 hours and 15 minutes before; each once (a SentEmail key), so a run that
    # overlaps the next or comes late is harmless. A queued run older than a minute is dropped.
    "fairs-meeting-reminders": {
        "task": "matching.fairs.tasks.send_meeting_reminders",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # The fair day: meeting states that change with the clock (waiting -> no-show candidate ->
    # no-show), stale lobby presence, and "your meeting starts in 5 minutes". Idempotent.
    "fairs-live-tick": {
        "task": "matching.fairs.tasks.live_tick",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # After each meeting: ask both sides for the outcome; 1, 3 and 6 months on, prompt the SME
    # while the deal is open. Each email once (a SentEmail key).
    "pipeline-outcome-requests": {
        "task": "matching.pipeline.tasks.request_outcomes",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 540},
    },
    "pipeline-follow-ups": {
        "task": "matching.pipeline.tasks.send_follow_ups",
        "schedule": crontab(hour=9, minute=0),
    },
}
CELERY_ACCEPT_CONTENT = ["json"]
# Task modules outside an app's top-level tasks.py (autodiscovery finds only those).
CELERY_IMPORTS = ["matching.fairs.tasks", "matching.pipeline.tasks"]
CELERY_TIMEZONE = "Asia/Seoul"

# --- Matching --------------------------------------------------------------------------------
MATCHING_CHUNK_SIZE = env_int("MATCHING_CHUNK_SIZE", 2000, minimum=1)
MATCHING_DEBOUNCE_SECONDS = env_int("MATCHING_DEBOUNCE_SECONDS", 30, minimum=0)
# With a worker pool (REDIS_URL set) an edited profile re-scores itself in the background; the
# embedded default has no workers, so there staff recompute from the matching page instead.
MATCHING_RECOMPUTE_ON_CHANGE = env_bool("MATCHING_RECOMPUTE_ON_CHANGE", bool(REDIS_URL))

# --- The fair day (realtime) ------------------------------------------------------------------
# ICE servers handed to the browsers of a meeting room, as RTCPeerConnection's iceServers, e.g.
# [{"urls": "stun:stun.example.org:3478"}, {"urls": "turn:turn.example.org", "username": "u",
# "credential": "p"}]. None are needed on a LAN; across NATs a TURN server is.
WEBRTC_ICE_SERVERS = env_json("WEBRTC_ICE_SERVERS", [])
if not isinstance(WEBRTC_ICE_SERVERS, list) or not all(isinstance(s, dict) and "urls" in s for s in WEBRTC_ICE_SERVERS):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured('WEBRTC_ICE_SERVERS must be a JSON list of objects with "urls".')

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Product images: what the upload validator accepts.
PRODUCT_IMAGE_MAX_BYTES = env_int("PRODUCT_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "tradeon.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "tradeon.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "tradeon.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "tradeon.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tradeon.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Trade On API",
    "DESCRIPTION": "B2B export matchmaking between Seoul SMEs and overseas buyers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc come from drf-spectacular-sidecar so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "django_countries.countries",
        "PublicationStatusEnum": "catalog.models.PublicationStatus",
        "SourcingRequestStatusEnum": "buyers.models.SourcingRequestStatus",
        "VerificationStateEnum": "buyers.models.VerificationState",
        "CurrencyEnum": "catalog.models.Currency",
        "ParticipantKindEnum": "matching.models.fairs.FairParticipant.Kind",
        "MatchOutcomeKindEnum": "matching.models.pairings.MatchOutcome.Kind",
        "FairPhaseEnum": "matching.models.fairs.FairPhase",
        "RoomSideEnum": "matching.models.live.RoomSide",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Trade On <noreply@tradeon.example>")
# Absolute address of the site, for links in emails and calendar files.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
