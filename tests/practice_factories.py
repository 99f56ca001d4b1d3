"""Plain factory functions for practice tests."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from quizbank.bank.models import Question, QuestionSet
from quizbank.practice import scheduling
from quizbank.practice.models import Card, Deck, PracticeSettings, ReviewLog

_counter = {"n": 0}


def make_user(name: str | None = None, **prefs):
    _counter["n"] += 1
    user = get_user_model().objects.create_user(name or f"user{_counter['n']}", password="a-long-password-1")
    if prefs:
        PracticeSettings.objects.update_or_create(user=user, defaults=prefs)
    return user


def make_set(slug: str, n: int) -> QuestionSet:
    qs = QuestionSet.objects.create(slug=slug, title=f"Set {slug}", order=50)
    Question.objects.bulk_create(
        [
            Question(
                id=f"{slug}-{i:05d}",
                question_set=qs,
                position=i,
                title=f"问题 {i}",
                difficulty="easy",
                answer_md="答案",
                answer_html="<p>答案</p>",
                key_points=[{"text": "要点", "weight": 1}],
                content_hash=str(i),
            )
            for i in range(1, n + 1)
        ],
        batch_size=1000,
    )
    return qs


def make_deck(user, *sets, **kwargs) -> Deck:
    deck = Deck.objects.create(user=user, name="deck", **kwargs)
    deck.topics.set(sets)
    return deck


def make_review_cards(user, qs: QuestionSet, now: datetime, *, overdue_days: float = 1.0, limit: int | None = None):
    """A graduated (Review) card for each question of the set, all due `overdue_days` ago."""
    cards = []
    for i, question in enumerate(Question.objects.filter(question_set=qs).order_by("position")[:limit]):
        last = now - timedelta(days=10 + overdue_days - i / 1000)
        state = {
            "state": 2,
            "step": None,
            "stability": 10.0,
            "difficulty": 5.0,
            "due": (last + timedelta(days=10)).isoformat(),
            "last_review": last.isoformat(),
        }
        card = Card(user=user, question=question, state={}, due=now)
        card.apply_state(state)
        cards.append(card)
    Card.objects.bulk_create(cards, batch_size=1000)
    return cards


def learn(user, deck, question, now, ratings=(3, 3)):
    """Rate a new card until it graduates."""
    from quizbank.practice import services

    result = None
    for rating in ratings:
        card = Card.objects.filter(user=user, question=question).first()
        token = str(card.revision) if card else services.NEW_TOKEN
        result = services.rate_card(user=user, question=question, token=token, rating=rating, now=now)
        now = result.card.due
    return result


def log_review(card: Card, rating: int, reviewed_at: datetime, *, interval_before: float) -> ReviewLog:
    """A review log as the statistics read it (the states themselves left empty)."""
    return ReviewLog.objects.create(
        card=card,
        user=card.user,
        question=card.question,
        rating=rating,
        kind="review",
        reviewed_at=reviewed_at,
        state_before={},
        state_after={},
        card_before={},
        interval_before=interval_before,
    )


__all__ = ["make_user", "make_set", "make_deck", "make_review_cards", "learn", "log_review", "scheduling"]
