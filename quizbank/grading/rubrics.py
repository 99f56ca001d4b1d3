"""The offline grader's view of a bank question: its rubric read with the glossary, weighted by
how rare each word is in the bank, with its aliases' specificity. Prepared once per process and
question version (and again when the glossary or the bank changes)."""

from __future__ import annotations

import threading
from functools import lru_cache

from django.db.models import Count, Max, Sum

from quizbank.bank import vocabulary
from quizbank.bank.models import Question
from quizbank.grading import offline
from quizbank.grading import text as tx

OFFLINE_VERSION = "o8"  # bump when the offline grader's rules change: cached grades are keyed by it
_lock = threading.Lock()
_weights: dict = {}


def offline_model() -> str:
    """What an offline grade is cached under: the grader's version and the glossary's text."""
    return f"offline-{OFFLINE_VERSION}-{vocabulary.glossary_digest()}"


def reference_text(question) -> str:
    return "\n\n".join(filter(None, [question.answer_md, question.extended_md]))


def document(question, glossary) -> set[str]:
    """The units of a question's whole text, for the bank's document frequencies."""
    points = "\n".join(p["text"] for p in question.key_points)
    return tx.analyse("\n".join([question.title, reference_text(question), points]), glossary).keys


def bank_weights() -> dict[str, float]:
    """IDF of every unit over the active questions (recomputed when the bank or glossary changes)."""
    stamp = (
        Question.objects.active().aggregate(n=Count("id"), v=Sum("version"), last=Max("id")),
        vocabulary.glossary_digest(),
    )
    with _lock:
        if _weights.get("stamp") != stamp:
            glossary = vocabulary.glossary()
            rows = Question.objects.active().only("title", "answer_md", "extended_md", "key_points")
            _weights.update(stamp=stamp, value=tx.idf_weights([document(q, glossary) for q in rows.iterator()]))
        return _weights["value"]


def rubric_for(question) -> offline.Rubric:
    return _rubric(question.id, question.version, offline_model(), id(bank_weights()))


@lru_cache(maxsize=512)
def _rubric(question_id: str, version: int, model: str, weights_id: int) -> offline.Rubric:
    question = Question.objects.get(id=question_id)
    return offline.prepare(
        question.key_points,
        reference=reference_text(question),
        glossary=vocabulary.glossary(),
        weights=bank_weights(),
        alias_shares=question.alias_shares,
        title=question.title,
    )


def grade(question, text: str, *, pasted: bool = False) -> offline.GradeResult:
    """The offline grade of an answer to a bank question."""
    return offline.grade(text, rubric_for(question), pasted=pasted)
