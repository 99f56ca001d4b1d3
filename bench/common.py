"""What the benchmarks share: a private Django environment in a temporary folder, percentiles,
free loopback ports."""

from __future__ import annotations

import os
import platform
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_in(work: Path) -> None:
    """Point the settings at a database and index inside `work`, set Django up, migrate."""
    os.environ.update(
        QUIZBANK_VAR_DIR=str(work),
        QUIZBANK_DB_PATH=str(work / "db.sqlite3"),
        QUIZBANK_INDEX_DIR=str(work / "index"),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "quizbank.settings"),
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values, p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict:
    """What the figures were measured on, with the load average at the start (the machine is shared)."""
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def analyze_tables() -> None:
    """Planner statistics after a bulk load, as autovacuum gathers them within a minute on a live
    server: without them PostgreSQL guesses 6 questions in a set of 10,000 and picks the card by
    walking every question of the deck (40 ms instead of 0.4 ms)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("bank_question", "bank_questionset", "practice_card", "practice_reviewlog"):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
