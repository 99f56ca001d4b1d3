"""How cost grows: questions (10k, 50k, 100k: load, index, search against FTS5) and users (1, 100,
1,000 with 1,000 due cards each: next card) on SQLite and on a throwaway PostgreSQL.

    .venv/bin/python bench/scale.py [--questions 10000 50000 100000] [--users 1 100 1000]
                                    [--part questions users] [--no-postgres]

Each question count runs bench/foundation.py in its own process (its own database and index).
Users: one set of 1,000 questions, every user a deck of it and 1,000 review cards all due; the
first user's cards are made by the practice factories, the others copied from them with one
INSERT … SELECT. "next card" is `practice.services.next_card` called in-process (what the study
view calls: today's counts, the due card, the capped queue counts), for a sample of users; the
reference in the same run is fetching one question by primary key. After each level's insert the
tables are analysed (PostgreSQL), as autovacuum does within a minute on a live server. Prints a
JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, analyze_tables, django_in, free_port, percentile

BENCH = Path(__file__).resolve().parent
CARDS_PER_USER = 1_000


def questions_run(n: int, repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, str(BENCH / "foundation.py"), "--questions", str(n), "--repeat", str(repeat)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(out)


def _timed_ms(fn, calls: list) -> list[float]:
    samples = []
    for args in calls:
        started = time.perf_counter()
        fn(*args)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _add_users(start: int, end: int, qs, cards_from=None) -> list:
    """Users start..end-1, each with settings, a deck of `qs` and a copy of `cards_from`'s cards."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from quizbank.practice.models import Card, Deck, PracticeSettings

    user_model = get_user_model()
    names = [f"scale{i:05d}" for i in range(start, end)]
    user_model.objects.bulk_create([user_model(username=n, password="!") for n in names], batch_size=1000)
    users = list(user_model.objects.filter(username__in=names))
    PracticeSettings.objects.bulk_create([PracticeSettings(user=u) for u in users], batch_size=1000)
    Deck.objects.bulk_create([Deck(user=u, name="scale") for u in users], batch_size=1000)
    through = Deck.topics.through
    decks = Deck.objects.filter(user__in=users).values_list("pk", flat=True)
    through.objects.bulk_create([through(deck_id=pk, questionset_id=qs.pk) for pk in decks])
    if cards_from is not None:
        columns = [f.column for f in Card._meta.concrete_fields if f.column not in ("id", "user_id")]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Card._meta.db_table} (user_id, {', '.join(columns)}) "
                f"SELECT u.id, {', '.join('c.' + c for c in columns)} "
                f"FROM {Card._meta.db_table} c, {user_model._meta.db_table} u "
                f"WHERE c.user_id = %s AND u.username >= %s AND u.username <= %s",
                [cards_from.pk, names[0], names[-1]],
            )
    return users


def users_run(levels: list[int], samples: int) -> dict:
    """In this process: Django on the database the environment names (SQLite or DATABASE_URL)."""
    from django.db import connection
    from django.utils import timezone

    from quizbank.bank.models import Question
    from quizbank.practice import services
    from quizbank.practice.models import Card, Deck
    from tests.practice_factories import make_review_cards, make_set

    now = timezone.now()
    qs = make_set("scale", CARDS_PER_USER)
    question_ids = list(Question.objects.values_list("id", flat=True))
    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else connection.pg_version
    report: dict = {"database": f"{connection.vendor} {version}", "samples": samples}
    rng = random.Random(13)
    first = _add_users(0, 1, qs)[0]
    make_review_cards(first, qs, now, overdue_days=2)
    made = 1
    for level in levels:
        started = time.perf_counter()
        if level > made:
            _add_users(made, level, qs, cards_from=first)
            made = level
        insert_s = time.perf_counter() - started
        analyze_tables()  # as autovacuum does within a minute of a bulk insert (PostgreSQL)
        assert Card.objects.count() == level * CARDS_PER_USER
        decks = list(Deck.objects.select_related("user").order_by("id")[:level])
        picks = [(rng.choice(decks),) for _ in range(samples)]
        for (deck,) in picks[:20]:  # warm: prepared statements, caches
            services.next_card(user=deck.user, deck=deck, now=now)
        next_ms = _timed_ms(lambda d: services.next_card(user=d.user, deck=d, now=now), picks)
        by_pk = [(rng.choice(question_ids),) for _ in range(samples)]
        ref_ms = _timed_ms(lambda pk: Question.objects.get(pk=pk), by_pk)
        report[f"{level}_users"] = {
            "cards": level * CARDS_PER_USER,
            "insert_s": round(insert_s, 2),
            "next_card_p50_ms": round(percentile(next_ms, 50), 2),
            "next_card_p99_ms": round(percentile(next_ms, 99), 2),
            "question_by_pk_p50_ms": round(percentile(ref_ms, 50), 3),
            "question_by_pk_p99_ms": round(percentile(ref_ms, 99), 3),
            "ratio_p99": round(percentile(next_ms, 99) / percentile(ref_ms, 99), 1),
        }
    return report


def users_in_subprocess(levels: list[int], samples: int, database_url: str = "") -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    args = [sys.executable, __file__, "--part", "users-here", "--samples", str(samples), "--users", *map(str, levels)]
    return json.loads(subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout)


def postgres_users(levels: list[int], samples: int) -> dict:
    data = Path(tempfile.mkdtemp(prefix="quizbank-scale-pg-"))
    data.chmod(0o755)  # as root the server runs as the postgres user, which must reach its directory
    url = subprocess.run(
        [str(ROOT / "scripts/pg"), "start", str(data / "pg"), str(free_port())],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.strip()
    try:
        return users_in_subprocess(levels, samples, url)
    finally:
        subprocess.run([str(ROOT / "scripts/pg"), "stop", str(data / "pg")], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the query set")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 100, 1_000])
    parser.add_argument("--samples", type=int, default=300, help="next-card calls per level")
    parser.add_argument("--part", nargs="+", default=["questions", "users"])
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.part == ["users-here"]:
        django_in(Path(tempfile.mkdtemp(prefix="quizbank-scale-users-")))
        print(json.dumps(users_run(args.users, args.samples)))
        return
    report: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
    }
    if "users" in args.part:
        report["users_sqlite"] = users_in_subprocess(args.users, args.samples)
        if not args.no_postgres:
            report["users_postgres"] = postgres_users(args.users, args.samples)
    if "questions" in args.part:
        report["questions"] = []
        for n in args.questions:
            report["questions"].append(questions_run(n, args.repeat))
            print(json.dumps(report["questions"][-1], ensure_ascii=False), file=sys.stderr, flush=True)
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
