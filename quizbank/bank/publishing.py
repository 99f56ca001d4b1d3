"""Publish one question written in the app: the same row, rendering, revision and index entry a
file load gives it, marked as the app's (its file is behind until `export_questions`)."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from quizbank.bank import index_sync
from quizbank.bank.loader import (
    _fill,
    _set_tags,
    _tag_ids,
    _update_index,
    apply_html,
    question_data,
    store_alias_shares,
)
from quizbank.bank.markup import QuestionData, format_question
from quizbank.bank.models import Question, QuestionRevision, QuestionSet, RevisionOrigin
from quizbank.bank.rendering import render_question
from quizbank.bank.rubric import alias_shares

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
    apply_html(row, render_question(data))
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
    index_sync.record([row.id])
    transaction.on_commit(_update_index)
    return row


def retire_question(question: Question) -> None:
    """Take a question out of practice, search and interviews (its history stays)."""
    with transaction.atomic():
        Question.objects.filter(id=question.id).update(retired_at=timezone.now())
        index_sync.record([question.id])
    transaction.on_commit(_update_index)


def _next_position(question_set: QuestionSet) -> int:
    return (question_set.questions.aggregate(n=Max("position"))["n"] or 0) + 1


def _store_set_alias_shares(question_set: QuestionSet) -> None:
    rows = Question.objects.in_set(question_set).prefetch_related("tags")
    store_alias_shares(alias_shares([question_data(r) for r in rows]))
