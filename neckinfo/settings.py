"""NeckInfo settings: one file, driven by the environment, with safe local defaults.

Every variable an operator may set is read through the small helpers below, which fail
loudly on a value they can't understand rather than guessing.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value (use 1 or 0).")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Keys anyone can read: .env.example's placeholder, and what `make serve` once fell back to.
PUBLISHED_SECRET_KEYS = re.compile(r"^(change-me|local-serve-)")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "For local work, `make run` sets DJANGO_DEBUG=1."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"
elif not DEBUG and PUBLISHED_SECRET_KEYS.match(SECRET_KEY):
    # Signed sessions and password-reset links would be forgeable by anyone who has read it.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is the example's placeholder, not a secret. Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    # Before staticfiles so `runserver` serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "taggit",
    "reversion",
    "axes",
    "csp",
    "conditions",
]

MIDDLEWARE = [
    # First, so that a request whose database connection is lost part-way (in any middleware
    # or view below) is answered again on a new connection rather than with a 500.
    "neckinfo.lost_connections.RetryAfterLostConnectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Addresses holding control characters get a 400 before anything else reads them.
    "neckinfo.malformed_requests.RefuseMalformedRequestsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under DEBUG, the site's own 404 page instead of Django's technical one; before the page
    # cache, which drops the `?debug-404` asking for the technical page.
    "neckinfo.error_pages.FriendlyNotFoundMiddleware",
    # Image renditions under MEDIA_URL, from the default storage, likewise.
    "neckinfo.media_files.MediaFilesMiddleware",
    # Public pages come from the cache before sessions or the database are touched; a cached
    # page keeps the headers (CSP included) the middleware below gave it when rendered.
    "conditions.caching.PublicPageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the result of logging in (it locks out repeated wrong passwords).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "neckinfo.urls"

# A form refused for its security token gets a page in the site's words (neckinfo/error_pages.py).
CSRF_FAILURE_VIEW = "neckinfo.error_pages.csrf_failure"
# Under DEBUG, unknown addresses show the site's own 404 page (with a link to Django's technical
# page, `?debug-404`); DJANGO_TECHNICAL_404=1 shows Django's technical page every time.
TECHNICAL_404 = env_bool("DJANGO_TECHNICAL_404", default=False)

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

WSGI_APPLICATION = "neckinfo.wsgi.application"

# DATABASE_URL picks the engine: a SQLite file in the project folder unless told otherwise,
# e.g. postgres://user:password@host:5432/neckinfo for PostgreSQL (through psycopg 3).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections (checked before reuse) spare a connection per request.
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers carry on while an editor saves; writers wait for each other
        # (up to the timeout) instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# One cache shared by every app server when REDIS_URL is set (redis://host:6379/0);
# otherwise each process keeps its own in memory, which is right for a single process.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Redis answers in well under a millisecond; one that takes longer than this is treated as
# down (the site serves from the database without it), so a hung Redis can't hold workers.
REDIS_TIMEOUT_SECONDS = env_float("DJANGO_REDIS_TIMEOUT_SECONDS", 0.25)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache that degrades to the database when Redis is down or slow,
            # keeping its client and connection between calls (see the module).
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "neckinfo"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a cached public page may be served. Content changes invalidate it at once (see
# conditions/caching.py); this only bounds memory.
PUBLIC_PAGE_CACHE_SECONDS = env_int("DJANGO_PAGE_CACHE_SECONDS", 600)
# DJANGO_PAGE_CACHE=0 renders every public page from the database (for diagnosing a page, and
# for measuring the cost of rendering under load); the site is correct either way.
PUBLIC_PAGE_CACHE = env_bool("DJANGO_PAGE_CACHE", default=True)

# What readers search for (conditions/search_insights.py): anonymous counts per query and day,
# deleted after this many days by `manage.py purge_search_log`.
SEARCH_LOG_RETENTION_DAYS = env_int("DJANGO_SEARCH_LOG_RETENTION_DAYS", 90)
# Each app process counts searches in memory and writes them in one batch at most this often
# (cached search pages are counted too, without a query each). None: only when told to.
SEARCH_LOG_FLUSH_SECONDS = env_int("DJANGO_SEARCH_LOG_FLUSH_SECONDS", 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded images and their renditions (conditions/images.py), in Django's default storage: a
# folder beside the SQLite database unless DJANGO_MEDIA_ROOT says otherwise. Served under
# MEDIA_URL by neckinfo/media_files.py (renditions only, cached for a year: their names
# change whenever their content does).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", "") or BASE_DIR / "media")
MEDIA_URL = "/media/"
# With more than one app server, media goes to S3-compatible object storage instead
# (django-storages): DJANGO_MEDIA_S3_BUCKET names the bucket; the endpoint (for a service
# other than Amazon's), region, keys and a custom domain (a CDN in front of the bucket, which
# then serves the files itself) beside it.
MEDIA_S3_BUCKET = os.environ.get("DJANGO_MEDIA_S3_BUCKET", "")
MEDIA_S3_CUSTOM_DOMAIN = os.environ.get("DJANGO_MEDIA_S3_CUSTOM_DOMAIN", "")
if MEDIA_S3_BUCKET:
    MEDIA_STORAGE = {
        "BACKEND": "neckinfo.s3_media.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("DJANGO_MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DJANGO_MEDIA_S3_REGION") or None,
            "access_key": os.environ.get("DJANGO_MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("DJANGO_MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "custom_domain": MEDIA_S3_CUSTOM_DOMAIN or None,
            "location": os.environ.get("DJANGO_MEDIA_S3_PREFIX", ""),
            # Never overwrite: a name that exists gets another.
            "file_overwrite": False,
            "default_acl": None,
            # For a CDN in front of the bucket; the app sends the same itself.
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    # Hashed, compressed files in production; plain files while developing, so `make run`
    # needs no collectstatic step.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# What an image upload may be (conditions/images.py): bigger files, or more pixels (a small
# file can claim 30,000 × 30,000 pixels and take gigabytes to open), are refused.
IMAGE_UPLOAD_MAX_BYTES = env_int("DJANGO_IMAGE_UPLOAD_MAX_MB", 10) * 1024 * 1024
IMAGE_UPLOAD_MAX_PIXELS = env_int("DJANGO_IMAGE_UPLOAD_MAX_MEGAPIXELS", 40) * 1_000_000
# Small uploads in memory; others in a temporary file, never more of one than the limit.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "neckinfo.uploads.BoundedTemporaryFileUploadHandler",
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "Dizziness" and "dizziness" are one symptom: taggit looks names up case-insensitively, and
# the Symptom model backs that with a unique constraint on the lower-cased name.
TAGGIT_CASE_INSENSITIVE = True

SITE_NAME = "NeckInfo"

# The admin's address, e.g. DJANGO_ADMIN_PATH=editors-7f3a/ to keep it out of scanners' way.
ADMIN_PATH = os.environ.get("DJANGO_ADMIN_PATH", "admin/").strip("/") + "/"

# Editorial rules. A reviewer may sign off content they changed themselves only on a site
# run by one person: otherwise every published page has a second pair of eyes.
ALLOW_SELF_REVIEW = env_bool("DJANGO_ALLOW_SELF_REVIEW", default=False)
# `import_articles --publish` puts imported text in front of readers with no medical sign-off
# (its pages say "not medically reviewed yet"): only for a site showing sample content, such
# as `make run` and `make serve`. Elsewhere imports are drafts a medical reviewer publishes.
PUBLISH_UNREVIEWED_IMPORTS = env_bool("DJANGO_PUBLISH_UNREVIEWED_IMPORTS", default=DEBUG)

# Email (moderation notices and the review digest): printed to the console in development,
# sent by SMTP in production. Tests use Django's in-memory outbox (pytest-django sets it).
if DEBUG and not os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "NeckInfo <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's address, for links in emails.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000")

# Where readers who need help now are sent (UK defaults): a deployment elsewhere changes them
# here, and every "Get help now" box, care callout and footer follows.
EMERGENCY_NUMBER = os.environ.get("DJANGO_EMERGENCY_NUMBER", "999")
URGENT_NUMBER = os.environ.get("DJANGO_URGENT_NUMBER", "111")
URGENT_ONLINE_URL = os.environ.get("DJANGO_URGENT_ONLINE_URL", "https://111.nhs.uk/")
URGENT_ONLINE_NAME = os.environ.get("DJANGO_URGENT_ONLINE_NAME", "111 online")

# "Is this page useful?" (conditions/feedback.py): how long a comment may be, how many
# answers and comments one address may send a day (counted in the cache under a keyed hash of
# the address and the day, never stored), and how many answers a page needs before the
# admin's report ranks it (so one "No" doesn't put a page at the top).
FEEDBACK_COMMENT_MAX_LENGTH = 500
FEEDBACK_PER_ADDRESS_PER_DAY = env_int("DJANGO_FEEDBACK_PER_ADDRESS_PER_DAY", 20)
FEEDBACK_ANSWERS_TO_RANK = env_int("DJANGO_FEEDBACK_ANSWERS_TO_RANK", 5)
# How often an article's open admin page asks who else is editing it (and says it is still
# open): see conditions/editing_presence.py.
EDITING_PRESENCE_POLL_SECONDS = env_int("DJANGO_EDITING_PRESENCE_POLL_SECONDS", 20)

# Security. Production runs behind a TLS-terminating proxy: HTTPS only, secure cookies, HSTS.
# DJANGO_SECURE=0 turns the HTTPS parts off, for a production-like server on plain HTTP
# (`make serve`, benchmarks); DJANGO_BEHIND_TLS_PROXY=1 trusts the proxy's
# X-Forwarded-Proto and X-Forwarded-For headers (only set it when a proxy always sets them).
SECURE = env_bool("DJANGO_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy (django-csp 4): scripts only from our own files, never inline.
# The admin's widgets set inline styles, so styles allow them; scripts don't.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"]
        + ([f"https://{MEDIA_S3_CUSTOM_DOMAIN}"] if MEDIA_S3_CUSTOM_DOMAIN else []),
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Admin sign-in throttling (django-axes, see neckinfo/sign_in.py): wrong passwords pause
# signing in, for the cool-off time, for one username from one address after
# SIGN_IN_FAILURES_PER_USERNAME, and for one address whatever the username after
# SIGN_IN_FAILURES_PER_ADDRESS (someone trying one password on many accounts).
SIGN_IN_FAILURES_PER_USERNAME = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("DJANGO_LOGIN_FAILURE_LIMIT_PER_ADDRESS", 20)
AXES_FAILURE_LIMIT = "neckinfo.sign_in.failure_limit"
AXES_COOLOFF_TIME = env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "neckinfo.sign_in.client_address"
# Behind the proxy: how many proxies append to X-Forwarded-For, and the addresses they
# connect from (FORWARDED_ALLOW_IPS, which gunicorn reads too; "*" trusts any, only for a
# gunicorn that nothing but the proxy can reach, e.g. on a Unix socket).
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1)
TRUSTED_PROXY_ADDRESSES = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
