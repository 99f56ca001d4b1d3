"""The offline grader's view of a bank question: its rubric read with the glossary, weighted by
how rare each word is in the bank, with its aliases' specificity. Prepared once per process and
question version (and again when the glossary or the bank changes)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Count, Max, Sum

from quizbank import shared_cache
from quizbank.bank import index_sync, vocabulary
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
    """IDF of every unit over the active questions (recomputed when the bank or glossary changes;
    each question's units are kept per version, so a publish re-reads one question, not all).
    Shared through the cache: a process that starts (a restarted worker, each pool process, each
    web worker) reads them there instead of computing them again (seconds of CPU each)."""
    digest = vocabulary.glossary_digest()
    stamp = (
        Question.objects.active().aggregate(n=Count("id"), v=Sum("version"), last=Max("id")),
        digest,
        str(index_sync.current()),  # moves with every load, publish and retirement
    )
    with _lock:
        if _weights.get("stamp") != stamp:
            shared = shared_cache.read(_weights_key(stamp))
            if shared is not None:  # the units kept per question version stay valid
                _weights.update(stamp=stamp, value=shared)
        if _weights.get("stamp") != stamp:
            glossary = vocabulary.glossary()
            docs = _weights.get("docs") if _weights.get("glossary") == digest else None
            docs = dict(docs or {})
            versions = dict(Question.objects.active().values_list("id", "version"))
            stale = [qid for qid, version in versions.items() if docs.get(qid, (None,))[0] != version]
            rows = Question.objects.filter(id__in=stale).only(
                "id", "version", "title", "answer_md", "extended_md", "key_points"
            )
            for q in rows.iterator(chunk_size=500):
                docs[q.id] = (q.version, document(q, glossary))
            docs = {qid: doc for qid, doc in docs.items() if qid in versions}
            value = tx.idf_weights([keys for _, keys in docs.values()])
            _weights.update(stamp=stamp, value=value, docs=docs, glossary=digest)
            shared_cache.keep(_weights_key(stamp), value, WEIGHTS_CACHE_SECONDS)
        return _weights["value"]


WEIGHTS_CACHE_SECONDS = 7 * 24 * 3600


def _weights_key(stamp) -> str:
    raw = json.dumps(stamp, sort_keys=True, default=str)
    return f"quizbank:bank-weights:{OFFLINE_VERSION}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


@dataclass(frozen=True)
class FollowUp:
    """A follow-up answered in place (content-format.md, 追问), graded like a question of its
    own: its text is the title, its short answer the reference, its 1–3 key points the rubric.
    It has no measured alias shares (a few lines are no set to measure against)."""

    parent_id: str
    title: str
    answer_md: str
    key_points: list = field(hash=False, compare=False)
    body_md: str = ""
    extended_md: str = ""
    version: int = 0
    alias_shares: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def of(cls, parent_id: str, follow_up: dict) -> FollowUp:
        return cls(parent_id, follow_up["text"], follow_up.get("answer", ""), list(follow_up.get("key_points", [])))

    @property
    def id(self) -> str:
        return f"{self.parent_id}#{self.digest}"

    @property
    def digest(self) -> str:
        raw = json.dumps([self.title, self.answer_md, self.key_points], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def target(attempt):
    """What an attempt is graded against: its question, or the follow-up it answers."""
    return FollowUp.of(attempt.question_id, attempt.follow_up) if attempt.follow_up else attempt.question


def rubric_for(question) -> offline.Rubric:
    if isinstance(question, FollowUp):
        return _follow_up_rubric(question, offline_model(), id(bank_weights()))
    return _rubric(question.id, question.version, offline_model(), id(bank_weights()))


@lru_cache(maxsize=512)
def _rubric(question_id: str, version: int, model: str, weights_id: int) -> offline.Rubric:
    return _prepare(Question.objects.get(id=question_id))


@lru_cache(maxsize=512)
def _follow_up_rubric(follow_up: FollowUp, model: str, weights_id: int) -> offline.Rubric:
    return _prepare(follow_up)


def _prepare(question) -> offline.Rubric:
    return offline.prepare(
        question.key_points,
        reference=reference_text(question),
        glossary=vocabulary.glossary(),
        weights=bank_weights(),
        alias_shares=question.alias_shares,
        title=question.title,
    )


def grade(question, text: str, *, pasted: bool = False) -> offline.GradeResult:
    """The offline grade of an answer to a bank question (or to a FollowUp)."""
    return offline.grade(text, rubric_for(question), pasted=pasted)
