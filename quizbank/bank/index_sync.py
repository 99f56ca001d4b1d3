"""Keep every web node's search index in step with the database.

The index is a folder on each web node; the database is shared. Every change to what search
shows (a file load, a publish, a retirement) writes the changed question ids to a change log
(`IndexChange`) in the same transaction, numbered by one counter row (`IndexClock.generation`)
that the transaction bumps first. The bump holds the row's lock until commit, so generations
become visible in order: a node that has seen generation G has seen every change up to G.

Each node keeps, beside its index, the generation (and the clock's epoch) the index reflects. A
search first catches up — at most once every QUIZBANK_INDEX_SYNC_SECONDS per process: one query
for the clock, and when it moved, the changed questions re-indexed or dropped. So a search on any
node shows every edit committed more than that many seconds before it started. The node that
published catches up at once, on commit.

A node rebuilds its whole index instead when it has no record, when the epoch changed (a
restored database, `manage.py rebuild_index`), when the clock went backwards (a restore), when
the changes it missed were pruned, or when more than REBUILD_ABOVE questions changed. A search
that finds its index needing a rebuild starts it in a background thread and answers from the
index it has (a rebuild takes seconds per thousand questions); only a node with no usable index
makes the search wait for it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)

MARK_FILE = "quizbank-generation"
REBUILD_ABOVE = 2000  # more changed questions than this: a rebuild is faster than updates
CLOCK_ID = 1


@dataclass(frozen=True)
class Mark:
    epoch: str
    generation: int

    def __str__(self) -> str:
        return f"{self.epoch} {self.generation}"


# -- the database side --------------------------------------------------------------------


def _clock_row():
    from quizbank.bank.models import IndexClock

    row, _ = IndexClock.objects.get_or_create(pk=CLOCK_ID, defaults={"epoch": secrets.token_hex(8)})
    return row


def current() -> Mark:
    """The generation every committed change is at or below."""
    row = _clock_row()
    return Mark(row.epoch, row.generation)


def pruned_through() -> int:
    return _clock_row().pruned_through


def record(question_ids) -> int:
    """Log that these questions changed (call inside the transaction that changes them); returns
    the generation. Bumping the counter first takes its row lock until commit."""
    from quizbank.bank.models import IndexChange, IndexClock

    ids = sorted(set(question_ids))
    if not ids:
        return 0
    with transaction.atomic():
        _clock_row()
        IndexClock.objects.filter(pk=CLOCK_ID).update(generation=F("generation") + 1)
        generation = IndexClock.objects.values_list("generation", flat=True).get(pk=CLOCK_ID)
        IndexChange.objects.bulk_create(
            [IndexChange(generation=generation, question_id=q) for q in ids], batch_size=1000
        )
    return generation


def new_epoch() -> Mark:
    """Tell every node to rebuild (after a restore, or `rebuild_index`)."""
    from quizbank.bank.models import IndexClock

    with transaction.atomic():
        _clock_row()
        IndexClock.objects.filter(pk=CLOCK_ID).update(epoch=secrets.token_hex(8), generation=F("generation") + 1)
    return current()


def changed_since(mark: Mark, upto: Mark) -> list[str]:
    from quizbank.bank.models import IndexChange

    rows = IndexChange.objects.filter(generation__gt=mark.generation, generation__lte=upto.generation)
    return sorted(set(rows.values_list("question_id", flat=True)))


def prune(older_than_days: int = 7) -> int:
    """Drop log entries older than the given age (a node that far behind rebuilds)."""
    from quizbank.bank.models import IndexChange, IndexClock

    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    with transaction.atomic():
        old = IndexChange.objects.filter(created_at__lt=cutoff)
        last = max(old.values_list("generation", flat=True), default=None)
        if last is None:
            return 0
        _clock_row()
        IndexClock.objects.filter(pk=CLOCK_ID, pruned_through__lt=last).update(pruned_through=last)
        deleted, _ = IndexChange.objects.filter(generation__lte=last).delete()
    return deleted


# -- the node side --------------------------------------------------------------------------


def read_mark(index_path: Path) -> Mark | None:
    try:
        epoch, generation = (index_path / MARK_FILE).read_text().split()
        return Mark(epoch, int(generation))
    except (OSError, ValueError):
        return None


def write_mark(index_path: Path, mark: Mark) -> None:
    """Atomically (a crash leaves the old mark: the changes are applied again, harmlessly)."""
    tmp = index_path / f"{MARK_FILE}.{os.getpid()}"
    tmp.write_text(str(mark))
    tmp.replace(index_path / MARK_FILE)


def catch_up(index, *, force: bool = False, rebuild: bool = True, background: bool = False) -> str:
    """Bring `index` (a search.SearchIndex) up to the database's change log. Returns what it did:
    "skipped" (checked recently), "current", "updated", "rebuilt" or "busy" (another thread or
    process of this node is at it; this search uses the index as it is, the next check retries).
    `force` waits for the others instead. Without `rebuild` (a health probe must answer fast),
    an index that needs rebuilding is left for the next search: "stale". With `background` (a
    search), an index that still answers is rebuilt by a thread of its own: "rebuilding"."""
    interval = settings.QUIZBANK_INDEX_SYNC_SECONDS
    if not force and time.monotonic() - index.checked_at < interval:
        return "skipped"
    if not index.sync_lock.acquire(blocking=force):
        return "busy"
    try:
        index.checked_at = time.monotonic()
        return _catch_up(index, force, rebuild, background)
    finally:
        index.sync_lock.release()


def _catch_up(index, force: bool, rebuild: bool = True, background: bool = False) -> str:
    upto = current()
    mark = read_mark(index.path)
    ids: list[str] = []
    if mark is None:
        why = "no record"
    elif mark.epoch != upto.epoch or mark.generation > upto.generation:
        why = "the database was replaced"
    elif mark.generation == upto.generation:
        return "current"
    elif mark.generation < pruned_through():
        why = "missed changes were pruned"
    else:
        ids = changed_since(mark, upto)
        why = f"{len(ids)} questions changed" if len(ids) > REBUILD_ABOVE else ""
    if why:
        if not rebuild:
            return "stale"
        if background and not force and _answers(index):
            return _rebuild_in_background(index, why)
        return _rebuild(index, force, why)
    from quizbank.bank.models import Question

    rows = Question.objects.active().filter(id__in=ids).select_related("question_set").prefetch_related("tags")
    changed = list(rows)
    found = {q.id for q in changed}
    if not index.update(changed, [q for q in ids if q not in found], wait=force):
        return "busy"
    write_mark(index.path, upto)
    return "updated"


def _answers(index) -> bool:
    """Whether the index can serve searches while a new one is built."""
    try:
        return index.searcher().doc_count() > 0
    except Exception:  # noqa: BLE001 — missing, damaged or built by an older analyser
        return False


def _rebuild_in_background(index, why: str) -> str:
    """One thread per index object; the lock file keeps it to one rebuild per node."""
    if index.rebuild_thread is not None and index.rebuild_thread.is_alive():
        return "rebuilding"

    def run() -> None:
        try:
            _rebuild(index, False, why)
        except Exception:  # noqa: BLE001 — the next search tries again
            logger.exception("rebuilding the search index at %s failed", index.path)
        finally:
            connections.close_all()  # this thread's own connections

    index.rebuild_thread = threading.Thread(target=run, name="quizbank-index-rebuild", daemon=True)
    index.rebuild_thread.start()
    return "rebuilding"


def _rebuild(index, force: bool, why: str) -> str:
    """One rebuild per node at a time (a lock file beside the index); a process that finds one
    under way carries on with the index it has."""
    from quizbank.bank.search import indexable_questions

    index.path.parent.mkdir(parents=True, exist_ok=True)
    with open(index.path.with_name(index.path.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if force else fcntl.LOCK_NB))
        except BlockingIOError:
            return "busy"
        upto = current()
        if read_mark(index.path) == upto:
            return "current"  # another process rebuilt it while this one waited
        logger.info("rebuilding the search index at %s: %s", index.path, why)
        # the questions are read after the clock: a change committed meanwhile is applied again later
        index.rebuild(indexable_questions(), mark=upto)
    return "rebuilt"


def lag(index) -> dict:
    """For /healthz: the index's generation against the database's."""
    upto, mark = current(), read_mark(index.path)
    behind = None if mark is None or mark.epoch != upto.epoch else upto.generation - mark.generation
    return {"generation": mark.generation if mark else None, "database": upto.generation, "behind": behind}
