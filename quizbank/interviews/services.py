"""Running a mock interview. Only the server advances it: every answer is saved (as a grading
Attempt) the moment it arrives, the next turn is decided here, and each step is one transaction
holding the interview's row, so a double submit or a replayed request counts once and a refresh
never starts a second interview. Grading runs in Celery while the interview goes on."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from quizbank.bank.follow_ups import askable_follow_ups
from quizbank.bank.models import Question
from quizbank.grading import rubrics, wording
from quizbank.grading import services as grading
from quizbank.grading.models import Attempt, AttemptStatus
from quizbank.grading.offline import is_skip
from quizbank.interviews import followups, selection, tracks
from quizbank.interviews.models import Interview, Level, Mode, Outcome, Status, Style, Track, Turn
from quizbank.practice import services as practice
from quizbank.practice.models import Card

logger = logging.getLogger(__name__)
LEVEL_SHIFT = {Level.JUNIOR: -1, Level.MID: 0, Level.SENIOR: 1}
FOLLOW_UP_SHARE = 0.6  # a follow-up gets this share of a question's time
MIN_FOLLOW_UP_SECONDS = 60
CLOCK_SLACK = 1.5  # the interview clock of a fixed number of questions: room for follow-ups
WEAK_SCORE = 75  # a question scored below this goes into the practice queue (Again < 60 ≤ Hard)
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
        _ask(interview, Question.objects.get(id=plan[0].id), now)
    return interview


def abandon(interview: Interview, now: datetime | None = None) -> None:
    """Give up an interview in progress: what was answered is kept (and graded), the open turn's
    draft too (ungraded); it is left out of the trend and of the practice queue."""
    Interview.objects.filter(pk=interview.pk, status=Status.ACTIVE).update(
        status=Status.ABANDONED, finished_at=now or timezone.now()
    )
    interview.turns.filter(outcome=Outcome.OPEN).update(outcome=Outcome.UNANSWERED)


# -- the clock -----------------------------------------------------------------------------
def grace() -> timedelta:
    return timedelta(seconds=settings.QUIZBANK_INTERVIEW_GRACE_SECONDS)


def turn_deadline(turn: Turn) -> datetime:
    return turn.asked_at + timedelta(seconds=turn.limit_seconds)


def current_turn(interview: Interview) -> Turn | None:
    return interview.turns.filter(outcome=Outcome.OPEN).select_related("question").first()


def catch_up(interview: Interview, now: datetime | None = None) -> Interview:
    """The interview clock ran out (beyond grace) while nobody was answering: the open turn's
    draft is kept as its (late) answer, or it stays unanswered, and the interview ends."""
    now = now or timezone.now()
    if interview.is_active and now > interview.ends_at + grace():
        with transaction.atomic():
            locked = Interview.objects.select_for_update().get(pk=interview.pk)
            if locked.is_active:
                turn = locked.turns.filter(outcome=Outcome.OPEN).first()
                if turn is not None and turn.draft.strip():
                    _record(locked, turn, turn.draft, now, duration_ms=None, pasted_chars=0)
                elif turn is not None:
                    Turn.objects.filter(pk=turn.pk).update(outcome=Outcome.UNANSWERED)
                _finish(locked, now)
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
        turn.outcome, turn.answered_at, turn.late = outcome, now, now > turn_deadline(turn) + grace()
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
        _finish(locked, now)
    if attempt is not None and attempt.status == AttemptStatus.PENDING:
        grading.queue(attempt)


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
    turn.late = now > turn_deadline(turn) + grace()
    turn.save(update_fields=["outcome", "answered_at", "attempt", "draft", "late"])
    return attempt


def _advance(interview: Interview, turn: Turn, now: datetime, *, follow_up: bool = True) -> None:
    if now > interview.ends_at + grace():
        _finish(interview, now)
        return
    if follow_up and interview.follow_ups and _follow_up(interview, turn, now):
        return
    asked = set(interview.turns.filter(parent__isnull=True).values_list("question_id", flat=True))
    remaining = [qid for qid in interview.plan if qid not in asked]
    question = Question.objects.active().filter(id__in=remaining[:1]).first()
    if question is None and remaining:  # retired since the plan was made: the next one that is not
        question = Question.objects.active().filter(id__in=remaining).first()
    if question is None:
        _finish(interview, now)
    else:
        _ask(interview, question, now)


def _ask(
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


def _follow_up(interview: Interview, turn: Turn, now: datetime) -> bool:
    """Ask a follow-up on the question of `turn` if its answer missed key points (judged at
    once by the offline grader), at most the style's number per question: with an LLM
    configured one it writes about the most important missed point (written in the background,
    validated, the authored one as fallback), else the authored one probing a missed point."""
    root = turn.parent or turn
    rules = followups.STYLES[interview.style]
    asked = list(root.follow_up_turns.all())
    if len(asked) >= rules.max_follow_ups or not turn.attempt_id:
        return False
    text = turn.attempt.text
    verdict = rubrics.grade(rubrics.target(turn.attempt), text, pasted=grading.looks_pasted(turn.attempt))
    ceiling = _ceiling(rubrics.target(turn.attempt))
    if not followups.should_follow_up(verdict.score, verdict.points, empty=is_skip(text), rules=rules, ceiling=ceiling):
        return False
    parent_question = root.question
    if turn.parent is not None:  # pressing on: what the first answer missed, still missed
        first = rubrics.grade(parent_question, root.attempt.text) if root.attempt_id else None
        missed = followups.missed_points(first.points) if first else []
    else:
        missed = followups.missed_points(verdict.points)
    probed = {i for f in asked if f.follow_up for i in f.follow_up.get("probes", [])}
    missed = [i for i in missed if i not in probed] or missed
    authored = _authored(interview, parent_question, asked, missed)
    if grading.grader_kind() == "llm" and missed:
        weights = [int(p.get("weight", 1)) for p in parent_question.key_points]
        aim = max(missed, key=lambda i: (weights[i] if i < len(weights) else 1, -i))
        pending = {
            "text": "",
            "answer": rubrics.reference_text(parent_question),
            "key_points": [parent_question.key_points[aim]],
            "probes": [aim],
            "generated": True,
            "fallback": authored,
        }
        waiting = _ask(interview, parent_question, now, parent=root, follow_up=pending, prompt="")
        transaction.on_commit(lambda: _queue_writer(waiting.pk))
        return True
    if authored is None:
        return False
    _ask_authored(interview, root, authored, now)
    return True


def _ceiling(target) -> int:
    """What the reference's core answer scores on its own rubric (offline, cached per version)."""
    key = (target.id, target.version)
    if key not in _CEILINGS:
        if len(_CEILINGS) > 2048:
            _CEILINGS.clear()
        _CEILINGS[key] = rubrics.grade(target, target.answer_md).score if target.answer_md else 100
    return _CEILINGS[key]


_CEILINGS: dict[tuple, int] = {}


def _authored(interview: Interview, question: Question, asked: list[Turn], missed: list[int]) -> dict | None:
    """The authored follow-up for these missed points, as a snapshot (None: there is none)."""
    linked_asked = {f.question_id for f in asked if not f.follow_up}
    done = {f.follow_up["index"] for f in asked if f.follow_up and "index" in f.follow_up}
    askable = askable_follow_ups(question)
    planned = set(interview.plan)  # a question the plan asks anyway is no follow-up
    done |= {f["index"] for f in askable if f.get("see") in linked_asked | planned}
    weights = [int(p.get("weight", 1)) for p in question.key_points]
    index = followups.choose(askable, missed, done, weights)
    if index is None:
        return None
    chosen = question.follow_ups[index]
    return {
        "index": index,
        "text": chosen["text"],
        "see": chosen.get("see", ""),
        "answer": chosen.get("answer", ""),
        "key_points": chosen.get("key_points", []),
        "probes": chosen.get("probes", []),
    }


def _ask_authored(interview: Interview, root: Turn, authored: dict, now: datetime, turn: Turn | None = None) -> bool:
    """Ask (or, for a turn waiting for the LLM, turn into) the authored follow-up."""
    if authored.get("see"):
        question = Question.objects.active().filter(id=authored["see"]).first()
        if question is None:
            return False
        fields = {"question": question, "follow_up": None, "prompt": authored["text"]}
    else:
        fields = {"question": root.question, "follow_up": authored, "prompt": authored["text"]}
    if turn is None:
        _ask(interview, fields.pop("question"), now, parent=root, **fields)
    else:
        Turn.objects.filter(pk=turn.pk).update(asked_at=now, generated=False, **fields)
    return True


def _queue_writer(turn_id: int) -> None:
    from quizbank.interviews.tasks import write_follow_up_task

    try:
        write_follow_up_task.delay(turn_id)
    except Exception:  # noqa: BLE001 — the turn page falls back to the authored follow-up
        logger.exception("could not queue the follow-up writer for turn %s", turn_id)


FOLLOW_UP_WAIT = timedelta(seconds=15)  # longer than this writing a follow-up: the authored one


def write_follow_up(turn_id: int, *, grader=None, now: datetime | None = None) -> None:
    """Have the LLM write the follow-up a waiting turn asks; one that gives the answer away
    (followups.gives_away), fails or comes too late is replaced by the authored fallback."""
    turn = Turn.objects.select_related("parent__attempt", "question", "interview").filter(pk=turn_id).first()
    if turn is None or turn.prompt or turn.outcome != Outcome.OPEN or not turn.follow_up:
        return
    written = ""
    try:
        asked = (grader or grading.llm_grader()).write_follow_up(
            question=turn.question.title,
            missed=turn.follow_up["key_points"],
            answer=turn.parent.attempt.text if turn.parent and turn.parent.attempt else "",
            deadline=FOLLOW_UP_WAIT.total_seconds() - 3,
        )
        if not followups.gives_away(asked, turn.follow_up["key_points"], turn.follow_up["answer"]):
            written = asked
    except Exception:  # noqa: BLE001 — any failure: the authored follow-up (or none) instead
        logger.warning("the LLM did not write a follow-up for turn %s", turn_id, exc_info=True)
    _settle(turn.pk, written, now or timezone.now())


def settle_waiting(turn: Turn, now: datetime | None = None) -> None:
    """A follow-up still unwritten after FOLLOW_UP_WAIT (no worker, a slow LLM): the fallback."""
    now = now or timezone.now()
    if turn.prompt == "" and turn.outcome == Outcome.OPEN and now - turn.asked_at > FOLLOW_UP_WAIT:
        _settle(turn.pk, "", now)


def _settle(turn_id: int, written: str, now: datetime) -> None:
    with transaction.atomic():
        interview_id = Turn.objects.filter(pk=turn_id).values_list("interview_id", flat=True).first()
        if interview_id is None:
            return
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        turn = interview.turns.select_related("parent", "question").filter(pk=turn_id).first()
        if turn is None or turn.prompt or turn.outcome != Outcome.OPEN or not interview.is_active:
            return
        if written:
            snapshot = {**turn.follow_up, "text": written}
            Turn.objects.filter(pk=turn.pk).update(prompt=written, follow_up=snapshot, generated=True, asked_at=now)
            return
        fallback = turn.follow_up.get("fallback")
        if fallback and _ask_authored(interview, turn.parent, fallback, now, turn=turn):
            return
        turn.delete()  # nothing to ask after all: on with the interview
        _advance(interview, turn.parent, now, follow_up=False)


def _finish(interview: Interview, now: datetime) -> None:
    Interview.objects.filter(pk=interview.pk, status=Status.ACTIVE).update(status=Status.FINISHED, finished_at=now)
    interview.status, interview.finished_at = Status.FINISHED, now
    transaction.on_commit(lambda: settled(interview.pk))


# -- into practice -------------------------------------------------------------------------
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
            card = Card.objects.filter(user=interview.user, question=turn.question).first()
            try:
                practice.rate_card(
                    user=interview.user,
                    question=turn.question,
                    token=practice.token_for(card),
                    rating=1 if score < 60 else 2,
                    now=now,
                )
            except practice.StaleCard:
                continue
            added.append(turn.question_id)
        if added:
            interview.queued_for_practice = [*interview.queued_for_practice, *added]
            interview.save(update_fields=["queued_for_practice"])
    return added


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


def failure_text(attempt: Attempt) -> str:
    return wording.localize(attempt.failure) if attempt.failure else ""
