"""Publish one question written in the app: the same row, rendering, revision and index entry a
file load gives it, marked as the app's (its file is behind until `export_questions`)."""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from quizbank.bank import search
from quizbank.bank.loader import _fill, _set_tags, _tag_ids, question_data
from quizbank.bank.markup import QuestionData, format_question
from quizbank.bank.models import Question, QuestionRevision, QuestionSet, RevisionOrigin
from quizbank.bank.rendering import render_question
from quizbank.bank.rubric import alias_shares

logger = logging.getLogger(__name__)

# Sent when a question gets a new version in the app, inside its transaction. `substantive`: learners should relearn it
# (practice moves their cards back to relearning).
question_published = Signal()


class VersionConflict(Exception):
    """The published version moved on since the edit began (another publish, or a file load)."""

    def __init__(self, base: int | None, current: int):
        self.base, self.current = base, current
        super().__init__(f"v{base} → v{current}")


@transaction.atomic
def publish_question(
    data: QuestionData,
    *,
    question_set: QuestionSet,
    base_version: int | None,
    author=None,
    publisher=None,
    substantive: bool = False,
) -> Question:
    """Create or update the row of `data.id` as a new version (raise VersionConflict when the
    row is not at `base_version`; None: it must not exist yet, or only retired)."""
    source = format_question(data)
    digest = hashlib.sha256(source.encode()).hexdigest()
    row = Question.objects.select_for_update().filter(id=data.id).first()
    if row is None:
        if base_version is not None:
            raise VersionConflict(base_version, 0)
        position = _next_position(question_set)
        row = Question(id=data.id, version=0, synced_hash="")
    else:
        if base_version is not None and row.version != base_version:
            raise VersionConflict(base_version, row.version)
        if base_version is None:  # a new question's id is taken (even a retired one keeps its history)
            raise VersionConflict(None, row.version)
        position = row.position if row.question_set_id == question_set.id else _next_position(question_set)
    synced = row.synced_hash
    _fill(row, data, question_set, position, digest)
    row.synced_hash = synced  # the file has not seen this version
    for name, value in _rendered(data).items():
        setattr(row, name, value)
    row.version += 1
    row.save()
    QuestionRevision.objects.create(
        question=row,
        version=row.version,
        content_hash=digest,
        source=source,
        origin=RevisionOrigin.APP,
        author=author,
        published_by=publisher,
    )
    _set_tags([row.id], [(row.id, t) for t in _tag_ids(set(data.tags)).values()])
    _store_set_alias_shares(question_set)
    # receivers write in this transaction: a publish and its effects (cards relearning) go together
    question_published.send(sender=Question, question=row, substantive=substantive, now=timezone.now())
    transaction.on_commit(lambda: _index([row.id], []))
    return row


def retire_question(question: Question) -> None:
    """Take a question out of practice, search and interviews (its history stays)."""
    Question.objects.filter(id=question.id).update(retired_at=timezone.now())
    transaction.on_commit(lambda: _index([], [question.id]))


def _next_position(question_set: QuestionSet) -> int:
    return (question_set.questions.aggregate(n=Max("position"))["n"] or 0) + 1


def _rendered(data: QuestionData) -> dict:
    html = render_question(data)
    options_html = html.pop("options_html")
    html["options"] = [
        {"text": o.text, "correct": o.correct, "html": h} for o, h in zip(data.options, options_html, strict=True)
    ]
    return html


def _store_set_alias_shares(question_set: QuestionSet) -> None:
    rows = list(Question.objects.in_set(question_set).prefetch_related("tags"))
    shares = alias_shares([question_data(r) for r in rows])
    for row in rows:
        row.alias_shares = shares.get(row.id, {})
    Question.objects.bulk_update(rows, ["alias_shares"], batch_size=500)


def _index(changed_ids: list[str], retired_ids: list[str]) -> None:
    index = search.default_index()
    try:
        if not index.path.exists():
            search.rebuild_index()
            return
        rows = Question.objects.filter(id__in=changed_ids).select_related("question_set").prefetch_related("tags")
        index.update(rows.iterator(chunk_size=100), retired_ids)
    except Exception:  # noqa: BLE001 — derived data: rebuild rather than fail the publish
        logger.exception("index update after a publish failed; rebuilding")
        search.rebuild_index()
