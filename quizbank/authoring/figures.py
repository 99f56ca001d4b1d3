"""Per-question figures for editors: how often a question is answered and how well, how often
learners forget it, how often the two graders disagree on it and how often learners overrule the
suggested rating — the signs of an ambiguous question or a wrong reference. Two queries,
whatever the number of questions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, F, Q, TextField
from django.db.models.functions import Abs, Cast
from django.db.models.lookups import Contains, GreaterThanOrEqual
from django.utils.translation import gettext as _

from quizbank.grading.models import Attempt, AttemptStatus
from quizbank.grading.services import FLAG_GAP
from quizbank.practice.models import ReviewLog

AGAIN = 1
Z = 1.96  # 95 % intervals, for ranking small samples below large ones
# What counts as "looks wrong" in questions_to_review. At the default retention of 0.90 FSRS
# expects about one review in ten to fail, so three in ten is a question people cannot hold.
HIGH_LAPSE_RATE = 0.30
HIGH_DISAGREEMENT_RATE = 0.25  # a quarter of LLM grades contradicting the offline cross-check
HIGH_OVERRIDE_RATE = 0.50  # learners reject the suggested rating more often than they take it
LOW_SCORE_GAP = 25.0  # mean score this many points under the bank's


@dataclass(frozen=True)
class QuestionFigures:
    """Counts about one question; each rate is None when its n (named beside it) is 0."""

    question_id: str
    attempts: int = 0  # answers to the question itself (answers to its follow-ups left out)
    graded: int = 0  # of those, graded: the n of mean_score
    mean_score: float | None = None  # 0-100
    score_sd: float | None = None  # sample standard deviation of the graded scores (None under 2)
    users: int = 0  # distinct users who answered it
    reviews: int = 0  # ratings of the question's cards, of any kind
    reviewers: int = 0  # distinct users who rated it
    review_ratings: int = 0  # ratings of cards in review (not new, learning or relearning): the n of lapse_rate
    lapses: int = 0  # of those, Again
    llm_graded: int = 0  # answers graded by the LLM (each has an offline cross-check): the n of disagreement_rate
    disagreements: int = 0  # of those, flagged "disagreement" or scored FLAG_GAP or more apart
    rated_with_suggestion: int = 0  # ratings of an answer whose grade suggested a rating: the n of override_rate
    overrides: int = 0  # of those, a different rating from the suggested one

    @property
    def lapse_rate(self) -> float | None:
        return _share(self.lapses, self.review_ratings)

    @property
    def disagreement_rate(self) -> float | None:
        return _share(self.disagreements, self.llm_graded)

    @property
    def override_rate(self) -> float | None:
        return _share(self.overrides, self.rated_with_suggestion)


def _share(count: int, n: int) -> float | None:
    return count / n if n else None


def question_figures(
    question_ids: list[str] | None = None, *, since: datetime | None = None
) -> dict[str, QuestionFigures]:
    """Figures for the given questions (every one of them, zeros where nothing happened), or for
    every question anybody answered or rated; only answers and ratings from `since` on, if given."""
    scope = Q() if question_ids is None else Q(question_id__in=question_ids)
    figures = _collect(scope, since)
    if question_ids is not None:
        figures = {qid: figures.get(qid) or QuestionFigures(qid) for qid in question_ids}
    return figures


def _collect(scope: Q, since: datetime | None) -> dict[str, QuestionFigures]:
    attempts = Attempt.objects.filter(scope, follow_up__isnull=True)
    logs = ReviewLog.objects.filter(scope)
    if since is not None:
        attempts = attempts.filter(created_at__gte=since)
        logs = logs.filter(reviewed_at__gte=since)
    graded = Q(status=AttemptStatus.GRADED, score__isnull=False)
    llm = Q(grade__grader="llm", grade__offline_score__isnull=False)
    # the flag as grading/services.llm_flags sets it, or the score gap it is mostly made of
    flagged = Q(Contains(Cast("grade__flags", TextField()), '"disagreement"')) | Q(
        GreaterThanOrEqual(Abs(F("grade__score") - F("grade__offline_score")), FLAG_GAP)
    )
    answer_rows = (
        attempts.values("question_id")
        .annotate(
            attempts=Count("id"),
            graded=Count("id", filter=graded),
            mean_score=Avg("score", filter=graded),
            mean_square=Avg(F("score") * F("score"), filter=graded),
            users=Count("user", distinct=True),
            llm_graded=Count("id", filter=llm),
            disagreements=Count("id", filter=llm & flagged),
        )
        .order_by()
    )
    # a rating of an answer to a follow-up would be a verdict on the follow-up's rubric
    suggested = Q(attempt__grade__suggested_rating__isnull=False, attempt__follow_up__isnull=True)
    other = Q(rating__lt=F("attempt__grade__suggested_rating")) | Q(rating__gt=F("attempt__grade__suggested_rating"))
    log_rows = (
        logs.values("question_id")
        .annotate(
            reviews=Count("id"),
            reviewers=Count("user", distinct=True),
            review_ratings=Count("id", filter=Q(kind="review")),
            lapses=Count("id", filter=Q(kind="review", rating=AGAIN)),
            rated_with_suggestion=Count("id", filter=suggested),
            overrides=Count("id", filter=suggested & other),
        )
        .order_by()
    )
    merged: dict[str, dict] = {}
    for row in answer_rows:
        # SQLite's own standard deviation fails on fewer than two values
        row["score_sd"] = _sample_sd(row.pop("mean_square"), row["mean_score"], row["graded"])
        merged[row.pop("question_id")] = row
    for row in log_rows:
        merged.setdefault(row.pop("question_id"), {}).update(row)
    return {qid: QuestionFigures(question_id=qid, **values) for qid, values in merged.items()}


def _sample_sd(mean_square: float | None, mean: float | None, n: int) -> float | None:
    if n < 2:
        return None
    return math.sqrt(max(0.0, mean_square - mean * mean) * n / (n - 1))


@dataclass(frozen=True)
class _Reason:
    text: str
    strength: float  # the cautious end of a 95 % interval, in units of its line (≥ 1: surely past it)


def questions_to_review(*, min_n: int = 5, limit: int = 50) -> list[tuple[str, list[str]]]:
    """Active questions that look ambiguous or wrong, each with its reasons (strongest first),
    most striking first; a figure counts only with at least `min_n` observations behind it."""
    figures = _collect(Q(question__retired_at__isnull=True), None)
    bank_mean = _bank_mean(figures.values())
    found = []
    for f in figures.values():
        reasons = sorted(_reasons(f, min_n, bank_mean), key=lambda r: -r.strength)
        if reasons:
            weight = f.review_ratings + f.llm_graded + f.rated_with_suggestion + f.graded
            found.append((-reasons[0].strength, -weight, f.question_id, [r.text for r in reasons]))
    found.sort()
    return [(qid, texts) for _, _, qid, texts in found[:limit]]


def _bank_mean(figures) -> float | None:
    graded = sum(f.graded for f in figures if f.mean_score is not None)
    total = sum(f.mean_score * f.graded for f in figures if f.mean_score is not None)
    return total / graded if graded else None


def _reasons(f: QuestionFigures, min_n: int, bank_mean: float | None) -> list[_Reason]:
    reasons = []
    if f.review_ratings >= min_n and f.lapse_rate >= HIGH_LAPSE_RATE:
        text = _("遗忘率高：%(count)d / %(n)d 次复习选了“重来”（%(rate)s）")
        reasons.append(_rate_reason(text, f.lapses, f.review_ratings, HIGH_LAPSE_RATE))
    if f.llm_graded >= min_n and f.disagreement_rate >= HIGH_DISAGREEMENT_RATE:
        text = _("两个评分器常有分歧：%(count)d / %(n)d 次大模型评分与离线评分相差很大（%(rate)s）")
        reasons.append(_rate_reason(text, f.disagreements, f.llm_graded, HIGH_DISAGREEMENT_RATE))
    if f.rated_with_suggestion >= min_n and f.override_rate >= HIGH_OVERRIDE_RATE:
        text = _("学习者常不认可建议评分：%(count)d / %(n)d 次选了别的评分（%(rate)s）")
        reasons.append(_rate_reason(text, f.overrides, f.rated_with_suggestion, HIGH_OVERRIDE_RATE))
    if f.graded >= min_n and bank_mean is not None and bank_mean - f.mean_score >= LOW_SCORE_GAP:
        text = _("平均分偏低：%(n)d 次作答平均 %(mean).0f 分，题库平均 %(bank).0f 分")
        values = {"n": f.graded, "mean": f.mean_score, "bank": bank_mean}
        # ranked like the rates: by the upper end of the mean's 95 % interval
        upper = f.mean_score + Z * (f.score_sd or 0.0) / math.sqrt(f.graded)
        reasons.append(_Reason(text % values, (bank_mean - upper) / LOW_SCORE_GAP))
    return reasons


def _rate_reason(text: str, count: int, n: int, line: float) -> _Reason:
    """Ranked by the lower end of the rate's 95 % Wilson interval: 9 of 10 outranks 5 of 5."""
    values = {"count": count, "n": n, "rate": f"{count / n:.0%}"}
    return _Reason(text % values, _wilson_lower(count, n) / line)


def _wilson_lower(count: int, n: int, z: float = Z) -> float:
    p = count / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)
