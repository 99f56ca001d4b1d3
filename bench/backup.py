"""Backup and restore of the real bank with learners in it, timed as an operator runs them.

    .venv/bin/python bench/backup.py --server postgres://quizbank@127.0.0.1:PORT/quizbank [--users 200]
    .venv/bin/python bench/backup.py [--users 200]          # SQLite in a temporary folder

With --server it creates two throwaway databases on that server (the role needs CREATEDB) and drops
them after. It loads content/ (the bundled bank) and tracks, then adds N users, each with a deck,
--cards review cards with one review log each, 20 graded answers and a finished interview's turns.
Then, each as its own `manage.py` process: `backup`, and `restore` into the second, empty database
(which runs migrate and rebuild_index). Reference in the same run: `load_questions` of content/
into the first database (the bank rebuilt from git, with its index and no learner data).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import ROOT


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


def manage(env: dict, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout


def learners(users: int, cards: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from quizbank.bank.models import Question
    from quizbank.grading.models import Attempt, AttemptStatus, Grade
    from quizbank.interviews.models import Interview, Status, Turn
    from quizbank.practice.models import Card, Deck, ReviewLog

    now = timezone.now()
    questions = list(Question.objects.order_by("id"))
    password = make_password("a-long-password-1")
    User = get_user_model()
    User.objects.bulk_create([User(username=f"learner{i}", password=password) for i in range(users)])
    for user in User.objects.filter(username__startswith="learner"):
        Deck.objects.create(user=user, name="全部题集")
        made = []
        for i, question in enumerate(questions[:cards]):
            due = now + timedelta(days=i % 30)
            state = {"state": 2, "step": None, "stability": 10.0, "difficulty": 5.0}
            state |= {"due": due.isoformat(), "last_review": (due - timedelta(days=10)).isoformat()}
            made.append(Card(user=user, question=question, state=state, phase=2, due=due, interval_days=10, reps=1))
        Card.objects.bulk_create(made)
        ReviewLog.objects.bulk_create(
            ReviewLog(
                card=c,
                user=user,
                question=c.question,
                rating=3,
                kind="review",
                reviewed_at=now,
                state_before=c.state,
                state_after=c.state,
                card_before={"lapses": 0, "reps": 0, "is_leech": False},
            )
            for c in made
        )
        attempts = Attempt.objects.bulk_create(
            Attempt(
                user=user,
                question=q,
                question_version=q.version,
                text=q.answer_md[:600],
                status=AttemptStatus.GRADED,
                score=80,
                runs=1,
            )
            for q in questions[:20]
        )
        Grade.objects.bulk_create(
            Grade(
                attempt=a,
                score=80,
                points=[{"index": 0, "status": "covered", "evidence": a.text[:40]}],
                grader="offline",
                cache_key=f"{a.pk}",
            )
            for a in attempts
        )
        interview = Interview.objects.create(
            user=user,
            title="RAG 一面",
            plan=[q.id for q in questions[:5]],
            seconds_per_question=300,
            status=Status.FINISHED,
            started_at=now,
            ends_at=now,
            finished_at=now,
        )
        Turn.objects.bulk_create(
            Turn(
                interview=interview,
                number=n,
                question=questions[n],
                prompt=questions[n].title,
                asked_at=now,
                limit_seconds=300,
                outcome="answered",
                attempt=attempts[n],
            )
            for n in range(5)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="", help="postgres://USER@HOST:PORT/DB (a role with CREATEDB)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--cards", type=int, default=300, help="review cards (and logs) per user")
    args = parser.parse_args()
    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="quizbank-bench-backup-"))
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "quizbank.settings", "QUIZBANK_VAR_DIR": str(work)}
    if args.server:
        names = ["qb_bench_backup_src", "qb_bench_backup_dst"]
        for name in names:
            admin(args.server, f"DROP DATABASE IF EXISTS {name}")
            admin(args.server, f"CREATE DATABASE {name}")
        source = base | {"DATABASE_URL": with_database(args.server, names[0])}
        target = base | {"DATABASE_URL": with_database(args.server, names[1])}
    else:
        source = base | {"QUIZBANK_DB_PATH": str(work / "source.sqlite3")}
        target = base | {"QUIZBANK_DB_PATH": str(work / "target.sqlite3")}
    source["QUIZBANK_INDEX_DIR"], target["QUIZBANK_INDEX_DIR"] = str(work / "index-src"), str(work / "index-dst")
    try:
        os.environ.update(source)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        reference, _ = manage(source, "load_questions")
        manage(source, "load_tracks")
        started = time.perf_counter()
        learners(args.users, args.cards)
        generate = time.perf_counter() - started
        from django.db import connection

        connection.close()
        rows = json.loads(manage(source, "shell", "-c", RECOUNT)[1].splitlines()[-1])
        backup_file = work / "bank.backup"
        backup_wall, out = manage(source, "backup", str(backup_file))
        restore_wall, restored = manage(target, "restore", str(backup_file))
        after = json.loads(manage(target, "shell", "-c", RECOUNT)[1].splitlines()[-1])
        assert after == rows, (after, rows)
        figure = lambda pattern, text: float(re.search(pattern, text).group(1))  # noqa: E731
        print(
            json.dumps(
                {
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "load_average_at_start": load,
                    "database": "PostgreSQL" if args.server else "SQLite",
                    "rows": sum(rows.values()),
                    "users": args.users,
                    "cards": rows.get("practice.Card", 0),
                    "backup_mb": round(backup_file.stat().st_size / 1e6, 1),
                    "generate_learners_s": round(generate, 1),
                    "backup_s": figure(r"in ([\d.]+)s", out),
                    "backup_wall_s": round(backup_wall, 1),
                    "restore_s": figure(r"restored: .* in ([\d.]+)s", restored),
                    "rebuild_index_s": figure(r"indexed \d+ questions in ([\d.]+)s", restored),
                    "restore_all_s": figure(r"done in ([\d.]+)s", restored),
                    "restore_wall_s": round(restore_wall, 1),
                    "reference_load_questions_wall_s": round(reference, 1),
                    "rows_match": True,
                },
                indent=1,
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.server:
            from django.db import connection

            connection.close()
            for name in names:
                admin(args.server, f"DROP DATABASE IF EXISTS {name}")


RECOUNT = (
    "import json; from django.apps import apps;"
    "print(json.dumps({m._meta.label: m._base_manager.count() for m in apps.get_models() if m._base_manager.exists()}))"
)

if __name__ == "__main__":
    main()
