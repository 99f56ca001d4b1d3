"""Practice services: what to show next, rating, undo, bury and suspend, typed answers, notes.
Each write is one transaction; every rating is checked against the card revision it was
shown with, so it counts once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum

from quizbank.bank.markup import numeric_matches
from quizbank.bank.models import Question
from quizbank.grading.models import Attempt, AttemptStatus
from quizbank.practice import kept, numeric, queue, scheduling
from quizbank.practice.models import Card, Deck, PracticeSettings, QuestionNote, ReviewLog
from quizbank.practice.queue import QueueCounts

NEW_TOKEN = "new"
TOKEN_RE = re.compile(r"^(new|[0-9]{1,10})$")
KIND_BY_PHASE = {1: "learn", 2: "review", 3: "relearn"}


class StaleCard(Exception):
    """The card changed since it was shown (a double click, a replay, another tab)."""


class NothingToUndo(Exception):
    pass


class WrongAttempt(Exception):
    """The answer sent with a rating was not this user's answer to this card, or already rated."""


@dataclass
class ShownCard:
    question: Question
    card: Card | None
    token: str
    counts: QueueCounts | None = None

    @property
    def is_new(self) -> bool:
        return self.card is None


def token_for(card: Card | None) -> str:
    """What a page must send back to rate this card as it is now (its revision)."""
    return str(card.revision) if card else NEW_TOKEN


def is_token(text: str) -> bool:
    return bool(TOKEN_RE.match(text))


def settings_for(user) -> PracticeSettings:
    """The settings a practice request schedules with (kept between requests: `kept`)."""
    return kept.settings_for(user)


def settings_to_edit(user) -> PracticeSettings:
    """The settings as stored now, for the page that changes them."""
    return PracticeSettings.objects.get_or_create(user=user)[0]


def today_counts(user, prefs: PracticeSettings, now: datetime) -> dict:
    """New cards introduced and reviews done in the user's current study day."""
    return ReviewLog.objects.filter(user=user, reviewed_at__gte=prefs.day_start(now)).aggregate(
        new=Count("id", filter=Q(kind="new")),
        review=Count("id", filter=Q(kind="review")),
    )


def read_queue(*, user, deck: Deck, now: datetime, prefs: PracticeSettings | None = None) -> queue.Found:
    """The queue as a card page needs it: the card, its counts, the last rating, the typed answer
    waiting for a rating (`queue`: two statements whatever the deck's size)."""
    return queue.read(user=user, deck=deck, now=now, prefs=prefs or settings_for(user))


def shown_card(found: queue.Found) -> ShownCard | None:
    if found.question is None:
        return None
    return ShownCard(question=found.question, card=found.card, token=token_for(found.card), counts=found.counts)


def queue_counts(
    *, user, deck: Deck, now: datetime, prefs: PracticeSettings | None = None
) -> tuple[QueueCounts, ReviewLog | None]:
    """The counts above a card shown again (revealed, answered, undone), as the next card shows
    them, and the last rating (the undo link) from the same statement."""
    return queue.counts_and_last_log(user=user, deck=deck, now=now, prefs=prefs or settings_for(user))


def next_card(*, user, deck: Deck, now: datetime, prefs: PracticeSettings | None = None) -> ShownCard | None:
    """Due reviews first (most overdue first), then new cards up to the day's limit, then
    learning cards due within 20 minutes."""
    return shown_card(read_queue(user=user, deck=deck, now=now, prefs=prefs))


def interval_previews(*, prefs: PracticeSettings, card: Card | None, now: datetime) -> dict[int, str]:
    state = card.state if card else scheduling.new_state(0, now)
    previews = scheduling.previews(prefs.scheduler_settings(), card.pk if card else 0, state, now)
    return {rating: scheduling.format_interval(delta) for rating, delta in previews.items()}


@dataclass
class RateResult:
    log: ReviewLog
    card: Card
    became_leech: bool


def rate_card(
    *,
    user,
    question: Question,
    token: str,
    rating: int,
    now: datetime,
    duration_ms: int | None = None,
    attempt: Attempt | None = None,
    prefs: PracticeSettings | None = None,
) -> RateResult:
    """Apply a rating to the card shown with `token`; raise StaleCard if it changed since, and
    WrongAttempt if `attempt` is not the user's answer to this question, or was rated already."""
    if rating not in scheduling.RATINGS:
        raise ValueError("rating must be 1, 2, 3 or 4")
    if attempt is not None and (attempt.user_id != user.pk or attempt.question_id != question.pk):
        raise WrongAttempt
    prefs = prefs or settings_for(user)
    with transaction.atomic():
        if token == NEW_TOKEN:
            state_before = None
            card = Card(user=user, question=question, state={}, due=now)
            card.apply_state(scheduling.new_state(0, now))
            try:
                with transaction.atomic():
                    card.save()
            except IntegrityError as exc:
                raise StaleCard from exc
        else:
            card = queue.card_of(user.pk, question)
            if card is None or str(card.revision) != token:
                raise StaleCard
            state_before = card.state
        if attempt is not None and ReviewLog.objects.filter(attempt=attempt).exists():
            raise WrongAttempt
        card_before = {"reps": card.reps, "lapses": card.lapses, "is_leech": card.is_leech, "revision": card.revision}
        interval_before = card.interval_days
        new_state = scheduling.review(prefs.scheduler_settings(), card.pk, card.state, rating, now)
        lapsed = state_before is not None and scheduling.is_lapse(state_before, rating)
        became_leech = lapsed and not card.is_leech and card.lapses + 1 >= scheduling.LEECH_LAPSES
        never_reviewed = state_before is None or not state_before.get("last_review")
        kind = "new" if never_reviewed else KIND_BY_PHASE[state_before["state"]]
        card.apply_state(new_state)
        card.reps += 1
        card.lapses += lapsed
        card.is_leech = card.is_leech or became_leech
        card.buried_until = None
        # compare-and-set: only the request that saw this revision may change the card
        updated = Card.objects.filter(pk=card.pk, revision=card_before["revision"]).update(
            state=card.state,
            phase=card.phase,
            due=card.due,
            interval_days=card.interval_days,
            reps=card.reps,
            lapses=card.lapses,
            is_leech=card.is_leech,
            buried_until=None,
            revision=card_before["revision"] + 1,
        )
        if not updated:
            raise StaleCard
        card.revision = card_before["revision"] + 1
        log = ReviewLog.objects.create(
            card=card,
            user=user,
            question=question,
            rating=rating,
            kind=kind,
            reviewed_at=now,
            duration_ms=duration_ms,
            state_before=state_before,
            state_after=new_state,
            card_before=card_before,
            interval_before=interval_before,
            attempt=attempt,
            score=attempt.score if attempt else None,
        )
    return RateResult(log=log, card=card, became_leech=became_leech)


def undo_last(*, user, log_id: int) -> Question:
    """Undo the user's most recent rating (which must be `log_id`): the card gets back exactly
    the state it had; a card rated for the first time becomes new again."""
    with transaction.atomic():
        last = (
            ReviewLog.objects.filter(user=user)
            .select_related("card", "question")
            .order_by("-reviewed_at", "-id")
            .first()
        )
        if last is None or last.pk != log_id:
            raise NothingToUndo
        card = last.card
        if last.state_before is None:
            card.delete()
            return last.question
        card.apply_state(last.state_before)
        card.reps, card.lapses = last.card_before["reps"], last.card_before["lapses"]
        card.is_leech = last.card_before["is_leech"]
        card.revision += 1
        card.save()
        last.delete()
        return last.question


def relearn_question(*, question: Question, now: datetime) -> int:
    """Every learner's reviewed card of `question` back to relearning, due now; how many moved."""
    cards = list(Card.objects.filter(question=question, phase=scheduling.REVIEW_PHASE))
    for card in cards:
        card.apply_state(scheduling.relearn(card.state, now))
        card.revision += 1
    Card.objects.bulk_update(cards, ["state", "phase", "due", "interval_days", "revision"], batch_size=500)
    return len(cards)


def bury(*, user, question: Question, now: datetime) -> None:
    """Hide the card until the user's next study day."""
    prefs = settings_for(user)
    tomorrow = prefs.day_start(now) + timedelta(days=1)
    Card.objects.filter(user=user, question=question).update(buried_until=tomorrow)


def set_suspended(*, user, question: Question, suspended: bool) -> None:
    Card.objects.filter(user=user, question=question).update(suspended=suspended)


def ensure_card(*, user, question: Question, now: datetime) -> Card:
    """A card for a question never practised, so it can be buried or suspended before its first rating."""
    card, _ = Card.objects.get_or_create(
        user=user, question=question, defaults={"state": scheduling.new_state(0, now), "due": now}
    )
    return card


@dataclass
class CheckResult:
    correct: bool
    suggested_rating: int
    attempt: Attempt
    reading: str = ""  # how a numeric answer was read: "读作 202400000 = 202.4 M"


def check_answer(
    *, user, question: Question, choices: list[int] | None = None, number: str = "", duration_ms: int | None = None
) -> CheckResult:
    """Check a choice or numeric answer at once: right suggests Good, wrong suggests Again.
    A numeric answer that is no number raises numeric.NumberError and saves nothing."""
    reading = ""
    if question.qtype == "numeric":
        correct, reading = _check_number(question, number)
        text = number.strip()
    else:
        chosen = sorted(set(choices or []))
        right = [i for i, option in enumerate(question.options) if option["correct"]]
        correct = chosen == right
        text = ", ".join(chr(ord("A") + i) for i in chosen)
    attempt = Attempt.objects.create(
        user=user,
        question=question,
        question_version=question.version,
        text=text,
        duration_ms=duration_ms,
        status=AttemptStatus.GRADED,
        score=100.0 if correct else 0.0,
    )
    return CheckResult(correct=correct, suggested_rating=3 if correct else 1, attempt=attempt, reading=reading)


def _check_number(question: Question, number: str) -> tuple[bool, str]:
    """Whether a numeric answer is right, and how it was read; NumberError if it is no number."""
    readings = numeric.read_number(number, question.unit)
    answer = Decimal(question.numeric_answer)
    right = [r for r in readings if numeric_matches(r.value, answer, question.tolerance)]
    return bool(right), (right or readings)[0].explanation


def check_of(attempt: Attempt, question: Question) -> CheckResult:
    """The check of a choice or numeric answer, from the attempt it was saved as."""
    correct = attempt.score == 100.0
    reading = ""
    if question.qtype == "numeric":
        try:
            reading = _check_number(question, attempt.text)[1]
        except numeric.NumberError:
            pass
    return CheckResult(correct=correct, suggested_rating=3 if correct else 1, attempt=attempt, reading=reading)


def create_starter_deck(*, user, name: str = "全部题集") -> Deck:
    """Every new account starts with one deck of all sets, ready to study (Anki's Default deck)."""
    from quizbank.bank.models import QuestionSet

    deck = Deck.objects.create(user=user, name=name)
    deck.topics.set(QuestionSet.objects.active())
    return deck


def toggle_star(*, user, question: Question) -> bool:
    note, _ = QuestionNote.objects.get_or_create(user=user, question=question)
    note.starred = not note.starred
    note.save(update_fields=["starred", "updated_at"])
    return note.starred


def save_note(*, user, question: Question, text: str) -> QuestionNote:
    note, _ = QuestionNote.objects.get_or_create(user=user, question=question)
    note.text = text
    note.save(update_fields=["text", "updated_at"])
    return note


@dataclass
class SessionSummary:
    reviewed: int
    right: int
    wrong: int
    seconds: int
    due_tomorrow: int


def session_summary(*, user, since: datetime, now: datetime) -> SessionSummary:
    prefs = settings_for(user)
    logs = ReviewLog.objects.filter(user=user, reviewed_at__gte=since).aggregate(
        n=Count("id"), wrong=Count("id", filter=Q(rating=1)), ms=Sum("duration_ms")
    )
    tomorrow_end = prefs.day_start(now) + timedelta(days=2)
    due_tomorrow = Card.objects.for_user(user).available(now).filter(due__lt=tomorrow_end).count()
    return SessionSummary(
        reviewed=logs["n"],
        right=logs["n"] - logs["wrong"],
        wrong=logs["wrong"],
        seconds=(logs["ms"] or 0) // 1000,
        due_tomorrow=due_tomorrow,
    )
