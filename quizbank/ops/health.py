"""What /healthz checks: the database answers, the Celery broker accepts a connection, and this
node's search index opens with documents in it (and catches up, short of a rebuild). Plain
functions, each returning a Check."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


def _timed(name: str, probe) -> Check:
    start = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as exc:  # noqa: BLE001 — a failing dependency is the answer, not an error
        detail, ok = f"{type(exc).__name__}: {str(exc)[:200]}", False
    return Check(name, ok, detail, round((time.perf_counter() - start) * 1000, 1))


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker() -> str:
    from quizbank.celery import app

    if app.conf.broker_url == "filesystem://":
        folder = Path(app.conf.broker_transport_options["data_folder_in"])
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise OSError(f"embedded broker folder {folder} is not writable")
        return "filesystem"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return conn.transport.driver_name


def _search_index() -> str:
    """Also applies the changes published elsewhere (at most every QUIZBANK_INDEX_SYNC_SECONDS): a
    load balancer's probe keeps an idle node current. Never a rebuild: a probe answers fast."""
    from quizbank.bank import index_sync
    from quizbank.bank.search import catch_up, default_index

    catch_up(rebuild=False)
    index = default_index()
    documents = index.searcher().doc_count()
    if documents == 0:
        raise LookupError("the search index is empty")
    lag = index_sync.lag(index)
    if lag["behind"] is None:  # no record, or built from a database since replaced
        return f"{documents} documents, to be rebuilt by the next search (database generation {lag['database']})"
    return f"{documents} documents, generation {lag['generation']} of {lag['database']}"


def run_checks() -> list[Check]:
    return [_timed("database", _database), _timed("broker", _broker), _timed("search_index", _search_index)]


def healthy(checks: list[Check]) -> bool:
    return all(check.ok for check in checks)
