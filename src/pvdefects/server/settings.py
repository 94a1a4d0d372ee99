"""Django settings, all from the environment (docs/server.md lists every variable).

One machine needs none of them: the database (SQLite), the broker (kombu's SQLAlchemy transport on
a second SQLite file), uploads, label files, outgoing mail and the secret key all live in the data
folder ``PVDEFECTS_DATA_DIR`` (default ``./challenge-data``). Scaled out, ``DATABASE_URL`` and
``CELERY_BROKER_URL`` point every web and worker process at the same PostgreSQL and Redis, and the
data folder is shared storage (uploads and label files).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from pvdefects.security.sandbox import SandboxLimits


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key(data_dir: Path) -> str:
    """``PVDEFECTS_SECRET_KEY``, else a key generated once into the data folder (readable by us only)."""
    if os.environ.get("PVDEFECTS_SECRET_KEY"):
        return os.environ["PVDEFECTS_SECRET_KEY"]
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DATA_DIR = Path(os.environ.get("PVDEFECTS_DATA_DIR", "challenge-data")).resolve()
UPLOADS_DIR = DATA_DIR / "uploads"  # content-addressed: sha256[:2]/sha256.zip
TESTSETS_DIR = DATA_DIR / "testsets"  # label files; never served
FINAL_DIR = DATA_DIR / "final"  # finalisation manifests
SECRET_KEY = _secret_key(DATA_DIR)
DEBUG = _flag("PVDEFECTS_DEBUG")
ALLOWED_HOSTS = _list("PVDEFECTS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _list("PVDEFECTS_CSRF_TRUSTED_ORIGINS")
HTTPS = _flag("PVDEFECTS_HTTPS")  # behind a TLS-terminating proxy: secure cookies
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "pvdefects.server.accounts",
    "pvdefects.server.challenges",
    "pvdefects.server.teams",
    "pvdefects.server.submissions",
]
MIDDLEWARE = [
    "pvdefects.server.network.NetworkAllowlistMiddleware",
    "pvdefects.server.network.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "pvdefects.server.urls"
WSGI_APPLICATION = "pvdefects.server.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a transaction takes the write lock when it starts, so concurrent writers queue
    # (for up to `timeout` seconds) instead of failing to upgrade a read lock; WAL lets readers go on.
    # Connections are kept (per thread, CONN_MAX_AGE 60 s as on PostgreSQL): opening one and setting its
    # pragmas cost ~0.7 ms, more than a whole cached leaderboard request.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}  # a file: threads share it
# Each process's own memory: it holds rendered leaderboards keyed by the challenge's board_version (a
# database column renewed by every change), so no process can serve a board older than the database's.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 300},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# "required": new accounts stay inactive until the link mailed to them is opened; "off": active at once
EMAIL_VERIFICATION = os.environ.get("PVDEFECTS_EMAIL_VERIFICATION", "required")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pvdefects-challenge@localhost")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"

# Access: CIDR networks allowed to reach the server (empty: all), proxies whose X-Forwarded-For we believe
ALLOWED_NETWORKS = _list("PVDEFECTS_ALLOWED_NETWORKS")
TRUSTED_PROXIES = _list("PVDEFECTS_TRUSTED_PROXIES")

# Uploads: the largest model.zip; a request body over it plus a form's overhead is refused (413) unread
MAX_UPLOAD_BYTES = int(os.environ.get("PVDEFECTS_MAX_UPLOAD_BYTES", str(200 << 20)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 << 20  # larger uploads stream to a temporary file
FILE_UPLOAD_TEMP_DIR = None

# Scoring: attempts before a submission fails for good, the lease a worker holds and renews while the
# sandbox runs, how often the reaper looks for expired leases and for queued rows no task came for
MAX_ATTEMPTS = 3
LEASE_SECONDS = int(os.environ.get("PVDEFECTS_LEASE_SECONDS", "120"))
REAPER_INTERVAL_SECONDS = int(os.environ.get("PVDEFECTS_REAPER_INTERVAL", "30"))
REQUEUE_AFTER_SECONDS = int(os.environ.get("PVDEFECTS_REQUEUE_AFTER", "600"))
# the sandbox's limits default to the scorer's own (pvdefects.security.sandbox.SandboxLimits)
SANDBOX_WALL_SECONDS = float(os.environ.get("PVDEFECTS_SANDBOX_WALL_SECONDS", SandboxLimits.wall_seconds))
SANDBOX_MEMORY_BYTES = int(os.environ.get("PVDEFECTS_SANDBOX_MEMORY_BYTES", SandboxLimits.memory_bytes))

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite'}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"pvdefects.server": {"handlers": ["console"], "level": "INFO"}},
}
