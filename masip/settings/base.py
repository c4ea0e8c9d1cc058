"""Settings shared by every environment. Everything variable comes from the environment."""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
import pghistory
from csp.constants import NONCE, SELF
from django.db import models

from masip import jobs
from masip.settings.env import (
    database_from_url,
    database_from_url_if_set,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_url,
)

# Lets `ModelAdmin[Model]` and friends be subscripted at run time, as the stubs type them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "local-only-insecure-key-never-used-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The admin with allauth sign-in and access-logged reads (masip.admin_site).
    "masip.admin_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "pgtrigger",
    # Not pghistory.admin: its event pages show every tracked model's history (clinical
    # notes, code words) of every partnership, beyond any sharing agreement.
    "pghistory",
    "django_celery_beat",
    "django_htmx",
    "csp",
    # The project's own apps, in dependency order.
    "masip",
    "agencies",
    "audit",
    "notifications",
    "cases",
    "triage",
    "risk",
    "advocacy",
    "interventions",
    "followups",
    "costs",
    "documents",
    "consent",
    "reporting",
    "exchange",
    "privacy",
]

MIDDLEWARE = [
    # First: the request id is on every log line the request causes, the timing covers it all.
    "masip.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "masip.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before allauth's: its process_exception (asking to re-authenticate) runs first.
    "masip.errors.ServiceErrorPagesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "masip.middleware.IdleTimeoutMiddleware",
    "masip.middleware.StaffLoginRequiredMiddleware",
    "masip.middleware.RequireMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

FORM_RENDERER = "masip.forms.GovukFormRenderer"
ROOT_URLCONF = "masip.urls"
WSGI_APPLICATION = "masip.wsgi.application"
ASGI_APPLICATION = "masip.asgi.application"

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
                "csp.context_processors.nonce",
                "masip.context_processors.service",
                "masip.context_processors.replica_freshness",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
# The role that owns the tables and runs `manage.py migrate` (masip/database.py). Unset,
# DATABASE_URL's role does both, as on a developer's machine and in the tests.
DATABASE_OWNER = database_from_url_if_set("DATABASE_OWNER_URL", same_database_as=DATABASES["default"])
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode (docs/deployment.md): a server connection is this
# process's only for one transaction, so no server-side cursor (Django's .iterator() holds
# one across fetches) and no prepared statement (psycopg prepares a query it sees often,
# on a connection the next transaction may not get).
if env_bool("DATABASE_POOLED", False):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
# A streaming replica for the reports (masip/replica.py): the dashboard, returns' figures,
# evaluation tables, data-quality reports and bundle exports read from it; everything
# else, and every write, stays on the primary. Unset: no second connection at all.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **database_from_url("DATABASE_REPLICA_URL", DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # A test run has one database: the replica alias reads the primary's test database.
        "TEST": {"MIRROR": "default"},
    }
    for _key in ("DISABLE_SERVER_SIDE_CURSORS", "OPTIONS"):
        if _key in DATABASES["default"]:
            DATABASES["replica"][_key] = DATABASES["default"][_key]
    # A replica that does not answer is given up on quickly: its reports read the primary
    # instead (masip/replica.py), rather than every report page waiting on it.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 3, **DATABASES["replica"].get("OPTIONS", {})}
DATABASE_ROUTERS = ["masip.replica.ReplicaRouter"]
# Above this many seconds behind the primary, report pages say plainly that they lag.
MASIP_REPLICA_LAG_WARNING_SECONDS = env_int("MASIP_REPLICA_LAG_WARNING_SECONDS", 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url("REDIS_URL", env_str("REDIS_URL"))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "masip",
        "TIMEOUT": 300,
    }
}

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Sign-in: allauth, e-mail as the login, no public sign-up (partnership admins invite).
ACCOUNT_ADAPTER = "agencies.adapters.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
# Lockout: five failed sign-ins for one account lock it for 15 minutes; 20 a minute
# from one address stops spraying across accounts. Counted in Redis, so every web
# process shares the count.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("MASIP_LOGIN_FAILED_LIMIT", "20/m/ip,5/15m/key"),
    "login": "60/m/ip",
    "reset_password": "5/m/ip,3/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "MASIP case management"
# When on, a signed-in staff member without an authenticator is sent to set one up
# before any other page (masip.middleware.RequireMFAMiddleware).
MASIP_REQUIRE_MFA = env_bool("MASIP_REQUIRE_MFA", False)
# With DEBUG on (the demo), still answer with the service's own 400/403/404/500 pages
# (masip/errors.py); off gives Django's technical pages back to a developer.
MASIP_SERVICE_ERROR_PAGES = env_bool("MASIP_SERVICE_ERROR_PAGES", True)

# Sessions: 30 minutes idle, never "remember me" on shared office machines.
MASIP_IDLE_TIMEOUT_SECONDS = env_int("MASIP_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_COOKIE_AGE = MASIP_IDLE_TIMEOUT_SECONDS
# The session is saved when it changes, and the idle timer (masip.middleware.IdleTimeoutMiddleware)
# changes it at most once this often: each save also moves the session's expiry on by
# SESSION_COOKIE_AGE. Saving every request cost every page an UPDATE of its session row.
MASIP_ACTIVITY_RECORD_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "masip_session"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": ["'none'"],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"


def documents_storage(root: Path) -> dict[str, object]:
    """Where uploaded documents live: the file system under ``root`` (no public URL: files are
    served only through the documents app's access check), or S3-compatible object storage
    through django-storages when MASIP_DOCUMENTS_S3_BUCKET is set. Private objects either way."""
    bucket = env_str("MASIP_DOCUMENTS_S3_BUCKET", "")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None, "file_permissions_mode": 0o600},
        }
    options: dict[str, object] = {
        "bucket_name": bucket,
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        "location": env_str("MASIP_DOCUMENTS_S3_PREFIX", "documents"),
    }
    endpoint = env_str("MASIP_DOCUMENTS_S3_ENDPOINT_URL", "")
    if endpoint:
        options["endpoint_url"] = endpoint
    region = env_str("MASIP_DOCUMENTS_S3_REGION", "")
    if region:
        options["region_name"] = region
    # Credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables or
    # the instance's role (boto3's own chain), never from settings files.
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "documents": documents_storage(Path(env_str("MASIP_DOCUMENTS_ROOT", str(BASE_DIR / "var" / "documents")))),
}
# Limits on uploads (bytes): one file, and all the documents of one case together.
MASIP_DOCUMENT_MAX_BYTES = env_int("MASIP_DOCUMENT_MAX_BYTES", 25 * 1024 * 1024)
MASIP_CASE_DOCUMENTS_MAX_BYTES = env_int("MASIP_CASE_DOCUMENTS_MAX_BYTES", 500 * 1024 * 1024)
# Several files in one upload: Django's default (100) would refuse a form with more fields.
MASIP_DOCUMENTS_PER_UPLOAD = env_int("MASIP_DOCUMENTS_PER_UPLOAD", 20)

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MASIP case management <no-reply@masip.invalid>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "masip.api.StaffSessionAuthentication",
    ],
    # Every endpoint is for members of staff (401 signed out, 404 otherwise); what
    # each may see beyond that is decided by the apps' read functions.
    "DEFAULT_PERMISSION_CLASSES": [
        "agencies.staff.StaffOnly",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's own JSON parser answers 500 for a deeply nested body (masip.api.JSONParser).
    "DEFAULT_PARSER_CLASSES": [
        "masip.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    # DRF's handler, adding the current ETag to a 412 (masip.api.exception_handler).
    "EXCEPTION_HANDLER": "masip.api.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MASIP case management API",
    "DESCRIPTION": "Multi-agency stalking intervention partnerships: cases, triage, risk, "
    "advocacy, interventions and reporting. Every endpoint applies the same agency and "
    "record-class rules as the pages; outside your scope the answer is 404.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema names every endpoint and field of personal data: staff only, like the API.
    "SERVE_PERMISSIONS": ["agencies.staff.StaffOnly"],
    # The answers every endpoint can give (401, 404, 400 on input, 403 on a write) are
    # added to each operation by masip.api.document_common_answers.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "masip.api.document_common_answers",
    ],
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's schedule, fired by one beat at a time (masip/beat.py).
CELERY_BEAT_SCHEDULER = "masip.beat:GuardedDatabaseScheduler"
# The workers log through LOGGING above (JSON, with the task's id as the request id).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Queues, time limits and how soon a dead worker's task is delivered again: one table.
CELERY_TASK_ROUTES = jobs.task_routes()
# A task missing from the table (a test refuses that) would still land where someone waits.
CELERY_TASK_DEFAULT_QUEUE = jobs.INTERACTIVE
CELERY_TASK_ANNOTATIONS = jobs.task_annotations()
CELERY_BROKER_TRANSPORT_OPTIONS = jobs.broker_transport_options()

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None

# One JSON object a line with the request or task id (masip/logging.py); LOG_FORMAT=plain
# for a developer's terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "masip.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "masip.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs carry URLs only; URLs never carry personal data (ids only).
        "django.request": {"level": "WARNING"},
        # The PDF minutes: WeasyPrint and fontTools report every font subset at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Full change history, captured by database triggers (docs/decisions/0003-history.md):
# inserts, updates and deletes alike, with the request's user attached as context.
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_constraint=False, on_delete=models.DO_NOTHING)

# `seed_demo` creates staff accounts with a published password: only where this is on
# (a developer's machine, the tests), or when forced with --force-in-production.
MASIP_DEMO_DATA_ALLOWED = False

# Only the test settings turn this on: `flush` between transactional tests empties the
# access log, which refuses TRUNCATE everywhere else (masip/management/commands/flush.py).
MASIP_FLUSH_EMPTIES_ACCESS_LOG = False

# The Django admin is mounted only when this is on (off in production unless set).
MASIP_ADMIN_ENABLED = env_bool("MASIP_ADMIN_ENABLED", True)

# Links in e-mails sent outside a request (Celery jobs) start with this.
MASIP_BASE_URL = env_str("MASIP_BASE_URL", "http://127.0.0.1:8000")

# Months of the access log kept attached (audit/partitions.py): older months are detached
# by the daily job into archive tables, for the retention procedure in docs/deployment.md.
# Twelve at the least (the database function refuses fewer).
MASIP_ACCESS_LOG_ONLINE_MONTHS = env_int("MASIP_ACCESS_LOG_ONLINE_MONTHS", 24)

# /metrics (masip/metrics.py) answers only a scraper presenting this bearer token; unset, 404.
MASIP_METRICS_TOKEN = env_str("MASIP_METRICS_TOKEN", "")
