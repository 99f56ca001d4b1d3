import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from quizbank.bank import index_sync, search
from quizbank.bank.loader import load_questions
from quizbank.interviews.loader import load_tracks

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory):
    return tmp_path_factory.mktemp("bundled-index") / "index"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, bundled_index):
    """The test database starts with the bundled content/ loaded and indexed once."""
    with django_db_blocker.unblock():
        original = settings.QUIZBANK_INDEX_DIR
        settings.QUIZBANK_INDEX_DIR = bundled_index
        try:
            load_questions([settings.QUIZBANK_CONTENT_DIR])
            load_tracks()
        finally:
            settings.QUIZBANK_INDEX_DIR = original
    shutil.copytree(bundled_index, pristine(bundled_index))
    yield
    with django_db_blocker.unblock():
        end_other_sessions()


def end_other_sessions() -> None:
    """PostgreSQL will not drop the test database while another session uses it (a live-server
    thread or a stopped worker's connection that the server has not noticed yet): end them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Tests close their connections after each request (no persistent connections to leak)."""
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pristine(bundled_index: Path) -> Path:
    return bundled_index.with_name("pristine")


def restore_bundled_index(bundled_index: Path) -> None:
    """Put back the index as the session built it, in a new folder (a new inode: processes that
    had the old one open reopen it), when a test changed it (any change writes a new mark)."""
    if index_sync.read_mark(bundled_index) == index_sync.read_mark(pristine(bundled_index)):
        return
    fresh = bundled_index.with_name("restoring")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(pristine(bundled_index), fresh)
    shutil.rmtree(bundled_index, ignore_errors=True)
    fresh.rename(bundled_index)


@pytest.fixture
def bundled(settings, bundled_index):
    """Search against the index of the bundled content, as the session built it: a test that
    published, retired or caught up into it leaves nothing for the next (whose database is back
    at the session's generation)."""
    restore_bundled_index(bundled_index)
    settings.QUIZBANK_INDEX_DIR = bundled_index
    return bundled_index


@pytest.fixture
def private_index(settings, tmp_path):
    """A fresh index directory for tests that load their own files."""
    settings.QUIZBANK_INDEX_DIR = tmp_path / "index"
    return settings.QUIZBANK_INDEX_DIR


@pytest.fixture
def content_dir(tmp_path, private_index):
    """An empty content directory; write files into it with write_set()."""
    path = tmp_path / "content"
    path.mkdir()
    return path


def write_set(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def sample_text() -> str:
    return (DATA / "sample.md").read_text(encoding="utf-8")


def load(*paths, **kwargs):
    return load_questions([Path(p) for p in paths], **kwargs)


def run_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


__all__ = ["write_set", "sample_text", "load", "run_command", "search"]


@pytest.fixture
def bundled_db(bundled):
    """For transactional tests (the live server): the bundled content, reloaded after a flush."""
    from quizbank.bank.models import Question

    if not Question.objects.exists():
        load_questions([settings.QUIZBANK_CONTENT_DIR], update_index=False)
        load_tracks()
        # The flush also emptied the index clock, so the reload started a new epoch. The bundled
        # index (restored by `bundled`) holds the same content: mark it current, or the first
        # search starts rebuilding it (seconds, racing the test).
        index_sync.write_mark(bundled, index_sync.current())
    return bundled


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """A request in English leaves English active in the thread (the middleware activates it):
    every test starts from the default language."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session", autouse=True)
def celery_eager():
    """Unit tests run tasks inline; the end-to-end grading tests start a real worker and Redis."""
    from quizbank.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def context():
    """One browser context (one cookie jar) for the browser tests: its pages are tabs of the same
    signed-in user; any JavaScript error or Content-Security-Policy violation on any of them fails
    the test."""
    import os

    from tests.helpers import csp_violations
    from tests.test_browser import ARGS, CHROMIUM, playwright_api

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: scripts/test installs Debian's chromium package")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    errors = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
        context.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(str(exc))))
        context.on("console", lambda message: errors.extend(csp_violations([message])))
        yield context
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert errors == [], errors
