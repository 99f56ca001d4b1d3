"""The turns of an interview and its clocks: asking a question or a follow-up (with its
countdown), the next planned question, and closing the interview. Used by the session
(services.py) and by the follow-ups (asking.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from quizbank.bank.models import Question
from quizbank.interviews import results
from quizbank.interviews.models import Interview, Outcome, Status, Turn

FOLLOW_UP_SHARE = 0.6  # a follow-up gets this share of a question's time
MIN_FOLLOW_UP_SECONDS = 60


def grace() -> timedelta:
    return timedelta(seconds=settings.QUIZBANK_INTERVIEW_GRACE_SECONDS)


def turn_deadline(turn: Turn) -> datetime:
    return turn.asked_at + timedelta(seconds=turn.limit_seconds)


def current_turn(interview: Interview) -> Turn | None:
    return interview.turns.filter(outcome=Outcome.OPEN).select_related("question").first()


def ask(
    interview: Interview,
    question: Question,
    now: datetime,
    *,
    parent: Turn | None = None,
    follow_up: dict | None = None,
    prompt: str | None = None,
) -> Turn:
    number = (interview.turns.aggregate(n=Max("number"))["n"] or 0) + 1
    seconds = interview.seconds_per_question
    if parent is not None:
        seconds = max(MIN_FOLLOW_UP_SECONDS, round(seconds * FOLLOW_UP_SHARE))
    return Turn.objects.create(
        interview=interview,
        number=number,
        question=question,
        parent=parent,
        follow_up=follow_up,
        prompt=prompt if prompt is not None else (follow_up["text"] if follow_up else question.title),
        asked_at=now,
        limit_seconds=seconds,
    )


def next_question(interview: Interview, now: datetime) -> None:
    """Ask the next planned question, or close the interview (plan done, or its clock run out)."""
    if now > interview.ends_at + grace():
        close(interview, now)
        return
    asked = set(interview.turns.filter(parent__isnull=True).values_list("question_id", flat=True))
    remaining = [qid for qid in interview.plan if qid not in asked]
    question = Question.objects.active().filter(id__in=remaining[:1]).first()
    if question is None and remaining:  # retired since the plan was made: the next one that is not
        question = Question.objects.active().filter(id__in=remaining).first()
    if question is None:
        close(interview, now)
    else:
        ask(interview, question, now)


def close(interview: Interview, now: datetime) -> None:
    """The interview is over: once that commits, its results are settled (results.settled)."""
    Interview.objects.filter(pk=interview.pk, status=Status.ACTIVE).update(status=Status.FINISHED, finished_at=now)
    interview.status, interview.finished_at = Status.FINISHED, now
    transaction.on_commit(lambda: results.settled(interview.pk))
