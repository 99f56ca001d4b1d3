"""The bundled question bank: minimum sizes, a usable rubric on every question, no near
duplicates, and the loader's check clean."""

import re
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path

import pytest
from django.conf import settings

from quizbank.bank.markup import parse_set

CORE_SETS = {"transformer": 25, "rag": 25, "lora": 25, "quantization": 25, "mcp": 25}
OTHER_SET_MINIMUM = 15
TOTAL_MINIMUM = 500
EXPECTED_SETS = 26  # the five core sets and one per area 6-26 of the coverage map
# Two questions whose normalised titles are this similar (difflib ratio) are near duplicates.
NEAR_DUPLICATE = 0.85


def bundled_sets():
    return [
        parse_set(p.read_text(encoding="utf-8"), str(p))
        for p in sorted(Path(settings.QUIZBANK_CONTENT_DIR).glob("*.md"))
    ]


def normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def test_every_set_has_its_minimum():
    sizes = {s.slug: len(s.questions) for s in bundled_sets()}
    assert len(sizes) == EXPECTED_SETS, sorted(sizes)
    for slug, size in sizes.items():
        minimum = CORE_SETS.get(slug, OTHER_SET_MINIMUM)
        assert size >= minimum, f"{slug}: {size} questions, needs {minimum}"
    assert sum(sizes.values()) >= TOTAL_MINIMUM


def test_about_a_tenth_are_numeric_or_choice_questions():
    questions = [q for s in bundled_sets() for q in s.questions]
    share = sum(q.qtype != "free" for q in questions) / len(questions)
    assert 0.08 <= share <= 0.25, share


def test_every_question_has_three_to_eight_key_points():
    short = [f"{s.slug}/{q.id}" for s in bundled_sets() for q in s.questions if not 3 <= len(q.key_points) <= 8]
    assert short == []


def test_every_set_mixes_difficulties_and_has_calculation_or_choice_questions():
    for s in bundled_sets():
        assert {q.difficulty for q in s.questions} == {"easy", "medium", "hard"}, s.slug
        assert any(q.qtype != "free" for q in s.questions), s.slug


def test_numeric_questions_have_a_tolerance_and_unit():
    for s in bundled_sets():
        for q in s.questions:
            if q.qtype == "numeric":
                assert q.numeric_answer is not None and q.tolerance, q.id


def test_no_two_questions_are_near_duplicates():
    questions = [(q.id, normalised(q.title)) for s in bundled_sets() for q in s.questions]
    pairs = [
        (a, b, round(SequenceMatcher(None, ta, tb).ratio(), 2))
        for (a, ta), (b, tb) in combinations(questions, 2)
        if SequenceMatcher(None, ta, tb).quick_ratio() > NEAR_DUPLICATE
        and SequenceMatcher(None, ta, tb).ratio() > NEAR_DUPLICATE
    ]
    assert pairs == []


def test_the_near_duplicate_check_would_catch_a_reworded_copy():
    a, b = normalised("LoRA 的秩 r 怎么选？"), normalised("LoRA 的秩 r 该怎么选?")
    assert SequenceMatcher(None, a, b).ratio() > NEAR_DUPLICATE


@pytest.mark.parametrize("slug", CORE_SETS)
def test_core_answers_are_substantial(slug):
    data = next(s for s in bundled_sets() if s.slug == slug)
    lengths = sorted(len(q.answer) + len(q.extended) for q in data.questions)
    assert lengths[len(lengths) // 2] >= 150, f"median answer length {lengths[len(lengths) // 2]}"


def test_no_alias_is_generic_in_its_set():
    """bank/rubric.py: no alias occurs in more than a quarter of the set's other answers."""
    from quizbank.bank.rubric import generic_alias_warnings

    warnings = [str(w) for s in bundled_sets() for w in generic_alias_warnings(s)]
    assert warnings == []


def test_every_follow_up_is_linked_or_answered():
    """A mock interview asks only follow-ups it can grade: none is left open."""
    from quizbank.bank.markup import open_follow_ups

    open_ones = [str(w) for s in bundled_sets() for w in open_follow_ups(s)]
    assert len(open_ones) == 0, f"{len(open_ones)} open follow-ups, e.g. {open_ones[:3]}"


def test_the_reference_answer_graded_against_its_own_rubric_scores_well():
    """A rubric that its own reference does not meet is a rubric a good answer cannot meet."""
    from quizbank.grading.offline import grade_offline

    low = []
    for s in bundled_sets():
        for q in s.questions:
            if q.qtype != "free":
                continue
            points = [{"text": k.text, "weight": k.weight, "aliases": list(k.aliases)} for k in q.key_points]
            result = grade_offline(f"{q.answer}\n\n{q.extended}", points, reference=q.answer)
            if result.score < 70:
                low.append((q.id, result.score))
    assert len(low) <= 3, low
