"""Several web nodes, one database: each node's search index catches up from the change log
(bank/index_sync.py). Two index folders stand for two nodes; the last test runs node B as a
separate process."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from quizbank.bank import index_sync
from quizbank.bank.loader import question_data
from quizbank.bank.models import IndexChange, Question
from quizbank.bank.publishing import publish_question, retire_question
from quizbank.bank.search import SearchIndex, catch_up, indexable_questions

WORD = "zyxwvpublished"  # a word no question has


@pytest.fixture
def nodes(tmp_path, settings, bundled):
    """Two nodes' indexes of the bundled bank, both current."""
    settings.QUIZBANK_INDEX_SYNC_SECONDS = 2
    a, b = SearchIndex(tmp_path / "a"), SearchIndex(tmp_path / "b")
    for node in (a, b):
        node.rebuild(indexable_questions(), mark=index_sync.current())
    return a, b


def found(node: SearchIndex, text: str = WORD) -> list[str]:
    return [hit.id for hit in node.search(text)[0]]


def publish_title(question: Question, title: str) -> Question:
    data = dataclasses.replace(question_data(question), title=title)
    return publish_question(data, question_set=question.question_set, base_version=question.version)


@pytest.mark.django_db
def test_an_edit_published_on_one_node_reaches_the_other(nodes):
    a, b = nodes
    question = Question.objects.active().first()
    publish_title(question, f"{question.title} {WORD}")
    assert found(b) == []
    assert index_sync.catch_up(b, force=True) == "updated"
    assert found(b) == [question.id]
    assert index_sync.read_mark(b.path) == index_sync.current()
    # node A has not looked yet; it catches up the same way
    assert found(a) == []
    assert index_sync.catch_up(a, force=True) == "updated"
    assert found(a) == [question.id]
    assert index_sync.catch_up(a, force=True) == "current"


@pytest.mark.django_db
def test_a_retired_question_leaves_every_node(nodes):
    a, b = nodes
    question = Question.objects.active().first()
    publish_title(question, f"{question.title} {WORD}")
    index_sync.catch_up(b, force=True)
    assert found(b) == [question.id]
    retire_question(question)
    index_sync.catch_up(b, force=True)
    assert found(b) == []
    assert b.searcher().doc_count() == Question.objects.active().count()


@pytest.mark.django_db
def test_a_node_checks_at_most_every_sync_interval(nodes, settings):
    _, b = nodes
    b.checked_at = time.monotonic()
    question = Question.objects.active().first()
    publish_title(question, f"{question.title} {WORD}")
    assert index_sync.catch_up(b) == "skipped"  # checked a moment ago
    b.checked_at -= settings.QUIZBANK_INDEX_SYNC_SECONDS
    assert index_sync.catch_up(b) == "updated"
    assert found(b) == [question.id]


@pytest.mark.django_db
def test_changes_committed_later_with_an_older_id_are_not_skipped(nodes):
    """The node asks for generations, not row ids: a change's generation is fixed by the clock
    row it bumped, and a later generation commits after it."""
    _, b = nodes
    first, second = Question.objects.active()[:2]
    publish_title(first, f"{first.title} {WORD}")
    publish_title(second, f"{second.title} {WORD}")
    generations = list(IndexChange.objects.order_by("id").values_list("generation", flat=True))
    assert generations == sorted(generations) and len(set(generations[-2:])) == 2
    index_sync.catch_up(b, force=True)
    assert sorted(found(b)) == sorted([first.id, second.id])


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["new epoch", "clock went back", "pruned", "too many", "no record"])
def test_a_node_rebuilds_when_updates_cannot_bring_it_up_to_date(nodes, how, monkeypatch):
    _, b = nodes
    question = Question.objects.active().first()
    publish_title(question, f"{question.title} {WORD}")
    if how == "new epoch":
        index_sync.new_epoch()
    elif how == "clock went back":  # a database restored from a backup
        index_sync.write_mark(b.path, dataclasses.replace(index_sync.current(), generation=10**6))
    elif how == "pruned":
        IndexChange.objects.update(created_at=index_sync.timezone.now() - index_sync.timezone.timedelta(days=8))
        assert index_sync.prune(older_than_days=7) >= 1
        assert not IndexChange.objects.exists()
    elif how == "too many":
        monkeypatch.setattr(index_sync, "REBUILD_ABOVE", 0)
    else:
        (b.path / index_sync.MARK_FILE).unlink()
    assert index_sync.catch_up(b, force=True) == "rebuilt"
    assert found(b) == [question.id]
    assert index_sync.read_mark(b.path) == index_sync.current()


@pytest.mark.django_db
def test_a_node_whose_index_is_locked_by_another_process_retries_later(nodes, settings):
    _, b = nodes
    settings.QUIZBANK_INDEX_SYNC_SECONDS = 0
    question = Question.objects.active().first()
    before = index_sync.read_mark(b.path)
    publish_title(question, f"{question.title} {WORD}")
    holder = b._open().writer()  # another gunicorn worker on this node, mid-update
    try:
        assert index_sync.catch_up(b) == "busy"
        assert index_sync.read_mark(b.path) == before
    finally:
        holder.cancel()
    assert index_sync.catch_up(b) == "updated"
    assert found(b) == [question.id]


@pytest.mark.django_db
def test_nothing_is_logged_for_a_publish_that_rolls_back(nodes):
    question = Question.objects.active().first()
    before = index_sync.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_title(question, f"{question.title} {WORD}")
        raise RuntimeError
    assert index_sync.current() == before
    assert index_sync.catch_up(nodes[1], force=True) == "current"


@pytest.mark.django_db
def test_healthz_reports_the_index_generation(client, bundled, settings):
    settings.QUIZBANK_INDEX_SYNC_SECONDS = 0
    body = client.get("/healthz").json()
    generation = index_sync.current().generation
    assert body["checks"]["search_index"]["detail"].endswith(f"generation {generation} of {generation}")
    index_sync.new_epoch()  # a restore elsewhere: the probe says so and leaves the rebuild to a search
    check = client.get("/healthz").json()["checks"]["search_index"]
    assert check["ok"] and "to be rebuilt by the next search" in check["detail"]


NODE_B = """
import sys, time, django
django.setup()
from quizbank.bank import search
print("ready", search.catch_up(force=True), flush=True)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    hits = search.search(sys.argv[1])[0]
    if hits:
        print("found", hits[0].id, flush=True)
        break
    time.sleep(0.05)
else:
    print("not found", flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_a_publish_reaches_another_node_process_within_the_sync_interval(bundled_db, tmp_path):
    """Node B is its own process with its own index folder and the same database."""
    from tests.fault_stack import worker_database

    sync_seconds = 2
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "quizbank.settings",
        **worker_database(),
        "QUIZBANK_VAR_DIR": str(tmp_path),
        "QUIZBANK_INDEX_DIR": str(tmp_path / "node-b"),
        "QUIZBANK_INDEX_SYNC_SECONDS": str(sync_seconds),
    }
    root = Path(__file__).resolve().parent.parent
    node_b = subprocess.Popen(
        [sys.executable, "-c", NODE_B, WORD, "30"], cwd=root, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert node_b.stdout.readline().split() == ["ready", "rebuilt"]  # a new node builds its index
        question = Question.objects.active().first()
        catch_up(force=True)  # this process's own index (node A) too: its on-commit update is then quick
        connection.close()
        published = time.monotonic()
        publish_title(question, f"{question.title} {WORD}")
        line = node_b.stdout.readline().split()
        waited = time.monotonic() - published
        assert line == ["found", question.id]
        assert waited < sync_seconds + 8  # the interval, plus node A's update and node B's on a busy machine
    finally:
        node_b.kill()
        node_b.wait()


@pytest.mark.django_db
def test_while_another_process_rebuilds_a_node_searches_the_index_it_has(nodes, settings):
    import fcntl

    _, b = nodes
    settings.QUIZBANK_INDEX_SYNC_SECONDS = 0
    index_sync.new_epoch()  # every node must rebuild
    with open(b.path.with_name(b.path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another gunicorn worker on this node is rebuilding
        assert index_sync.catch_up(b) == "busy"
        assert b.search("LoRA")[0]  # the old index still answers
    assert index_sync.catch_up(b) == "rebuilt"
    assert index_sync.catch_up(b) == "current"


@pytest.mark.django_db
def test_an_edit_that_removes_a_word_removes_the_hit(nodes):
    """The updated document replaces the old one: the old version's words find nothing."""
    _, b = nodes
    question = Question.objects.active().first()
    title = question.title
    question = publish_title(question, f"{title} {WORD}")
    index_sync.catch_up(b, force=True)
    assert found(b) == [question.id]
    publish_title(question, title)
    index_sync.catch_up(b, force=True)
    assert found(b) == []
    assert b.searcher().doc_count() == Question.objects.active().count()


@pytest.mark.django_db(transaction=True)
def test_a_search_rebuilds_an_outdated_index_in_the_background_and_answers_meanwhile(
    bundled_db, tmp_path, settings, monkeypatch
):
    import threading

    from quizbank.bank import search as search_module

    settings.QUIZBANK_INDEX_SYNC_SECONDS = 0
    node = SearchIndex(tmp_path / "node")
    node.rebuild(indexable_questions(), mark=index_sync.current())
    old = index_sync.read_mark(node.path)
    new = index_sync.new_epoch()  # a restore, or rebuild_index on another node
    started, release = threading.Event(), threading.Event()
    questions = search_module.indexable_questions

    def held():  # the rebuild waits inside its question stream until the test has looked
        started.set()
        release.wait(60)
        yield from questions()

    monkeypatch.setattr(search_module, "indexable_questions", held)
    assert index_sync.catch_up(node, background=True) == "rebuilding"
    assert started.wait(30)
    assert node.search("LoRA")[0]  # the old index answers meanwhile
    assert index_sync.read_mark(node.path) == old
    assert index_sync.catch_up(node, background=True) == "rebuilding"  # still the one thread
    release.set()
    node.rebuild_thread.join(120)
    assert not node.rebuild_thread.is_alive()
    assert index_sync.read_mark(node.path) == new
    assert node.search("LoRA")[0]
    assert index_sync.catch_up(node, background=True) == "current"
    # a node with no index at all cannot answer: that search waits for the build
    monkeypatch.setattr(search_module, "indexable_questions", questions)
    fresh = SearchIndex(tmp_path / "fresh")
    assert index_sync.catch_up(fresh, background=True) == "rebuilt"
    assert fresh.searcher().doc_count() == Question.objects.active().count()


@pytest.mark.django_db
def test_a_rebuild_leaves_no_folder_behind_and_clears_those_of_stopped_processes(bundled, tmp_path):
    node = SearchIndex(tmp_path / "node")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f"node.tmp{int(gone.stdout)}-1"  # a web worker stopped mid-rebuild
    running = tmp_path / f"node.tmp{os.getpid()}-1"  # a rebuild under way in a live process
    for folder in (abandoned, running):
        folder.mkdir()

    def failing():
        yield from Question.objects.active()[:3]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        node.rebuild(failing())
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name]
    assert node.rebuild(indexable_questions()) == Question.objects.active().count()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node", running.name]
