"""After an interview: weak questions rated into practice, the LLM's feedback once every grade
is in, re-grading a failed answer. Runs when the interview closes and again as grades arrive
(signals.py)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from quizbank.grading import services as grading
from quizbank.grading.models import AttemptStatus
from quizbank.grading.offline import is_skip
from quizbank.interviews.models import Interview, Outcome, Status, Turn
from quizbank.practice import services as practice
from quizbank.practice.models import Card

logger = logging.getLogger(__name__)
WEAK_SCORE = 75  # a question scored below this goes into the practice queue (Again < 60 ≤ Hard)


def queue_weak_questions(interview_id: int, now: datetime | None = None) -> list[str]:
    """Rate each weak question of a finished interview on the user's card — Again below 60, Hard
    below 75 — so it is due now in practice. Only graded, unflagged answers to the planned
    questions count (a follow-up is judged with its question), each question once; called when the
    interview ends and again as grades arrive."""
    now = now or timezone.now()
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.status != Status.FINISHED:
            return []
        done = set(interview.queued_for_practice)
        turns = interview.turns.filter(
            parent__isnull=True, outcome__in=[Outcome.ANSWERED, Outcome.DONT_KNOW, Outcome.SKIPPED]
        ).select_related("attempt__grade", "question")
        added = []
        for turn in turns:
            score = weak_score(turn)
            if turn.question_id in done or score is None or score >= WEAK_SCORE:
                continue
            if _rate(interview, turn, 1 if score < 60 else 2, now):
                added.append(turn.question_id)
        _remember(interview, added)
    return added


def queue_by_choice(interview: Interview, number: int, now: datetime | None = None) -> bool:
    """The learner's own call on a question the rules left out (a flagged or uncertain grade, an
    unanswered question): rate it Again so it is due now. False if it is no planned question of
    this finished interview, or is queued already."""
    with transaction.atomic():
        locked = Interview.objects.select_for_update().get(pk=interview.pk)
        turn = locked.turns.select_related("question").filter(number=number, parent__isnull=True).first()
        if locked.status != Status.FINISHED or turn is None or turn.question_id in locked.queued_for_practice:
            return False
        if not _rate(locked, turn, 1, now or timezone.now()):
            return False
        _remember(locked, [turn.question_id])
    return True


def _rate(interview: Interview, turn: Turn, rating: int, now: datetime) -> bool:
    card = Card.objects.filter(user=interview.user, question=turn.question).first()
    try:
        practice.rate_card(
            user=interview.user, question=turn.question, token=practice.token_for(card), rating=rating, now=now
        )
    except practice.StaleCard:
        return False
    return True


def _remember(interview: Interview, added: list[str]) -> None:
    if added:
        interview.queued_for_practice = [*interview.queued_for_practice, *added]
        interview.save(update_fields=["queued_for_practice"])


def weak_score(turn: Turn) -> float | None:
    """The score a planned question goes into practice by: 0 for "don't know", a skip or an empty
    answer (certain), the grade if it is in and not flagged; None when there is nothing to go by
    (pending, failed, flagged: the learner judges those)."""
    if turn.outcome in (Outcome.DONT_KNOW, Outcome.SKIPPED):
        return 0
    attempt = turn.attempt
    if attempt is None or attempt.status != AttemptStatus.GRADED:
        return None
    if is_skip(attempt.text):
        return 0
    grade = getattr(attempt, "grade", None)
    return None if grade is None or grade.flagged else grade.score


def settled(interview_id: int) -> None:
    """A finished interview after a grade arrived (or at its end): rate the weak questions into
    practice, and once every grade is in, have the LLM (when configured) write the feedback."""
    queue_weak_questions(interview_id)
    if grading.grader_kind() != "llm" or ungraded(interview_id):
        return
    if Interview.objects.filter(pk=interview_id, status=Status.FINISHED, summary__isnull=True).exists():
        from quizbank.interviews.tasks import write_summary_task

        try:
            write_summary_task.delay(interview_id)
        except Exception:  # noqa: BLE001 — the report keeps its rule-based advice
            logger.exception("could not queue the summary of interview %s", interview_id)


def ungraded(interview_id: int) -> int:
    return Turn.objects.filter(
        interview_id=interview_id, attempt__status__in=[AttemptStatus.PENDING, AttemptStatus.GRADING]
    ).count()


def write_summary(interview_id: int, *, grader=None) -> dict | None:
    """The LLM's strengths, weaknesses and next steps, from the verdicts only (never the
    candidate's own words: nothing in an answer can steer it); items that read as instructions
    are dropped. None (the report keeps its rule-based advice) if it fails."""
    from quizbank.grading.form import instructions_to_grader
    from quizbank.interviews import report

    interview = Interview.objects.filter(pk=interview_id, status=Status.FINISHED, summary__isnull=True).first()
    if interview is None or ungraded(interview_id):
        return None
    lines = []
    for i, row in enumerate(report.questions(interview), 1):
        lines.append(f"{i}. {row.turn.prompt}（{row.state}，{row.score if row.score is not None else '无分数'}）")
        for p in row.grade.points if row.grade else []:
            lines.append(f"   - [{p['status']}] {p['text']}")
        for f in row.follow_ups:
            lines.append(f"   追问：{f.turn.prompt}（{f.state}，{f.score if f.score is not None else '无分数'}）")
    try:
        llm = grader or grading.llm_grader()
        written = llm.write_summary(verdicts="\n".join(lines))
    except Exception:  # noqa: BLE001 — the rule-based advice stands
        logger.warning("no LLM summary for interview %s", interview_id, exc_info=True)
        return None
    summary = {k: [x for x in v if not instructions_to_grader(x)] for k, v in written.items()}
    summary["model"] = llm.config.model
    Interview.objects.filter(pk=interview_id, summary__isnull=True).update(summary=summary)
    return summary


def retry_grading(interview: Interview, number: int) -> bool:
    """A failed grading (or one refused by the hourly limit) runs again; RateLimited if still over."""
    turn = interview.turns.select_related("attempt").filter(number=number).first()
    if turn is None or turn.attempt is None:
        return False
    return grading.retry(turn.attempt)
