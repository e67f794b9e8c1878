"""Settings shared by every environment; everything that varies comes from the environment."""

import base64
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    # project apps, lowest layer first (STYLE.md: imports run downwards)
    "training_platform.accounts",
    "training_platform.reference",
    "training_platform.audit",
    "trainees",
    "bases",
    "courses",
    "certificates",
    "competitions",
    "subsidies",
    "cms",
    "demo",
    # --- c13-ind ---
    "monitoring",  # plan monitoring: top of the house, reads the apps above
    # --- end c13-ind ---
    # wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "django.contrib.sitemaps",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # third party
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "axes",
    # --- c13-api ---
    "ninja",  # the API's docs page: Swagger UI from its static files, never a CDN
    # --- end c13-api ---
    # django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "training_platform.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "training_platform.middleware.StaffSessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last: turns a sign-in refused by throttling into the Chinese lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "training_platform.urls"
WSGI_APPLICATION = "training_platform.wsgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# SQLite by default (the embedded set-up); DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DJANGO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
        }
        if env("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# --- c14-prod ---
# The task backend: "db" (default: django_tasks_db, run by `manage.py db_worker`) or "rq"
# (django-tasks-rq: jobs in Redis at REDIS_URL, run by
# `manage.py rqworker --job-class django_tasks_rq.Job`; for scale-out).
DJANGO_TASKS_BACKEND = env("DJANGO_TASKS_BACKEND", "db").strip().lower()
if DJANGO_TASKS_BACKEND == "rq":
    if not env("REDIS_URL"):
        raise ImproperlyConfigured("DJANGO_TASKS_BACKEND=rq needs REDIS_URL.")
    INSTALLED_APPS += ["django_rq"]  # its rqworker command and checks
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {
        "default": {
            "URL": env("REDIS_URL"),
            "DEFAULT_TIMEOUT": int(env("RQ_DEFAULT_TIMEOUT", "1800")),
        }
    }
elif DJANGO_TASKS_BACKEND != "db":
    raise ImproperlyConfigured(
        f"DJANGO_TASKS_BACKEND={DJANGO_TASKS_BACKEND!r}: choose db or rq."
    )
# --- end c14-prod ---

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Staff (back-office) sessions end after this long without a request; trainees keep
# Django's SESSION_COOKIE_AGE. Staff sign in only at /admin/login/.
STAFF_SESSION_IDLE_SECONDS = int(env("STAFF_SESSION_IDLE_SECONDS", str(8 * 3600)))

# --- sign-in throttling (django-axes) -----------------------------------------------------
# Every authenticate() goes through axes first: after AXES_FAILURE_LIMIT failed sign-ins
# for one account (from anywhere) or from one address (for any account) within the
# cool-off, further attempts are refused — even with the right password — until the
# cool-off has passed or an administrator unlocks (back-office 登录锁定, or
# `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`).
# AxesBackend only checks the lockout (it never signs anyone in); as a ModelBackend it also
# loads users from sessions, so code that signs a user in with AUTHENTICATION_BACKENDS[0]
# (sign-up) keeps working.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "training_platform.clientip.client_ip"
# Someone who types an ID number as the user name must not leave it in a plain column.
AXES_USERNAME_CALLABLE = "training_platform.accounts.throttling.attempted_username"
# A success must not wipe the failures an address piled up against other accounts.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_COOLOFF_MESSAGE = "登录失败次数过多，账号或地址已被暂时锁定，请稍后再试。"
AXES_PERMALOCK_MESSAGE = "登录失败次数过多，账号或地址已被锁定，请联系管理员解锁。"
AXES_VERBOSE = False

# Chinese first; English through Django i18n.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
# The back-office is Chinese only (its own strings are written in Chinese, Wagtail's are
# completed in locale/zh_Hans/), and Guizhou keeps one time zone: with one choice each,
# Wagtail hides the account's language and time-zone panel (hundreds of English zone names).
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]
# ASCII page addresses: Chinese titles get their pinyin (cms.slugs), never %E6%96%B0….
WAGTAIL_ALLOW_UNICODE_SLUGS = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

WAGTAIL_SITE_NAME = "黔技通"
# No upgrade notice or "what's new" banner from wagtail.org on the back-office home.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# The public address printed on certificates and encoded in their QR codes.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", WAGTAILADMIN_BASE_URL)
# Reverse proxies in front of the app (addresses or CIDR networks, comma-separated).
# X-Forwarded-For is believed only when the peer is one of them (training_platform/clientip.py);
# empty (the default) means clients connect directly and the header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Public certificate verification per client: "requests/seconds"; "0" turns it off.
CERTIFICATE_VERIFY_RATE = env("CERTIFICATE_VERIFY_RATE", "30/60")
CERTIFICATE_KEYS_MAX_AGE = int(env("CERTIFICATE_KEYS_MAX_AGE", "3600"))
# --- c14-status ---
# Time-to-live of the signed revocation list (seconds). An offline copy older than this
# is flagged stale: the platform cannot vouch that nothing was revoked since. One hour
# keeps that promise short while an auditor online refreshes it on every visit.
CERTIFICATE_REVOCATIONS_TTL = int(env("CERTIFICATE_REVOCATIONS_TTL", "3600"))
# --- end c14-status ---
# Verification log rows are written in batches this often (seconds); 0 writes each one
# before answering. A crash can lose the rows of the last interval.
CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = float(
    env("CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS", "0.5")
)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt", "zip"]
# --- c12-news ---
# Images must have a description: it is the alt text the public site prints (cms.images).
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.images.ImageForm"
# --- end c12-news ---

# --- personal data (PIPL) -------------------------------------------------------------
# PII_ENCRYPTION_KEYS: "kid:base64key,kid2:base64key" (AES-256-GCM, 32-byte keys).
# New values are written with PII_ACTIVE_KEY_ID; older key ids stay readable so keys rotate.
# PII_BLIND_INDEX_KEY: base64 HMAC key for the searchable keyed hash of ID numbers.


def b64_key(name, value):
    try:
        return base64.b64decode(value or "", validate=True)
    except ValueError:  # binascii.Error
        raise ImproperlyConfigured(f"{name}: not valid base64.") from None


def parse_key_ring(value, name="key ring"):
    ring = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        kid, _sep, key = item.strip().partition(":")
        ring[kid] = b64_key(f"{name} ({kid})", key.strip())
    return ring


PII_ENCRYPTION_KEYS = parse_key_ring(env("PII_ENCRYPTION_KEYS"), "PII_ENCRYPTION_KEYS")
PII_ACTIVE_KEY_ID = env("PII_ACTIVE_KEY_ID")
PII_BLIND_INDEX_KEY = b64_key("PII_BLIND_INDEX_KEY", env("PII_BLIND_INDEX_KEY", ""))

# --- certificate signing (certificates/signing.py) --------------------------------------
# CERTIFICATE_SIGNING_KEYS: "kid:base64seed,kid2:base64seed" (Ed25519, 32-byte private seeds).
# QR payloads are signed with CERTIFICATE_SIGNING_ACTIVE_KEY; the other keys still verify.
# CERTIFICATE_RETIRED_PUBLIC_KEYS: "kid:base64pub,..." (32-byte public keys) of rotated-out keys
# whose private part is destroyed: certificates printed under them must keep verifying.
CERTIFICATE_SIGNING_KEYS = parse_key_ring(
    env("CERTIFICATE_SIGNING_KEYS"), "CERTIFICATE_SIGNING_KEYS"
)
CERTIFICATE_SIGNING_ACTIVE_KEY = env("CERTIFICATE_SIGNING_ACTIVE_KEY")
CERTIFICATE_RETIRED_PUBLIC_KEYS = parse_key_ring(
    env("CERTIFICATE_RETIRED_PUBLIC_KEYS"), "CERTIFICATE_RETIRED_PUBLIC_KEYS"
)

# Share of the class hours a trainee must attend for certificate and subsidy.
ATTENDANCE_THRESHOLD = float(env("ATTENDANCE_THRESHOLD", "0.8"))

# --- security ---------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
# Public pages: scripts only from our own origin, no inline script at all (the project's
# templates have none; tests/training_platform/test_csp.py keeps it so).
CONTENT_SECURITY_POLICY = env(
    "DJANGO_CSP",
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'self'; form-action 'self'",
)
# Wagtail's own admin templates still carry inline scripts (date/time widgets, inline
# panels, workflow), so only paths under /admin/ (back office and page preview) allow them.
CONTENT_SECURITY_POLICY_ADMIN = env(
    "DJANGO_CSP_ADMIN",
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'self'; form-action 'self'",
)
CONTENT_SECURITY_POLICY_ADMIN_PREFIX = "/admin/"

DEFAULT_EXCEPTION_REPORTER_FILTER = (
    "training_platform.logging.PIISafeExceptionReporterFilter"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "training_platform.logging.RedactPIIFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_pii"],
        },
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# --- c14-gates ---
# Django logs every 404/5xx with the request path ("Not Found: /verify/<what was typed>/"),
# and people type ID numbers into addresses: redact on the logger itself, before any
# handler sees the record (a handler without the filter would print it whole).
# (django.server, runserver's request lines, keeps Django's own handler and reaches
# the console filtered, tests/training_platform/test_logging.py.)
LOGGING["loggers"]["django.request"] = {"filters": ["redact_pii"]}
# --- end c14-gates ---

# --- sign-up with proof of control and SMS (issue 9, item 3) ---------------------------
# Which gateway carries text messages (training_platform/sms/): console (development,
# prints them), locmem (tests), dummy (sends nothing: only activation codes work), or a
# gateway backend in production.
SMS_BACKEND = env("SMS_BACKEND", "training_platform.sms.backends.console.SmsBackend")
# Per client address, "requests/seconds" ("0" turns a limit off): sign-up form posts
# (each may send a code), code checks; and codes sent to any one phone number.
# All training subsidies of one person in one year (domain.md §3: at most 3; a
# standard's 急需紧缺 occupations add its extra uses). Each kind's own limit is on its
# standard (补贴标准 每人每年次数).
SUBSIDY_YEARLY_LIMIT = int(env("SUBSIDY_YEARLY_LIMIT", "3"))
# --- c13-tok ---
# The key of the HMAC-SHA256 under which institutions' API tokens are stored (bases.tokens);
# empty: SECRET_KEY. Changing it invalidates every token already handed out.
API_TOKEN_HMAC_KEY = env("API_TOKEN_HMAC_KEY", "")
# --- end c13-tok ---
# Objections to claims on the public notice, per client address.
NOTICE_OBJECTION_RATE = env("NOTICE_OBJECTION_RATE", "10/3600")
TRAINEE_SIGNUP_RATE = env("TRAINEE_SIGNUP_RATE", "10/3600")
TRAINEE_SIGNUP_VERIFY_RATE = env("TRAINEE_SIGNUP_VERIFY_RATE", "30/3600")
TRAINEE_SIGNUP_SMS_PER_PHONE_RATE = env("TRAINEE_SIGNUP_SMS_PER_PHONE_RATE", "5/3600")
# An SMS code (and the pending sign-up) lasts this long, and allows this many tries.
TRAINEE_SIGNUP_CODE_MINUTES = int(env("TRAINEE_SIGNUP_CODE_MINUTES", "10"))
TRAINEE_SIGNUP_CODE_ATTEMPTS = int(env("TRAINEE_SIGNUP_CODE_ATTEMPTS", "5"))
# An activation code staff hand a person works once, for this many days.
TRAINEE_ACTIVATION_CODE_DAYS = int(env("TRAINEE_ACTIVATION_CODE_DAYS", "14"))
