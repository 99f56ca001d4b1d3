"""In-process profile of "next card" and "rate": the Django test client signed in as the
10,000-card user of bench/practice.py, every SQL statement counted (execute_wrapper), cProfile.

    .venv/bin/python bench/practice_profile.py [--pairs 100] [--profile] [--database-url URL]

Without --database-url the embedded SQLite in a temporary folder; with it, a PostgreSQL (e.g. a
throwaway one from `scripts/pg start DIR PORT`). Prints ms per request and statements per request.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import analyze_tables, django_in, machine
from practice import SETTINGS, URLS

CARD_RE = re.compile(r'data-question="([^"]+)"')
TOKEN_RE = re.compile(r"token=([0-9a-z]+)")


def setup(work: Path, database_url: str | None, analyze: bool = True) -> dict:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    # bench/practice.py's settings and URLconf: the app plus its plain page, the reference
    (work / "bench_settings.py").write_text(SETTINGS)
    (work / "bench_urls.py").write_text(URLS)
    sys.path.insert(0, str(work))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    django_in(work)
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils import timezone

    from quizbank.practice.models import Deck, PracticeSettings
    from tests.practice_factories import make_review_cards, make_set

    # bench/practice.py's 10,000-card user (its 100 smaller users are left out: they only add rows)
    qs = make_set("bench", 10_000)
    user = get_user_model().objects.create_user("solo", password="bench-password-123")
    PracticeSettings.objects.create(user=user, new_per_day=0, reviews_per_day=100_000)
    deck = Deck.objects.create(user=user, name="bench")
    deck.topics.set([qs])
    make_review_cards(user, qs, timezone.now(), overdue_days=2, limit=10_000)
    del BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    if analyze:
        analyze_tables()
    return {"user": user, "deck": deck.pk}


def run(pairs: int, data: dict, profile: bool) -> dict:
    from django.db import close_old_connections, connection
    from django.db.backends.signals import connection_created
    from django.test import Client

    client = Client(HTTP_HX_REQUEST="true", HTTP_HOST="127.0.0.1")
    client.force_login(data["user"])
    statements: Counter = Counter()
    sql_time: Counter = Counter()
    first_pair: list[str] = []
    current = {"action": ""}

    def count(execute, sql, params, many, context):
        statements[current["action"]] += 1
        if len(first_pair) < 40:
            first_pair.append(f"{current['action']}: {sql[:150]}")
        statements[(current["action"], sql.split(" ", 1)[0].upper())] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[(current["action"], sql)] += time.perf_counter() - started

    url = f"/practice/decks/{data['deck']}/"
    rate_url = f"/practice/decks/{data['deck']}/rate/"
    times = {"warm-up": 0.0, "next": 0.0, "rate": 0.0, "plain": 0.0}
    profiler = cProfile.Profile() if profile else None

    def trace(sql):  # SQLite's own view: also the connection's PRAGMAs, BEGIN, COMMIT, savepoints
        statements[(current["action"], "raw")] += 1
        statements[(current["action"], "raw " + sql.split(" ", 1)[0].upper())] += 1

    def connected(sender, connection, **kwargs):
        statements[(current["action"], "connect")] += 1
        if connection.vendor == "sqlite":
            connection.connection.set_trace_callback(trace)

    is_usable = connection.is_usable

    def usable():  # CONN_HEALTH_CHECKS: a SELECT 1 outside the execute wrappers
        statements[(current["action"], "health check")] += 1
        return is_usable()

    connection.is_usable = usable
    connection_created.connect(connected)
    connection.close()  # the next request opens one we trace

    def request(action, method, *args):
        # as a server does at the end of each request (the test client leaves the connection open)
        current["action"] = action
        started = time.perf_counter()
        response = method(*args)
        close_old_connections()
        times[action] += time.perf_counter() - started
        return response

    with connection.execute_wrapper(count):
        # warm-up: templates compiled, connection opened
        for _ in range(3):
            request("warm-up", client.get, url)
        statements.clear()
        first_pair.clear()
        times["warm-up"] = 0.0
        if profiler:
            profiler.enable()
        for _ in range(pairs):
            page = request("next", client.get, url).content.decode()
            question, token = CARD_RE.search(page).group(1), TOKEN_RE.search(page).group(1)
            response = request("rate", client.post, rate_url, {"question": question, "token": token, "rating": "3"})
            assert response.status_code == 200, response.content[:300]
            request("plain", client.get, "/bench/plain/")
        if profiler:
            profiler.disable()
    result = {
        "ms_per_request": {k: round(v * 1000 / pairs, 2) for k, v in times.items()},
        # the plain page (a template and one query, the same signed-in client) against a card
        "plain_over_next_rate": round(2 * times["plain"] / (times["next"] + times["rate"]), 3),
        "statements_per_request": {
            (k if isinstance(k, str) else "/".join(k)): round(v / pairs, 2)
            for k, v in sorted(statements.items(), key=str)
        },
    }
    result["first_pair"] = first_pair
    result["slowest_statements_ms_per_request"] = [
        [action, round(seconds * 1000 / pairs, 2), sql[:300]] for (action, sql), seconds in sql_time.most_common(6)
    ]
    if profiler:
        if os.environ.get("PROFILE_OUT"):
            profiler.dump_stats(os.environ["PROFILE_OUT"])
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--database-url")
    parser.add_argument("--no-analyze", action="store_true", help="leave PostgreSQL without statistics")
    args = parser.parse_args()
    print(json.dumps(machine()))
    with tempfile.TemporaryDirectory() as tmp:
        data = setup(Path(tmp), args.database_url, analyze=not args.no_analyze)
        database = os.environ.get("DATABASE_URL", "sqlite").split("@")[-1]
        print(json.dumps({"database": database, **run(args.pairs, data, args.profile)}, indent=1))


if __name__ == "__main__":
    main()
