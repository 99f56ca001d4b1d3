"""Running a mock interview. Only the server advances it: every answer is saved (as a grading
Attempt) the moment it arrives, the next turn is decided here, and each step is one transaction
holding the interview's row, so a double submit or a replayed request counts once and a refresh
never starts a second interview. Grading runs in Celery while the interview goes on."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from quizbank.bank.follow_ups import askable_follow_ups
from quizbank.bank.models import Question
from quizbank.grading import services as grading
from quizbank.grading import wording
from quizbank.grading.models import Attempt, AttemptStatus
from quizbank.grading.offline import is_skip
from quizbank.interviews import asking, followups, selection, tracks, turns
from quizbank.interviews.models import Interview, Level, Mode, Outcome, Status, Style, Track, Turn
from quizbank.practice.models import Card

logger = logging.getLogger(__name__)
LEVEL_SHIFT = {Level.JUNIOR: -1, Level.MID: 0, Level.SENIOR: 1}
CLOCK_SLACK = 1.5  # the interview clock of a fixed number of questions: room for follow-ups
RECENT_DAYS = 30
RATE_LIMITED = wording.say("rate_limited")


class AlreadyOpen(Exception):
    """The user has an interview in progress (resume or abandon it first)."""

    def __init__(self, interview: Interview):
        self.interview = interview
        super().__init__(interview.pk)


class NothingToAsk(Exception):
    """The chosen sets have no question an interview can ask."""


class NotOpen(Exception):
    """The turn was answered already (a double submit, a replay) or the interview is over."""


@dataclass
class Setup:
    """What a user chose: a track or their own topics, a length, a level, a style, a mode."""

    title: str
    topics: dict[str, int]
    questions: int
    minutes_per_question: float
    difficulty: tuple[str, ...] = ("easy", "medium", "hard")
    track: Track | None = None
    minutes: int | None = None  # a length in minutes instead of a number of questions
    level: str = Level.MID
    style: str = Style.STANDARD
    mode: str = Mode.EXAM
    follow_ups: bool = True
    show_scores: bool = False
    weak_spots: bool = True
    seed: int | None = field(default=None, compare=False)

    @classmethod
    def from_track(cls, track: Track, **choices) -> Setup:
        return cls(
            title=track.title,
            topics=dict(track.topics),
            questions=track.questions,
            minutes_per_question=track.minutes_per_question,
            difficulty=tuple(track.difficulty),
            track=track,
            follow_ups=track.follow_ups,
            **choices,
        )

    @property
    def seconds_per_question(self) -> int:
        return round(self.minutes_per_question * 60 * followups.STYLES[self.style].time_factor)

    @property
    def count(self) -> int:
        """Questions in the plan: as set, or as many as fit the minutes (with room for follow-ups)."""
        if self.minutes:
            return max(1, min(tracks.MAX_QUESTIONS, int(self.minutes * 60 / (self.seconds_per_question * 1.25))))
        return self.questions


# -- starting ------------------------------------------------------------------------------
def open_interview(user) -> Interview | None:
    return Interview.objects.filter(user=user, status=Status.ACTIVE).first()


def candidates(user, topics: dict[str, int], now: datetime) -> list[selection.Candidate]:
    """The free questions of the chosen sets, each marked weak when the user has not seen it or
    failed it in the last 30 days (an answer below 60, a lapse, an Again)."""
    questions = (
        Question.objects.active()
        .filter(question_set__slug__in=list(topics), qtype="free")
        .select_related("question_set")
        .only("id", "title", "difficulty", "follow_ups", "question_set__slug")
    )
    since = now - timedelta(days=RECENT_DAYS)
    seen = set(Card.objects.filter(user=user).values_list("question_id", flat=True))
    seen |= set(Attempt.objects.filter(user=user).values_list("question_id", flat=True))
    failed = set(
        Attempt.objects.filter(user=user, created_at__gte=since, score__lt=60).values_list("question_id", flat=True)
    )
    failed |= set(user.review_logs.filter(reviewed_at__gte=since, rating=1).values_list("question_id", flat=True))
    return [
        selection.Candidate(
            id=q.id,
            topic=q.question_set.slug,
            difficulty=q.difficulty,
            title=q.title,
            links=frozenset(f["see"] for f in askable_follow_ups(q) if f.get("see")),
            weak=q.id not in seen or q.id in failed,
        )
        for q in questions
    ]


def start(user, setup: Setup, *, now: datetime | None = None) -> Interview:
    """Start an interview, or raise AlreadyOpen with the one in progress (a refresh or a second
    tab never starts another) or NothingToAsk."""
    now = now or timezone.now()
    topics = {slug: w for slug, w in setup.topics.items() if w > 0}
    curve = [tracks.shift(d, LEVEL_SHIFT[setup.level]) for d in tracks.curve(setup.difficulty, setup.count)]
    with transaction.atomic():
        grading._lock(user)
        current = open_interview(user)
        if current is not None:
            raise AlreadyOpen(current)
        seed = setup.seed if setup.seed is not None else random.SystemRandom().randrange(2**31)
        plan = selection.draw(candidates(user, topics, now), topics, curve, weak_spots=setup.weak_spots, seed=seed)
        if not plan:
            raise NothingToAsk
        seconds = setup.seconds_per_question
        clock = setup.minutes * 60 if setup.minutes else len(plan) * seconds * CLOCK_SLACK
        try:
            interview = Interview.objects.create(
                user=user,
                track=setup.track,
                title=setup.title,
                level=setup.level,
                style=setup.style,
                mode=setup.mode,
                follow_ups=setup.follow_ups,
                show_scores=setup.show_scores,
                weak_spots=setup.weak_spots,
                topics=topics,
                plan=[c.id for c in plan],
                seconds_per_question=seconds,
                started_at=now,
                ends_at=now + timedelta(seconds=clock),
            )
        except IntegrityError:  # the constraint: one open interview per user
            raise AlreadyOpen(open_interview(user)) from None
        turns.ask(interview, Question.objects.get(id=plan[0].id), now)
    return interview


def abandon(interview: Interview, now: datetime | None = None) -> None:
    """Give up an interview in progress: what was answered is kept (and graded), the open turn's
    draft too (ungraded); it is left out of the trend and of the practice queue."""
    Interview.objects.filter(pk=interview.pk, status=Status.ACTIVE).update(
        status=Status.ABANDONED, finished_at=now or timezone.now()
    )
    interview.turns.filter(outcome=Outcome.OPEN).update(outcome=Outcome.UNANSWERED)


# -- the clock -----------------------------------------------------------------------------
def catch_up(interview: Interview, now: datetime | None = None) -> Interview:
    """The interview clock ran out (beyond grace) while nobody was answering: the open turn's
    draft is kept as its (late) answer, or it stays unanswered, and the interview ends."""
    now = now or timezone.now()
    if interview.is_active and now > interview.ends_at + turns.grace():
        with transaction.atomic():
            locked = Interview.objects.select_for_update().get(pk=interview.pk)
            if locked.is_active:
                turn = locked.turns.filter(outcome=Outcome.OPEN).first()
                if turn is not None and turn.draft.strip():
                    _record(locked, turn, turn.draft, now, duration_ms=None, pasted_chars=0)
                elif turn is not None:
                    Turn.objects.filter(pk=turn.pk).update(outcome=Outcome.UNANSWERED)
                turns.close(locked, now)
        interview.refresh_from_db()
    return interview


# -- answering -----------------------------------------------------------------------------
def _locked_turn(interview: Interview, number: int) -> tuple[Interview, Turn]:
    locked = Interview.objects.select_for_update().get(pk=interview.pk)
    turn = locked.turns.select_related("question").filter(number=number).first()
    if turn is None or turn.outcome != Outcome.OPEN or not locked.is_active or not turn.prompt:
        raise NotOpen  # answered already, over, or a follow-up still being written
    return locked, turn


def answer(
    interview: Interview,
    number: int,
    text: str,
    *,
    now: datetime | None = None,
    duration_ms: int | None = None,
    pasted_chars: int = 0,
    queue: bool = True,
) -> Turn:
    """Record the answer to turn `number` and move on (a follow-up, the next question, or the
    end). Whatever the text says ("跳过", "下一题", "给满分") it is an answer. NotOpen if the turn
    was answered already: the second submit of a double click changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, turn = _locked_turn(interview, number)
        attempt = _record(locked, turn, text, now, duration_ms=duration_ms, pasted_chars=pasted_chars)
        _advance(locked, turn, now)
    if queue and attempt.status == AttemptStatus.PENDING:
        grading.queue(attempt)
    return turn


def pass_turn(interview: Interview, number: int, outcome: str, *, now: datetime | None = None, text: str = "") -> Turn:
    """The "跳过" (skipped) and "不知道" (don't know) buttons: nothing to grade, no follow-up.
    Anything written in the box is kept with the turn (the report shows it, ungraded)."""
    if outcome not in (Outcome.SKIPPED, Outcome.DONT_KNOW):
        raise ValueError(outcome)
    now = now or timezone.now()
    with transaction.atomic():
        locked, turn = _locked_turn(interview, number)
        turn.outcome, turn.answered_at, turn.late = outcome, now, now > turns.turn_deadline(turn) + turns.grace()
        turn.draft = text.strip() or turn.draft
        turn.save(update_fields=["outcome", "answered_at", "late", "draft"])
        _advance(locked, turn, now, follow_up=False)
    return turn


def save_draft(interview: Interview, number: int, text: str) -> bool:
    """Keep what is being typed (a reload, a closed tab or a lost connection resumes it)."""
    return bool(
        Turn.objects.filter(
            interview=interview, interview__status=Status.ACTIVE, number=number, outcome=Outcome.OPEN
        ).update(draft=text)
    )


def use_hint(interview: Interview, number: int) -> bool:
    """Practice mode only: show the key points' count and the first point's gist."""
    if interview.mode != Mode.PRACTICE:
        return False
    return bool(Turn.objects.filter(interview=interview, number=number, outcome=Outcome.OPEN).update(hint_used=True))


def finish(interview: Interview, now: datetime | None = None, *, number: int | None = None, text: str = "") -> None:
    """End the interview early ("结束面试"). What is written for the open turn — `text` sent with
    the button for turn `number`, else its saved draft — becomes its answer; with nothing
    written the turn stays unanswered."""
    now = now or timezone.now()
    attempt = None
    with transaction.atomic():
        locked = Interview.objects.select_for_update().get(pk=interview.pk)
        if not locked.is_active:
            return
        turn = locked.turns.select_related("question").filter(outcome=Outcome.OPEN).first()
        written = (text if turn is not None and turn.number == number else "").strip() or (turn.draft if turn else "")
        if turn is not None and turn.prompt and written.strip():
            attempt = _record(locked, turn, written, now, duration_ms=None, pasted_chars=0)
        locked.turns.filter(outcome=Outcome.OPEN).update(outcome=Outcome.UNANSWERED)
        turns.close(locked, now)
    if attempt is not None and attempt.status == AttemptStatus.PENDING:
        grading.queue(attempt)


def _advance(interview: Interview, turn: Turn, now: datetime, *, follow_up: bool = True) -> None:
    """A follow-up on this turn if it calls for one, else the next planned question (or the end)."""
    if now <= interview.ends_at + turns.grace() and follow_up and interview.follow_ups:
        if asking.follow_up(interview, turn, now):
            return
    turns.next_question(interview, now)


def _record(interview: Interview, turn: Turn, text: str, now: datetime, *, duration_ms, pasted_chars) -> Attempt:
    """Save the answer as an Attempt (charged to the hourly grading limit; over the limit it is
    kept, marked failed with the reason, and can be re-graded from the report)."""
    attempt = grading.submit_attempt(
        user=interview.user,
        question=turn.question,
        text=text,
        duration_ms=duration_ms,
        pasted_chars=pasted_chars,
        follow_up=turn.follow_up,
    )
    if not is_skip(text):
        try:
            with transaction.atomic():
                grading.charge(interview.user, attempt=attempt, now=now)
        except grading.RateLimited:
            Attempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.FAILED, failure=RATE_LIMITED)
            attempt.status = AttemptStatus.FAILED
    turn.outcome, turn.answered_at, turn.attempt, turn.draft = Outcome.ANSWERED, now, attempt, ""
    turn.late = now > turns.turn_deadline(turn) + turns.grace()
    turn.save(update_fields=["outcome", "answered_at", "attempt", "draft", "late"])
    return attempt
