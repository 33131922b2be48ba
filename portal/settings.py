"""The one settings module: every deployment difference comes from environment variables.

`.env.example` lists each variable with a comment. The embedded default (no variable set) runs on an
SQLite file and Celery's filesystem broker under `var/`, so trying the portal needs no server.
"""

import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A development key is only acceptable while DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for a local development key).")
    SECRET_KEY = "insecure-development-key-only-used-with-debug"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# The portal's address as people reach it: e-mails link to pages with it (no request to ask).
# Production sets it (an https address whose host is in ALLOWED_HOSTS: `check --deploy` says so).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")) or "/" in SITE_URL.split("://", 1)[1]:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"SITE_URL must be scheme://host[:port], not {SITE_URL!r}.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "oauth2_provider",
    "units",
    "journeys",
    "accounts",
    "organisations",
    "citizens",
    "casework",
    "coordination",
    "demo",
    "api",
    "webhooks",
    "payments",
    "archiving",
    "records",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view or CSRF check reads the body (and after the user and language are known,
    # so the refusal is a page in the reader's language).
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After the CSP middleware: lets the sign-in and sign-out forms lead to the OpenID providers.
    "accounts.middleware.ProviderFormActionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "units.middleware.IdleTimeoutMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Passwords are judged only when the sign-in throttle lets the attempt through.
    "accounts.backends.ThrottledModelBackend",
    # Sessions begun by an OpenID provider (e-ID, staff single sign-on): it checks no password.
    "accounts.backends.OpenIDBackend",
]

# Signing in over OpenID Connect (accounts/openid.py; docs/security.md, "Identity"). Citizens
# sign in with e-ID through a provider or broker following the Swedish OIDC profile; staff with
# their organisation's single sign-on. Each is on once its issuer, client id and secret are set
# (the provider's metadata is read from <issuer>/.well-known/openid-configuration). With neither,
# the embedded default keeps local accounts (the demo's) and the sign-in page says so.
OIDC_EID_ISSUER = os.environ.get("OIDC_EID_ISSUER", "")
OIDC_EID_CLIENT_ID = os.environ.get("OIDC_EID_CLIENT_ID", "")
OIDC_EID_CLIENT_SECRET = os.environ.get("OIDC_EID_CLIENT_SECRET", "")
OIDC_EID_SCOPES = os.environ.get(
    "OIDC_EID_SCOPES", "openid https://id.oidc.se/scope/naturalPersonNumber"
).split()
# The levels of assurance (`acr`) accepted, the first asked for: substantial or high by default.
OIDC_EID_ACR_VALUES = os.environ.get(
    "OIDC_EID_ACR_VALUES",
    "http://id.elegnamnden.se/loa/1.0/loa3 http://id.elegnamnden.se/loa/1.0/loa4",
).split()
OIDC_STAFF_ISSUER = os.environ.get("OIDC_STAFF_ISSUER", "")
OIDC_STAFF_CLIENT_ID = os.environ.get("OIDC_STAFF_CLIENT_ID", "")
OIDC_STAFF_CLIENT_SECRET = os.environ.get("OIDC_STAFF_CLIENT_SECRET", "")
OIDC_STAFF_SCOPES = os.environ.get("OIDC_STAFF_SCOPES", "openid profile email groups").split()
# The claim listing a member of staff's groups or roles, and what each grants in the portal:
# {"group": {"unit": "<unit slug>", "role": "caseworker" | "lead"} or "coordinator", or a list
# of these}. Memberships and the coordinator permission follow the claim at every sign-in.
OIDC_STAFF_GROUPS_CLAIM = os.environ.get("OIDC_STAFF_GROUPS_CLAIM", "groups")
OIDC_STAFF_GROUPS = json.loads(os.environ.get("OIDC_STAFF_GROUPS", "{}"))
# Off: caseworkers, unit leads and coordinators cannot sign in with a password (only through
# single sign-on); a superuser keeps it, as the break-glass account.
STAFF_PASSWORD_SIGNIN = env_bool("STAFF_PASSWORD_SIGNIN", True)

# Who may sign for an organisation (organisations/register.py): a class with the
# SignatoryRegister interface, or empty (rights are then recorded by invitations and caseworkers).
# The stand-in answers from a fixed list of made-up companies: for development only.
SIGNATORY_REGISTER = os.environ.get(
    "SIGNATORY_REGISTER", "organisations.register.StandInRegister" if DEBUG else ""
)
if SIGNATORY_REGISTER == "organisations.register.StandInRegister" and not DEBUG:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SIGNATORY_REGISTER names the stand-in register, which is for tests and development only."
    )

# Sign-in throttling (accounts.throttling): after SIGNIN_FREE_FAILURES failures for a username
# from one address, or SIGNIN_USERNAME_CEILING from any addresses in a day, each attempt waits
# (30 s, doubling, at most 15 minutes). Nothing locks an account.
SIGNIN_FREE_FAILURES = int(os.environ.get("SIGNIN_FREE_FAILURES", "5"))
SIGNIN_USERNAME_CEILING = int(os.environ.get("SIGNIN_USERNAME_CEILING", "20"))
# Sign-up: the e-mailed link is valid this long; at most this many sign-ups an hour from one
# address, and e-mails a day to one e-mail address.
SIGNUP_LINK_HOURS = int(os.environ.get("SIGNUP_LINK_HOURS", "24"))
SIGNUP_LIMIT_PER_ADDRESS = int(os.environ.get("SIGNUP_LIMIT_PER_ADDRESS", "10"))
SIGNUP_LIMIT_PER_EMAIL = int(os.environ.get("SIGNUP_LIMIT_PER_EMAIL", "3"))

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

_template_loaders = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "units.context_processors.roles",
                "portal.context_processors.contact",
            ],
            # Every template translates, and writes dates and status tags one way.
            "builtins": [
                "django.templatetags.i18n",
                "journeys.templatetags.times",
                "journeys.templatetags.statuses",
                "journeys.templatetags.pages",
                "journeys.templatetags.disposed",
            ],
            # Partials wrap the loaders so "page.html#partial" can be rendered; cached unless DEBUG.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    _template_loaders
                    if DEBUG
                    else [("django.template.loaders.cached.Loader", _template_loaders)],
                )
            ],
        },
    }
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# The cache holds each person's roles (units.roles), sessions and computed figures (the
# coordinator's insight). Point CACHE_URL at Redis (redis://host:6379/1) whenever web runs as
# several processes, so they share it: a role taken away then applies at the next request
# everywhere (with the embedded per-process default, within ROLES_CACHE_SECONDS).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
    # Sessions are read from the shared cache, written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The insight page's figures are recomputed at most this often (and by the beat task below).
INSIGHT_REFRESH_SECONDS = int(os.environ.get("INSIGHT_REFRESH_SECONDS", "600"))

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has web, worker and beat writing to one file: take the write lock
    # at BEGIN and wait for it, instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# GOV.UK Frontend comes from npm and the stylesheet is compiled from static/scss by `make assets`.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    BASE_DIR / "build" / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise serves static files from gunicorn too, compressed and with far-future caching.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Uploaded documents: outside every served folder, sent only by access-checked views.
DOCUMENTS_ROOT = Path(os.environ.get("DOCUMENTS_ROOT", VAR_DIR / "documents"))
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The largest request body the portal reads at all: one document and the form around it. A
# larger one is refused from its Content-Length before any of it is received.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(DOCUMENT_MAX_BYTES + 1024 * 1024)))

# The journey coordinator: the applicant's single contact, shown on every journey page.
PORTAL_CONTACT = {
    "email": os.environ.get("PORTAL_CONTACT_EMAIL", "coordinator@example.org"),
    "phone": os.environ.get("PORTAL_CONTACT_PHONE", "+46 8 000 000 00"),
    "hours": os.environ.get("PORTAL_CONTACT_HOURS", "Mon–Fri 8–16"),
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
# Caseworkers, coordinators and administrators are signed out after this long without a request;
# citizens after the longer CITIZEN_IDLE_TIMEOUT_MINUTES (their drafts are kept).
STAFF_IDLE_TIMEOUT_MINUTES = int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30"))
CITIZEN_IDLE_TIMEOUT_MINUTES = int(os.environ.get("CITIZEN_IDLE_TIMEOUT_MINUTES", "60"))

# HTTPS in production: redirect, HSTS, and headers that keep pages out of frames and sniffing.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Only a reverse proxy that terminates TLS, sets X-Forwarded-Proto and X-Forwarded-For and drops
# any the client sent may be believed; without one, a client could make its request "secure" (or
# choose the address sign-in throttling counts it under) by saying so.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: no inline script or style anywhere; htmx is told (by the meta tag in
# base.html) not to inject its indicator styles or evaluate code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# E-mail: the console backend unless a server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")

# Celery. The filesystem transport needs no server; in production point CELERY_BROKER_URL at
# Redis (redis://) or RabbitMQ (amqp://user:password@host:5672/vhost): docs/reliability.md,
# "Which broker". The host in the filesystem URL means nothing to that transport; without one,
# kombu warns "No hostname was supplied" on every connection.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
BROKER_IS_RABBITMQ = CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))
# At-least-once delivery; every task is idempotent, so a repeat is harmless and a loss is not.
# A task runs at most CELERY_TASK_TIME_LIMIT seconds; Redis hands an unacknowledged message to
# another worker only after the visibility timeout, which must be longer. (RabbitMQ has none:
# it hands the messages of a consumer whose connection closed to another at once.)
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "120"))
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 10
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT.")
# The workers' and beat's own connections: a broker that stops answering on an open connection
# (frozen, or gone without closing it) is given up after 30 s and reconnected; the consumer's
# BRPOP replies within a second, so this never cuts a healthy wait short. Publishing after
# commit uses far shorter timeouts of its own (OUTBOX_PUBLISH_TIMEOUT_SECONDS below).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_timeout": 30,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
}
if BROKER_IS_RABBITMQ:
    # The same in py-amqp's words, and publisher confirms: every publish waits for RabbitMQ's
    # ack (given once a quorum queue has the message on disk) and raises on a nack, so a task
    # counts as published only when the broker has it. Heartbeats every 15 s find a silent
    # broker (or a silent worker, for RabbitMQ) within about 30 s.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "confirm_publish": True,
        "read_timeout": 30,
        "write_timeout": 30,
    }
    CELERY_BROKER_HEARTBEAT = 15
# Every queue is declared a quorum queue with a dead-letter exchange (portal/celery.py), on
# every broker alike: RabbitMQ acts on it, Redis and the filesystem transport ignore it. With
# quorum queues, workers use a prefetch per consumer (they refuse the global one).
CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum"
CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = "quorum"
CELERY_WORKER_DETECT_QUORUM_QUEUES = True
# A message RabbitMQ has handed out this many times more without an acknowledgement (its worker
# died, or rejected it, each time) goes to the dead-letter queue instead of round again. A
# queue's arguments cannot change once it exists: changing this means deleting the queues.
RABBITMQ_DELIVERY_LIMIT = 10
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in (_broker_dir, VAR_DIR / "broker-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "broker-control"),
    }
# A worker (and beat) outlives any broker outage: it keeps reconnecting, with backoff, for ever
# (Celery's default gives up after 100 tries and exits), also when the broker is down as it
# starts. Workers run without gossip and mingle (Procfile.dev, docker-compose.yml): their
# broadcast channels are what failed to restart after an outage, and work here needs neither.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = "portal"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Retries: exponential backoff with jitter, capped; then a dead-letter row (journeys.FailedTask).
CELERY_TASK_MAX_RETRIES = int(os.environ.get("CELERY_TASK_MAX_RETRIES", "8"))
CELERY_TASK_ALWAYS_EAGER = False
# Workers keep their database connection from task to task (DATABASE_CONN_MAX_AGE applies, as for
# web requests; see portal/celery.py). Celery's Django fixup reads this name as it stands
# (app.conf.get("CELERY_DB_REUSE_MAX")); unset, it closes every connection after every task.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Journey rules (see DESIGN.md "Clocks and deadlines"). The grace period and sweep interval apply
# to both outboxes: handoffs and outgoing e-mails.
HANDOFF_GRACE_SECONDS = int(os.environ.get("HANDOFF_GRACE_SECONDS", "60"))
HANDOFF_SWEEP_INTERVAL_SECONDS = int(os.environ.get("HANDOFF_SWEEP_INTERVAL_SECONDS", "30"))
STALLED_AFTER_DAYS = int(os.environ.get("STALLED_AFTER_DAYS", "5"))
# How often an applicant's open tracking page refreshes its progress (htmx polling).
TRACKING_REFRESH_SECONDS = int(os.environ.get("TRACKING_REFRESH_SECONDS", "30"))
# Fees (payments app): an invoice is due this many days after it is issued; a BgMax payment
# file larger than this is refused before it is read.
INVOICE_DUE_DAYS = int(os.environ.get("INVOICE_DUE_DAYS", "30"))
PAYMENT_FILE_MAX_BYTES = int(os.environ.get("PAYMENT_FILE_MAX_BYTES", str(2 * 1024 * 1024)))

# The outboxes (journeys/services/outbox.py). Publishing after commit gives up on the broker
# after this many seconds at each step (connect, each command) and never raises; after a failure
# a process leaves publishing to the relay for OUTBOX_PUBLISH_PAUSE_SECONDS. The relay
# (`manage.py outbox_relay`, a process of its own) publishes every OUTBOX_RELAY_INTERVAL_SECONDS
# what was never published, and runs both sweeps every HANDOFF_SWEEP_INTERVAL_SECONDS.
OUTBOX_PUBLISH_TIMEOUT_SECONDS = float(os.environ.get("OUTBOX_PUBLISH_TIMEOUT_SECONDS", "0.25"))
OUTBOX_PUBLISH_PAUSE_SECONDS = float(os.environ.get("OUTBOX_PUBLISH_PAUSE_SECONDS", "5"))
OUTBOX_RELAY_INTERVAL_SECONDS = float(os.environ.get("OUTBOX_RELAY_INTERVAL_SECONDS", "1"))

# The access log (records/, docs/records.md): every staff read of a case page, answer set or
# document and every API read is kept this many days (three years by default), then the daily
# sweep disposes of it.
ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", "1096"))
# The applicant's own data (citizens/data_export.py): how many times an hour one account may
# download it; each download is built afresh (every document copied) and recorded in the
# access log.
OWN_DATA_DOWNLOADS_PER_HOUR = int(os.environ.get("OWN_DATA_DOWNLOADS_PER_HOUR", "5"))

# Every periodic task, in one place. Each has a management command of the same name. The outbox
# sweeps (handoffs_sweep, outgoing_emails_sweep) are not here: the relay runs them on
# HANDOFF_SWEEP_INTERVAL_SECONDS, so they do not depend on beat or on a worker being alive.
CELERY_BEAT_SCHEDULE = {
    "stuck-sweep": {"task": "journeys.tasks.stuck_sweep", "schedule": 15 * 60.0},
    "delay-notices-sweep": {
        "task": "journeys.tasks.delay_notices_sweep",
        "schedule": crontab(hour=6, minute=30),
    },
    "units-overdue-digest": {
        "task": "journeys.tasks.units_overdue_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "insight-refresh": {
        "task": "coordination.tasks.insight_refresh",
        "schedule": float(INSIGHT_REFRESH_SECONDS),
    },
    "idempotency-keys-sweep": {"task": "api.tasks.idempotency_keys_sweep", "schedule": 3600.0},
    "access-log-dispose": {
        "task": "records.tasks.access_log_dispose",
        "schedule": crontab(hour=3, minute=15),
    },
    # What the journey types' retention rules say is due (records/disposal.py, docs/records.md).
    "disposal-sweep": {
        "task": "records.tasks.disposal_sweep",
        "schedule": crontab(hour=3, minute=45),
    },
}

# The API (api/, docs/api.md): OAuth 2 client credentials only, problem details for every
# error, cursor pagination, per-client rate limits. Tokens live API_TOKEN_SECONDS.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ClientAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsApiClient"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONObjectParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service journey portal API",
    "DESCRIPTION": "For units' own case systems and coordination tools: see docs/api.md.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "JourneyStatusEnum": "journeys.states.JourneyStatus",
        "StepStatusEnum": "journeys.states.StepStatus",
        "SubscriptionStatusEnum": "webhooks.models.SubscriptionStatus",
        "DeliveryStatusEnum": "webhooks.models.DELIVERY_STATES",
        "EventTypeEnum": "api.events.PUBLISHED_TYPES",
    },
}
API_TOKEN_SECONDS = int(os.environ.get("API_TOKEN_SECONDS", "600"))
# Requests each client may make per second, minute, hour or day ("600/minute"); beyond it the
# API answers 429 with Retry-After.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": API_TOKEN_SECONDS,
    "OAUTH2_VALIDATOR_CLASS": "api.authentication.ClientCredentialsValidator",
    "SCOPES": {"read": "Read", "write": "Write"},
    "DEFAULT_SCOPES": ["read", "write"],
    # Only the client-credentials grant is used, so every OAuth 2.0 Security BCP (RFC 9700)
    # recommendation applies as it stands: tokens stored hashed, never read from a URL, no
    # implicit or password grant, PKCE S256 only, https redirect URIs (`check --deploy`).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

# Webhooks (webhooks/, docs/api.md): each delivery waits WEBHOOK_TIMEOUT_SECONDS to connect and
# again for the answer. After a failed attempt a subscription's deliveries wait by this schedule
# (seconds; its last step repeats) and, once it has failed for WEBHOOK_GIVE_UP_SECONDS, it is
# paused and its unit's leads are told. A subscription is posted to by at most
# WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION workers at once (one while failing), so a slow one cannot
# take them all. Subscribers' addresses must be public unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES
# (the SSRF guard; off in production).
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_RETRY_SCHEDULE = [
    float(step)
    for step in env_list("WEBHOOK_RETRY_SCHEDULE", "10,30,60,300,900,1800,3600,7200,14400,28800")
]
WEBHOOK_GIVE_UP_SECONDS = float(os.environ.get("WEBHOOK_GIVE_UP_SECONDS", str(24 * 3600)))
WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION = int(
    os.environ.get("WEBHOOK_CONCURRENCY_PER_SUBSCRIPTION", "2")
)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", DEBUG)

# Prometheus metrics at /metrics (portal/metrics.py): closed unless METRICS_TOKEN is set; the
# scraper then sends it as a bearer token.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every step of printing a letter at INFO; its warnings still show.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}
