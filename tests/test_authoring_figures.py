"""Per-question figures for editors: each count checked against answers, grades and ratings
made by hand; rates None without observations; a fixed number of queries."""

import statistics
from datetime import timedelta

import pytest
from django.utils import timezone

from quizbank.authoring.figures import QuestionFigures, question_figures, questions_to_review
from quizbank.bank.models import Question
from quizbank.grading.models import Attempt, AttemptStatus, Grade
from quizbank.practice.models import Card, ReviewLog
from tests.practice_factories import make_set, make_user

pytestmark = pytest.mark.django_db
FOLLOW_UP = {"text": "为什么？", "answer": "因为。", "key_points": [{"text": "因为", "weight": 1}]}


@pytest.fixture
def questions():
    make_set("fig", 12)
    return list(Question.objects.filter(question_set__slug="fig").order_by("position"))


def answer(question, user=None, *, score=None, follow_up=None, status=None):
    """An attempt; graded when it has a score."""
    if status is None:
        status = AttemptStatus.PENDING if score is None else AttemptStatus.GRADED
    return Attempt.objects.create(
        user=user or make_user(),
        question=question,
        question_version=1,
        text="回答",
        status=status,
        score=score,
        follow_up=follow_up,
    )


def grade(attempt, score, *, grader="llm", offline_score=None, flags=(), suggested=None):
    return Grade.objects.create(
        attempt=attempt,
        score=score,
        grader=grader,
        offline_score=offline_score,
        flags=list(flags),
        flagged=bool(flags),
        suggested_rating=suggested,
        cache_key=f"k{attempt.pk}",
    )


def llm_answer(question, score, offline_score, flags=(), **kwargs):
    a = answer(question, score=score, **kwargs)
    grade(a, score, offline_score=offline_score, flags=flags)
    return a


def rate(question, rating, *, kind="review", user=None, attempt=None, when=None):
    user = user or (attempt.user if attempt else make_user())
    card, _ = Card.objects.get_or_create(user=user, question=question, defaults={"state": {}, "due": timezone.now()})
    return ReviewLog.objects.create(
        card=card,
        user=user,
        question=question,
        rating=rating,
        kind=kind,
        reviewed_at=when or timezone.now(),
        state_before={},
        state_after={},
        card_before={},
        attempt=attempt,
    )


def test_it_counts_answers_to_the_question_itself_and_leaves_follow_ups_out(questions):
    q = questions[0]
    ann, bo = make_user(), make_user()
    answer(q, ann, score=80)
    answer(q, ann, score=40)
    answer(q, bo)  # still waiting for its grade
    answer(q, bo, status=AttemptStatus.FAILED)
    answer(q, make_user(), score=0, follow_up=FOLLOW_UP)
    answer(questions[1], ann, score=100)

    f = question_figures([q.id])[q.id]

    assert (f.attempts, f.graded, f.users) == (4, 2, 2)
    assert f.mean_score == pytest.approx(60.0)
    assert f.score_sd == pytest.approx(statistics.stdev([80, 40]))


def test_a_question_nobody_touched_has_zeros_and_no_rates(questions):
    q = questions[0]

    f = question_figures([q.id])[q.id]

    assert f == QuestionFigures(question_id=q.id)
    assert (f.mean_score, f.score_sd, f.lapse_rate, f.disagreement_rate, f.override_rate) == (None,) * 5


def test_rates_without_their_own_observations_stay_none(questions):
    q = questions[0]
    a = answer(q, score=70)
    grade(a, 70, grader="offline", suggested=None)  # offline: no cross-check, no suggestion
    rate(q, 1, kind="learn", attempt=a)

    f = question_figures([q.id])[q.id]

    assert (f.graded, f.reviews, f.review_ratings, f.llm_graded, f.rated_with_suggestion) == (1, 1, 0, 0, 0)
    assert (f.lapse_rate, f.disagreement_rate, f.override_rate) == (None, None, None)


def test_lapse_rate_is_again_among_ratings_of_cards_in_review(questions):
    q = questions[0]
    for rating in (1, 3, 1, 4):
        rate(q, rating, kind="review")
    for kind in ("new", "learn", "relearn"):
        rate(q, 1, kind=kind)  # an Again before a card graduates is no lapse
    rate(questions[1], 1, kind="review")

    f = question_figures([q.id])[q.id]

    assert (f.reviews, f.reviewers, f.review_ratings, f.lapses) == (7, 7, 4, 2)
    assert f.lapse_rate == 0.5


def test_disagreement_is_the_flag_or_a_gap_of_the_grading_threshold(questions):
    q = questions[0]
    llm_answer(q, 90, 30)  # 60 apart
    llm_answer(q, 80, 30)  # exactly FLAG_GAP apart
    llm_answer(q, 80, 31)  # 49 apart: agreeing enough
    llm_answer(q, 65, 60, flags=["disagreement"])  # high score for what offline called a keyword list
    llm_answer(q, 70, 68, flags=["unverified"])  # flagged, but not for disagreeing
    grade(answer(q, score=20), 20, grader="offline")  # offline grades are no cross-check
    llm_answer(q, 100, 0, follow_up=FOLLOW_UP)  # about the follow-up's rubric

    f = question_figures([q.id])[q.id]

    assert (f.attempts, f.llm_graded, f.disagreements) == (6, 5, 3)
    assert f.disagreement_rate == pytest.approx(3 / 5)


def test_an_override_needs_a_suggested_rating_to_override(questions):
    q = questions[0]

    def graded(suggested, *, follow_up=None):
        a = answer(q, score=50, follow_up=follow_up)
        grade(a, 50, grader="offline", suggested=suggested)
        return a

    rate(q, 3, attempt=graded(3))  # took the suggestion
    rate(q, 2, attempt=graded(3), kind="learn")  # overrode it (any kind of rating counts)
    rate(q, 4, attempt=graded(1))  # overrode it
    rate(q, 1, attempt=graded(None))  # flagged grade: the learner decides, nothing to override
    rate(q, 4, attempt=answer(q, score=0))  # a check with no grade row
    rate(q, 2)  # recalled, not typed
    rate(q, 4, attempt=graded(1, follow_up=FOLLOW_UP))  # a verdict on the follow-up

    f = question_figures([q.id])[q.id]

    assert (f.reviews, f.rated_with_suggestion, f.overrides) == (7, 3, 2)
    assert f.override_rate == pytest.approx(2 / 3)


def test_since_keeps_only_recent_answers_and_ratings(questions):
    q = questions[0]
    now = timezone.now()
    old = answer(q, score=10)
    Attempt.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=40))
    rate(q, 1, when=now - timedelta(days=40))
    answer(q, score=90)
    rate(q, 3)

    f = question_figures([q.id], since=now - timedelta(days=30))[q.id]
    everything = question_figures([q.id])[q.id]

    assert (f.attempts, f.mean_score, f.review_ratings, f.lapses) == (1, 90.0, 1, 0)
    assert (everything.attempts, everything.mean_score, everything.lapses) == (2, 50.0, 1)


def test_without_ids_it_lists_every_question_answered_or_rated(questions):
    answer(questions[0], score=50)
    rate(questions[1], 3)

    figures = question_figures()

    assert set(figures) == {questions[0].id, questions[1].id}
    assert (figures[questions[0].id].attempts, figures[questions[0].id].reviews) == (1, 0)
    assert (figures[questions[1].id].attempts, figures[questions[1].id].reviews) == (0, 1)


def fill(question, n_users=3):
    """Answers, LLM grades with suggestions, and ratings of all kinds from a few users."""
    for i in range(n_users):
        user = make_user()
        a = answer(question, user, score=40 + 10 * i, follow_up=None)
        grade(a, 40 + 10 * i, offline_score=90 - 40 * i, flags=["disagreement"] if i else (), suggested=2)
        rate(question, 1 + i % 4, attempt=a)
        rate(question, 1, kind="relearn", user=user)


def test_the_number_of_queries_does_not_grow_with_the_questions(questions, django_assert_num_queries):
    fill(questions[0])
    with django_assert_num_queries(2):
        one = question_figures([questions[0].id])
    for q in questions[1:10]:
        fill(q)
    ids = [q.id for q in questions[:10]]
    with django_assert_num_queries(2):
        ten = question_figures(ids)
    with django_assert_num_queries(2):
        question_figures()
    with django_assert_num_queries(2):
        questions_to_review(min_n=1)

    assert ten[questions[0].id] == one[questions[0].id]
    assert all(ten[qid].attempts == 3 and ten[qid].reviews == 6 for qid in ids)


def lapses(question, again, of):
    for i in range(of):
        rate(question, 1 if i < again else 3)


def test_review_lists_questions_past_a_line_with_reasons_strongest_first(questions):
    sure, unsure, small, fine, disputed, overruled, hard = questions[:7]
    lapses(sure, 10, 10)
    lapses(unsure, 5, 5)
    lapses(small, 4, 4)  # under min_n
    lapses(fine, 1, 10)
    for score, offline in [(90, 20), (80, 20), (70, 65), (60, 55), (50, 48)]:
        llm_answer(disputed, score, offline)
    for rating in (1, 2, 2, 3, 4, 1):
        a = answer(overruled, score=80)
        grade(a, 80, grader="offline", suggested=3)
        rate(overruled, rating, attempt=a, kind="learn")
    for _ in range(5):
        answer(hard, score=10)
    for _ in range(20):
        answer(fine, score=90)

    found = questions_to_review(min_n=5)

    # ranked by the cautious end of each figure's interval: 10 of 10 before 5 of 5
    assert [qid for qid, _ in found] == [hard.id, sure.id, unsure.id, overruled.id, disputed.id]
    reasons = dict(found)
    assert reasons[sure.id] == ["遗忘率高：10 / 10 次复习选了“重来”（100%）"]
    assert reasons[disputed.id] == ["两个评分器常有分歧：2 / 5 次大模型评分与离线评分相差很大（40%）"]
    assert reasons[overruled.id] == ["学习者常不认可建议评分：5 / 6 次选了别的评分（83%）"]
    # the bank's mean: 5 answers of 10, 20 of 90, 6 of 80 and 5 LLM-graded ones of 70 on average
    bank = (5 * 10 + 20 * 90 + 6 * 80 + 350) / 36
    assert reasons[hard.id] == [f"平均分偏低：5 次作答平均 10 分，题库平均 {bank:.0f} 分"]
    assert questions_to_review(min_n=5, limit=2) == found[:2]


def test_several_reasons_for_one_question_come_strongest_first(questions):
    q = questions[0]
    lapses(q, 3, 9)  # a third: just past the line
    for _ in range(8):
        a = answer(q, score=100)
        grade(a, 100, offline_score=0)  # every LLM grade disputed

    [(qid, reasons)] = questions_to_review(min_n=5)

    assert qid == q.id
    assert [r[:4] for r in reasons] == ["两个评分", "遗忘率高"]


def test_retired_questions_and_small_samples_are_left_out(questions):
    retired, small = questions[:2]
    Question.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    lapses(retired, 10, 10)
    lapses(small, 3, 3)

    assert questions_to_review(min_n=5) == []
    assert [qid for qid, _ in questions_to_review(min_n=3)] == [small.id]
