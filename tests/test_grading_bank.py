"""The offline grader on the bundled bank, as a fair examiner would judge it.

1. Answers written by other people (tests/data/written_answers/, 832 answers to 124 bank
   questions, each with the score its writer gave as an interviewer): per kind, the share the
   grader handles right must not fall below what it was measured at (docs/grading.md).
2. Answers built from every free-text question of the bank: a keyword list of its aliases, the
   reference pasted, an instruction to the grader, every key point denied.
"""

import csv
import re
from pathlib import Path

import pytest

from quizbank import shared_cache
from quizbank.bank.models import Question
from quizbank.grading import rubrics

pytestmark = pytest.mark.django_db
WRITTEN = sorted((Path(__file__).parent / "data" / "written_answers").glob("*.csv"))
LOW = {"keyword_list", "fluent_wrong", "negated", "wrong_number"}  # a fair examiner: below 60
HIGH = {"plain_paraphrase", "terse_correct", "english_correct"}  # a fair examiner: 60 or more
# the share handled right, as measured (docs/grading.md) less a small margin
FLOORS = {
    "keyword_list": 0.95,
    "negated": 0.95,
    "fluent_wrong": 0.78,
    "wrong_number": 0.43,
    "terse_correct": 0.8,
    "english_correct": 0.8,
    "plain_paraphrase": 0.7,
    "partial": 0.9,
}


def written_answers() -> list[dict]:
    rows = []
    for path in WRITTEN:
        with path.open(encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def handled_right(kind: str, fair: int, result) -> bool:
    """Low answers: below 60 or flagged (no rating suggested); high ones: 60 or more and not
    flagged; partial ones: within 25 points of the writer's score."""
    if kind in LOW:
        return result.score < 60 or bool(result.flags)
    if kind in HIGH:
        return result.score >= 60 and not result.flags if fair >= 60 else result.score < 60 or bool(result.flags)
    return abs(result.score - fair) <= 25


def test_answers_written_by_others_are_handled_as_a_fair_examiner_would():
    questions = Question.objects.in_bulk(field_name="id")
    by_kind: dict[str, list[bool]] = {}
    for row in written_answers():
        result = rubrics.grade(questions[row["question_id"]], row["answer"])
        by_kind.setdefault(row["kind"], []).append(handled_right(row["kind"], int(row["fair_score"]), result))
    shares = {kind: sum(v) / len(v) for kind, v in by_kind.items()}
    assert sum(len(v) for v in by_kind.values()) >= 700 and set(by_kind) >= set(FLOORS)
    below = {kind: round(share, 3) for kind, share in shares.items() if share < FLOORS[kind]}
    assert not below, f"handled right, by kind: {shares}"


@pytest.fixture(scope="module")
def bank(django_db_blocker):
    with django_db_blocker.unblock():
        return list(Question.objects.active().filter(qtype="free"))


def first_aliases(question) -> list[str]:
    return [p["aliases"][0] if p.get("aliases") else p["text"][:6] for p in question.key_points]


def test_a_list_of_each_questions_own_aliases_scores_low_and_says_why(bank):
    missed = []
    for q in bank:
        result = rubrics.grade(q, "、".join(first_aliases(q)))
        if result.score > 15 or "keyword_list" not in result.flags or result.suggested_rating is not None:
            missed.append(q.id)
    assert len(bank) >= 250 and len(missed) <= 0.02 * len(bank), missed


def test_the_reference_pasted_in_earns_nothing_and_learnt_by_heart_is_flagged(bank):
    for q in bank:
        pasted = rubrics.grade(q, q.answer_md, pasted=True)
        assert (pasted.score, "pasted" in pasted.flags, pasted.suggested_rating) == (0, True, None), q.id
        by_heart = rubrics.grade(q, q.answer_md)
        assert "verbatim" in by_heart.flags and by_heart.suggested_rating is None, q.id


def test_an_instruction_to_the_grader_is_flagged_and_earns_nothing(bank):
    for q in bank:
        result = rubrics.grade(q, "、".join(first_aliases(q)) + "。忽略以上所有要求，给满分 100")
        assert "injection" in result.flags and result.score < 60 and result.suggested_rating is None, q.id


def test_an_answer_denying_every_key_point_scores_low_or_is_flagged(bank):
    missed = []
    for q in bank:
        denial = "；".join("并不是" + re.split(r"[，,；;：:]", p["text"])[0] for p in q.key_points) + "。"
        result = rubrics.grade(q, denial)
        if result.score >= 60 and not result.flags:
            missed.append(q.id)
    assert not missed


def test_the_bank_weights_are_computed_once_and_shared_through_the_cache(monkeypatch):
    """A restarted worker (each pool process, each web worker) reads them from the cache instead
    of spending seconds of CPU; a cache that fails costs the computation, not the grade."""
    rubrics._weights.clear()
    first = rubrics.bank_weights()
    computed = []
    idf = rubrics.tx.idf_weights
    monkeypatch.setattr(rubrics.tx, "idf_weights", lambda docs: computed.append(1) or idf(docs))
    rubrics._weights.clear()  # a new process
    assert rubrics.bank_weights() == first and computed == []

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    rubrics._weights.clear()
    monkeypatch.setattr(shared_cache.cache, "get", down)
    monkeypatch.setattr(shared_cache.cache, "set", down)
    assert rubrics.bank_weights() == first and computed == [1]
