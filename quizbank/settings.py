"""QuizBank settings: embedded defaults for a first run, everything overridable from the
environment (see README, "Configuration")."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from quizbank.env import database_from_url, env_bool, env_int, env_list, env_str, weak_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("QUIZBANK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_bool("QUIZBANK_PRODUCTION", False)
DEBUG = env_bool("DJANGO_DEBUG", False)
# Development only: a key that is not a secret, because it is in the repository.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG=true is refused with QUIZBANK_PRODUCTION=true: debug pages show settings and code"
        )
    if problem := weak_secret_key(env_str("DJANGO_SECRET_KEY"), known=[DEVELOPMENT_SECRET_KEY]):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY {problem}; in production set it to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "quizbank.bank",
    "quizbank.practice",
    "quizbank.grading",
    "quizbank.interviews",
    "quizbank.feedback",
    "quizbank.authoring",
    "quizbank.ops",  # management commands: backup, restore
]

MIDDLEWARE = [
    "quizbank.ops.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "quizbank.middleware.NulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "quizbank.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "quizbank.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "quizbank.urls"
WSGI_APPLICATION = "quizbank.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "quizbank.authoring.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("QUIZBANK_DB_PATH", str(VAR_DIR / "quizbank.sqlite3")),
        # WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock up
        # front, so two workers never deadlock upgrading a read lock ("database is locked").
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # a file, not memory, so that a real Celery worker in the end-to-end tests sees it too
        "TEST": {"NAME": env_str("QUIZBANK_TEST_DB_PATH", str(VAR_DIR / "test.sqlite3"))},
        # one connection per thread, kept between requests: opening one costs Django's function
        # registrations and the PRAGMAs above, about as much as the SQL of a card (docs/performance.md)
        "CONN_MAX_AGE": env_int("DJANGO_CONN_MAX_AGE", 60),
    }
}
if env_str("DATABASE_URL"):
    # PostgreSQL in production (docs/deploy.md); SQLite above stays the embedded default
    try:
        _database = database_from_url(env_str("DATABASE_URL"))
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None
    if _database["ENGINE"].endswith("postgresql"):
        # persistent connections, checked before reuse (a restarted server drops them)
        _database |= {"CONN_MAX_AGE": env_int("DJANGO_CONN_MAX_AGE", 60), "CONN_HEALTH_CHECKS": True}
        _database["TEST"] = {"NAME": env_str("QUIZBANK_TEST_DB_NAME", f"test_{_database['NAME']}")}
    else:
        _database["TEST"] = DATABASES["default"]["TEST"]
        _database["OPTIONS"] = DATABASES["default"]["OPTIONS"]
        _database["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES = {"default": _database}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "quizbank" / "locale"]
TIME_ZONE = env_str("QUIZBANK_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve static/ straight from the finders unless `collectstatic` was run (production).
WHITENOISE_USE_FINDERS = not PRODUCTION
# Files browsers ask for at the site root (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

QUIZBANK_CONTENT_DIR = Path(env_str("QUIZBANK_CONTENT_DIR", str(BASE_DIR / "content")))
QUIZBANK_INDEX_DIR = Path(env_str("QUIZBANK_INDEX_DIR", str(VAR_DIR / "index")))
# a search (or /healthz) on any node applies the edits published elsewhere at most this long ago
# (bank/index_sync.py); 0: on every search
QUIZBANK_INDEX_SYNC_SECONDS = env_int("QUIZBANK_INDEX_SYNC_SECONDS", 2)
QUIZBANK_PAGE_SIZE = env_int("QUIZBANK_PAGE_SIZE", 20)

# Every record carries the request id (X-Request-ID); QUIZBANK_LOG_FORMAT=json for one JSON object
# per line (docs/deploy.md). quizbank.access logs each request: method, path, status, ms, user.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "quizbank.ops.logs.RequestIdFilter"},
        "database_outage": {"()": "quizbank.ops.logs.DatabaseOutageFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {"()": "quizbank.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env_str("QUIZBANK_LOG_FORMAT", "text"),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("QUIZBANK_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"filters": ["database_outage"]}},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy on every response, in development too (so the browser tests see a
# violation): scripts, styles, fonts and images only from this site; no inline script without the
# request's nonce ({{ csp_nonce }}), no <style> element; no plugins, no framing, forms post only here.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # style="" attributes only (no <style> elements): KaTeX sets them on the SVG of tall
    # delimiters, roots and arrows. Content cannot carry one: nh3 strips every style attribute.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    # Behind a load balancer that ends TLS, set DJANGO_SECURE_PROXY_SSL_HEADER=true (it must set
    # X-Forwarded-Proto and strip the client's own); DJANGO_SSL_REDIRECT=false if the balancer redirects.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz answers the load balancer's plain-HTTP probe instead of redirecting it
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a promise to browser vendors about the whole domain: the operator's
        # decision (DJANGO_HSTS_PRELOAD=true), not a default; HSTS itself is on.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# -- accounts ---------------------------------------------------------------------------------
# Login failures allowed per account and per address in one window, and sign-ups (and password
# reset requests) per address per hour; beyond them a 429 until the window ends.
QUIZBANK_THROTTLE_SECONDS = env_int("QUIZBANK_THROTTLE_SECONDS", 900)
QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT = env_int("QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT", 10)
QUIZBANK_LOGIN_FAILURES_PER_ADDRESS = env_int("QUIZBANK_LOGIN_FAILURES_PER_ADDRESS", 50)
QUIZBANK_SIGNUPS_PER_ADDRESS = env_int("QUIZBANK_SIGNUPS_PER_ADDRESS", 10)
# how many proxies in front of the web nodes append to X-Forwarded-For (0: use REMOTE_ADDR)
QUIZBANK_TRUSTED_PROXIES = env_int("QUIZBANK_TRUSTED_PROXIES", 0)

# Email (Django 6.1 MAILERS): an SMTP server when DJANGO_EMAIL_HOST is set; without one nothing is
# sent (password reset is not offered; a stray message is logged as an error and dropped).
_email_host = env_str("DJANGO_EMAIL_HOST")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("DJANGO_EMAIL_PORT", 587),
                "username": env_str("DJANGO_EMAIL_HOST_USER"),
                "password": env_str("DJANGO_EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
        if _email_host
        else {"BACKEND": "quizbank.mail.UnconfiguredBackend"}
    )
}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "QuizBank <noreply@localhost>")
QUIZBANK_PASSWORD_RESET = env_bool("QUIZBANK_PASSWORD_RESET", bool(_email_host))

# -- cache ----------------------------------------------------------------------------------
# Shared by the web processes (throttle counters): Redis when QUIZBANK_CACHE_URL is set (several
# web nodes must share one), else files under var/cache (the processes of one machine).
_cache_url = env_str("QUIZBANK_CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            # a Redis that does not answer (a network partition) costs a request 2 s, not forever
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if _cache_url
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # past MAX_ENTRIES a write deletes a random third of the files, the word weights too
            # (seconds of CPU to compute again): room for the kept settings and decks of the
            # learners of the last minutes (quizbank/practice/kept.py) and the throttle counts.
            # Every write lists the folder: about 5 ms at 5,000 files.
            "OPTIONS": {"MAX_ENTRIES": 5_000},
        }
    )
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "practice:dashboard"
LOGOUT_REDIRECT_URL = "bank:home"

# -- grading --------------------------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL") or None
QUIZBANK_GRADER_MODEL = env_str("QUIZBANK_GRADER_MODEL", "gpt-4o-mini")
QUIZBANK_GRADER_TIMEOUT = float(env_str("QUIZBANK_GRADER_TIMEOUT", "30"))
# a whole LLM grading (retries and repair included) ends within this many seconds, whatever the
# endpoint does; keep it below QUIZBANK_GRADING_STUCK_SECONDS so the sweep never re-runs a live run
QUIZBANK_GRADER_DEADLINE = env_int("QUIZBANK_GRADER_DEADLINE", 120)
QUIZBANK_GRADINGS_PER_HOUR = env_int("QUIZBANK_GRADINGS_PER_HOUR", 60)
QUIZBANK_ANSWER_MAX_CHARS = env_int("QUIZBANK_ANSWER_MAX_CHARS", 4000)
# an attempt still pending, or grading, this long after its last change is re-queued by the sweep
QUIZBANK_GRADING_STUCK_SECONDS = env_int("QUIZBANK_GRADING_STUCK_SECONDS", 180)
# Mock interviews: seconds past a question's countdown an answer still counts as on time
QUIZBANK_INTERVIEW_GRACE_SECONDS = env_int("QUIZBANK_INTERVIEW_GRACE_SECONDS", 20)

# -- celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue = VAR_DIR / "celery" / "queue"
    _queue.mkdir(parents=True, exist_ok=True)
    # measured: ~1 s enqueue-to-start at the default polling, ~50 ms at 0.05 s
    # kombu's filesystem transport, writing each message whole before a worker can see it
    CELERY_BROKER_TRANSPORT = "quizbank.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "polling_interval": 0.05,
    }
else:
    # a worker killed without acking gets its task redelivered after this many seconds
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300)}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# publishing gives up quickly when the broker is down: the answer is saved and the sweep re-queues it
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-attempts": {
        "task": "quizbank.grading.tasks.sweep_stuck_attempts",
        "schedule": float(env_int("QUIZBANK_SWEEP_SECONDS", 60)),
    },
    "prune-index-changes": {
        "task": "quizbank.bank.tasks.prune_index_changes",
        "schedule": 24 * 3600.0,
    },
}
