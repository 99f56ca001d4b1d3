"""QuizBank settings: embedded defaults for a first run, everything overridable from the
environment (see README, "Configuration")."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from quizbank.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("QUIZBANK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("QUIZBANK_PRODUCTION", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    # Development only: a key that is not a secret, because it is in the repository.
    SECRET_KEY = "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
    }
}
if env_str("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL is not supported yet; QuizBank runs on SQLite")

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
WHITENOISE_USE_FINDERS = not env_bool("QUIZBANK_PRODUCTION", False)
# Files browsers ask for at the site root (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

QUIZBANK_CONTENT_DIR = Path(env_str("QUIZBANK_CONTENT_DIR", str(BASE_DIR / "content")))
QUIZBANK_INDEX_DIR = Path(env_str("QUIZBANK_INDEX_DIR", str(VAR_DIR / "index")))
QUIZBANK_PAGE_SIZE = env_int("QUIZBANK_PAGE_SIZE", 20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("QUIZBANK_LOG_LEVEL", "INFO")},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env_bool("QUIZBANK_PRODUCTION", False):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

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
}
