"""Backups on the database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL): a learner's
data — account, cards and review logs, a note, a graded answer, an interview — backed up,
destroyed, restored and compared row by row with what was there; a restore refuses a database
that is not empty, a missing file, a file of the other kind and a file that is no backup."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from whoosh import index as whoosh_index

from quizbank.bank.models import Question
from quizbank.grading import services as grading
from quizbank.grading.models import Attempt, Grade
from quizbank.interviews import services as interviews
from quizbank.interviews.models import Interview, Turn
from quizbank.practice import services as practice
from quizbank.practice.models import Card, QuestionNote, ReviewLog
from tests.conftest import run_command
from tests.interview_factories import STRONG, WEAK, make_interview_set, make_track, start
from tests.practice_factories import learn, make_deck, make_user

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}


@pytest.fixture
def db_of_its_own(private_index):
    """Only this test's rows (a small index to rebuild); the tables put back if a test failed
    between dropping and restoring them."""
    call_command("flush", interactive=False, verbosity=0)
    yield
    if not connection.introspection.table_names():
        call_command("migrate", interactive=False, verbosity=0)


# the restore's rebuild_index starts a new index epoch (bank/index_sync.py): bookkeeping, not data
INDEX_CLOCK = "bank.IndexClock"


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table Django knows, in primary-key order (the index clock aside)."""
    return {
        m._meta.label: list(m._base_manager.order_by("pk").values())
        for m in apps.get_models()
        if m._meta.label != INDEX_CLOCK
    }


def make_learners_data():
    user = make_user("learner")
    questions = make_interview_set("bk")
    first, second = Question.objects.filter(question_set=questions).order_by("position")[:2]
    learn(user, make_deck(user, questions), first, timezone.now())
    practice.toggle_star(user=user, question=first)
    practice.save_note(user=user, question=first, text="先说方差，再说饱和")
    grading.submit(user=user, question=second, text=STRONG)  # graded at once (eager Celery in tests)
    interview = start(user, make_track(topics={"bk": 1}))
    interviews.answer(interview, 1, WEAK, queue=False)
    owner = {Grade: "attempt__user", Turn: "interview__user"}
    for model in (Card, ReviewLog, QuestionNote, Attempt, Grade, Interview, Turn):
        assert model.objects.filter(**{owner.get(model, "user"): user}).exists(), model
    return user


def drop_every_table():
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
        else:
            cursor.execute(f"DROP TABLE {', '.join(map(connection.ops.quote_name, tables))} CASCADE")
    assert connection.introspection.table_names() == []


def back_up(tmp_path) -> Path:
    path = tmp_path / "backups" / f"quizbank{SUFFIX[connection.vendor]}"
    assert "backed up" in run_command("backup", str(path))
    assert path.stat().st_mode & 0o077 == 0  # password hashes and answers: the owner's eyes only
    return path


def test_a_backup_restored_into_an_empty_database_brings_back_every_row(db_of_its_own, tmp_path, private_index):
    make_learners_data()
    before = snapshot()
    path = back_up(tmp_path)
    drop_every_table()
    from django.core.cache import cache

    cache.set("practice:deck:kept-before-the-restore", {"fields": {}})  # ids are handed out again after it

    out = run_command("restore", str(path))

    assert "restored" in out and "indexed 4 questions" in out and "cache cleared" in out
    assert cache.get("practice:deck:kept-before-the-restore") is None
    assert snapshot() == before
    assert whoosh_index.open_dir(str(private_index)).doc_count() == 4
    if connection.vendor == "postgresql":  # the planner has statistics for the restored rows
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'bank_question'")
            assert cursor.fetchone()[0] > 0
    # the restored database works on: a new answer and a new card
    user = make_user("after-restore")
    assert grading.submit(user=user, question=Question.objects.get(id="bk-q3"), text=WEAK).pk


def test_a_restore_refuses_a_database_that_is_not_empty_unless_told_to_replace_it(db_of_its_own, tmp_path):
    learner = make_learners_data()
    before = snapshot()
    path = back_up(tmp_path)
    learner.delete()  # the accident: every card, answer and interview of theirs goes with it
    make_user("signed-up-since")
    after_accident = snapshot()

    with pytest.raises(CommandError, match="not empty.*--replace"):
        run_command("restore", str(path))
    assert snapshot() == after_accident  # refused before touching anything

    run_command("restore", str(path), "--replace")
    assert snapshot() == before


def the_other_kind(tmp_path) -> Path:
    """A well-formed backup of the kind the suite's database is not."""
    path = tmp_path / "other"
    if connection.vendor == "sqlite":
        path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))
    else:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY)")
        db.close()
    return path


def not_quizbank(tmp_path) -> Path:
    """A whole backup of the right kind, of some other database (no django_migrations)."""
    path = tmp_path / "stranger"
    if connection.vendor == "sqlite":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        db.close()
    else:
        path.write_bytes(b"PGDMP" + bytes(200))  # pg_restore cannot read it
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.pgdump", "no backup file"),
        (lambda tmp: Path(__file__), "is not a QuizBank backup"),
        (the_other_kind, "backup but the configured database is"),
        (not_quizbank, "is not a QuizBank backup|pg_restore 失败"),
    ],
    ids=["missing", "not-a-backup", "other-kind", "other-database"],
)
def test_a_restore_that_cannot_work_says_why_and_changes_nothing(db_of_its_own, tmp_path, make, message):
    make_user("still-here")
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        run_command("restore", str(make(tmp_path)))
    assert snapshot() == before


def test_a_backup_never_overwrites_a_file(db_of_its_own, tmp_path):
    existing = tmp_path / "taken.sqlite3"
    existing.write_text("an older backup")
    with pytest.raises(CommandError, match="already exists"):
        run_command("backup", str(existing))
    assert existing.read_text() == "an older backup"


def test_a_restore_error_exits_non_zero_with_the_message(tmp_path):
    """As an operator sees it: manage.py's exit status and stderr."""
    missing = tmp_path / "nothing.sqlite3"
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(missing)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1 and f"no backup file at {missing}" in done.stderr
