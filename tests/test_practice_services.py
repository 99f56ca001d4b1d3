"""The daily queue, limits, the day boundary, undo, replays and leeches."""

from datetime import UTC, datetime, timedelta

import pytest

from quizbank.bank.models import Question
from quizbank.grading.models import Attempt
from quizbank.practice import services
from quizbank.practice.models import Card, ReviewLog
from quizbank.practice.numeric import NumberError
from tests.practice_factories import learn, make_deck, make_review_cards, make_set, make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def shown_ids(user, deck, now, n=50):
    """Answer Good to whatever the queue shows, n times; the ids in order."""
    ids = []
    for _ in range(n):
        shown = services.next_card(user=user, deck=deck, now=now)
        if shown is None:
            break
        ids.append(shown.question.id)
        services.rate_card(user=user, question=shown.question, token=shown.token, rating=4, now=now)
    return ids


def test_due_reviews_come_first_most_overdue_first_then_new_cards():
    user = make_user()
    qs = make_set("s", 6)
    make_review_cards(user, qs, NOW, overdue_days=1, limit=3)
    Card.objects.filter(question_id="s-00002").update(due=NOW - timedelta(days=9))
    deck = make_deck(user, qs)
    assert shown_ids(user, deck, NOW) == ["s-00002", "s-00001", "s-00003", "s-00004", "s-00005", "s-00006"]


def test_new_cards_stop_at_the_daily_limit():
    user = make_user(new_per_day=2)
    deck = make_deck(user, make_set("s", 5))
    assert shown_ids(user, deck, NOW) == ["s-00001", "s-00002"]
    assert services.next_card(user=user, deck=deck, now=NOW + timedelta(hours=1)) is None


def test_reviews_stop_at_the_daily_limit():
    user = make_user(reviews_per_day=3, new_per_day=0)
    qs = make_set("s", 5)
    make_review_cards(user, qs, NOW)
    assert len(shown_ids(user, make_deck(user, qs), NOW)) == 3


def test_the_day_boundary_is_four_am_in_the_users_zone():
    user = make_user(new_per_day=1)
    deck = make_deck(user, make_set("s", 3))
    at_0359 = datetime(2026, 11, 23, 19, 59, tzinfo=UTC)  # 03:59 in Shanghai
    assert shown_ids(user, deck, at_0359, n=1) == ["s-00001"]
    assert services.next_card(user=user, deck=deck, now=at_0359 + timedelta(seconds=30)) is None
    at_0401 = datetime(2026, 11, 23, 20, 1, tzinfo=UTC)  # 04:01: a new study day
    shown = services.next_card(user=user, deck=deck, now=at_0401)
    assert shown is not None and shown.question.id == "s-00002"


def test_retired_questions_never_appear():
    user = make_user()
    qs = make_set("s", 3)
    make_review_cards(user, qs, NOW, limit=1)
    Question.objects.filter(id__in=["s-00001", "s-00002"]).update(retired_at=NOW)
    assert shown_ids(user, make_deck(user, qs), NOW) == ["s-00003"]


def test_buried_cards_come_back_tomorrow_and_suspended_never():
    user = make_user(new_per_day=0)
    qs = make_set("s", 2)
    make_review_cards(user, qs, NOW)
    deck = make_deck(user, qs)
    services.bury(user=user, question=Question.objects.get(id="s-00001"), now=NOW)
    services.set_suspended(user=user, question=Question.objects.get(id="s-00002"), suspended=True)
    assert services.next_card(user=user, deck=deck, now=NOW) is None
    tomorrow = NOW + timedelta(days=1)
    assert services.next_card(user=user, deck=deck, now=tomorrow).question.id == "s-00001"
    services.set_suspended(user=user, question=Question.objects.get(id="s-00002"), suspended=False)
    assert "s-00002" in shown_ids(user, deck, tomorrow)


def test_undo_restores_the_exact_previous_state():
    user = make_user()
    qs = make_set("s", 1)
    make_review_cards(user, qs, NOW)
    before = Card.objects.get(user=user)
    result = services.rate_card(user=user, question=before.question, token=str(before.revision), rating=1, now=NOW)
    assert result.card.lapses == 1
    services.undo_last(user=user, log_id=result.log.pk)
    after = Card.objects.get(user=user)
    assert (after.state, after.due, after.phase, after.interval_days, after.reps, after.lapses, after.is_leech) == (
        before.state,
        before.due,
        before.phase,
        before.interval_days,
        before.reps,
        before.lapses,
        before.is_leech,
    )
    assert not ReviewLog.objects.exists()


def test_undoing_a_first_rating_makes_the_card_new_again():
    user = make_user()
    deck = make_deck(user, make_set("s", 2))
    shown = services.next_card(user=user, deck=deck, now=NOW)
    result = services.rate_card(user=user, question=shown.question, token=shown.token, rating=3, now=NOW)
    services.undo_last(user=user, log_id=result.log.pk)
    assert not Card.objects.exists()
    assert services.next_card(user=user, deck=deck, now=NOW).question.id == shown.question.id


def test_only_the_last_rating_can_be_undone():
    user = make_user()
    deck = make_deck(user, make_set("s", 2))
    first = shown_ids(user, deck, NOW, n=1)
    log = ReviewLog.objects.get(question_id=first[0])
    shown_ids(user, deck, NOW, n=1)
    with pytest.raises(services.NothingToUndo):
        services.undo_last(user=user, log_id=log.pk)


def test_a_replayed_or_double_rating_counts_once():
    user = make_user()
    deck = make_deck(user, make_set("s", 1))
    shown = services.next_card(user=user, deck=deck, now=NOW)
    services.rate_card(user=user, question=shown.question, token=shown.token, rating=3, now=NOW)
    with pytest.raises(services.StaleCard):
        services.rate_card(user=user, question=shown.question, token=shown.token, rating=3, now=NOW)
    card = Card.objects.get()
    services.rate_card(user=user, question=card.question, token=str(card.revision), rating=3, now=NOW)
    with pytest.raises(services.StaleCard):  # a second tab still showing the older revision
        services.rate_card(user=user, question=card.question, token=str(card.revision), rating=1, now=NOW)
    assert ReviewLog.objects.count() == 2


def test_eight_lapses_make_a_leech():
    user = make_user()
    qs = make_set("s", 1)
    make_review_cards(user, qs, NOW)
    now, leech_at = NOW, None
    for i in range(1, 9):
        card = Card.objects.get(user=user)
        result = services.rate_card(user=user, question=card.question, token=str(card.revision), rating=1, now=now)
        if result.became_leech:
            leech_at = i
        learn(user, None, card.question, result.card.due, ratings=(3,))
        card = Card.objects.get(user=user)
        now = card.due
    assert leech_at == 8 and Card.objects.get(user=user).is_leech


def test_a_deck_only_sees_its_users_cards():
    alice, bob = make_user(), make_user()
    qs = make_set("s", 2)
    make_review_cards(alice, qs, NOW)
    bobs = make_deck(bob, qs)
    shown = services.next_card(user=bob, deck=bobs, now=NOW)
    assert shown.is_new and shown.counts.review == 0


def test_choice_and_numeric_answers_are_checked_at_once():
    user = make_user()
    qs = make_set("s", 2)
    single = Question.objects.get(id="s-00001")
    single.qtype, single.options = "single", [{"text": "a", "correct": False}, {"text": "b", "correct": True}]
    single.save()
    numeric = Question.objects.get(id="s-00002")
    numeric.qtype, numeric.numeric_answer, numeric.tolerance = "numeric", "112", "10%"
    numeric.save()
    assert services.check_answer(user=user, question=single, choices=[1]).suggested_rating == 3
    assert services.check_answer(user=user, question=single, choices=[0]).suggested_rating == 1
    assert services.check_answer(user=user, question=numeric, number="105").correct
    assert not services.check_answer(user=user, question=numeric, number="99").correct
    attempts = Attempt.objects.count()
    with pytest.raises(NumberError):
        services.check_answer(user=user, question=numeric, number="lots")
    assert Attempt.objects.count() == attempts  # nothing saved for what is no number
    assert qs.questions.count() == 2
