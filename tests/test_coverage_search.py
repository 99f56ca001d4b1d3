"""Search finds a question for every bullet of the coverage map (tests/coverage_queries.py)."""

import pytest

from quizbank.bank import search
from quizbank.bank.models import Question
from tests.coverage_queries import COVERAGE_QUERIES

pytestmark = pytest.mark.django_db


def test_every_area_of_the_map_is_covered():
    assert {area for area, *_ in COVERAGE_QUERIES} == set(range(1, 27))


def test_every_expected_question_exists_and_is_active():
    ids = {expected for *_, expected in COVERAGE_QUERIES}
    assert set(Question.objects.active().filter(id__in=ids).values_list("id", flat=True)) == ids


@pytest.mark.parametrize(
    ("area", "bullet", "query", "expected"), COVERAGE_QUERIES, ids=[f"{a}-{b[:40]}" for a, b, *_ in COVERAGE_QUERIES]
)
def test_the_query_for_a_bullet_finds_its_question_in_the_top_five(bundled, area, bullet, query, expected):
    hits, _, _ = search.search(query, limit=5)
    assert expected in [h.id for h in hits], (query, [h.id for h in hits])
