"""The queue in SQL (quizbank.practice.queue) against the ORM querysets it replaced, kept here as
the reference: on random banks, cards, logs, answers and decks, both must pick the same card,
count the same queue and find the same typed answer waiting for a rating. Runs on SQLite and,
in CI, on PostgreSQL."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, Exists, OuterRef, Q

from quizbank.bank.models import Question, QuestionSet, Tag
from quizbank.grading.models import Attempt
from quizbank.practice import queue, services
from quizbank.practice.models import Card, Deck, QuestionNote, ReviewLog
from tests.practice_factories import make_deck, make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, 30, 123456, tzinfo=UTC)


def reference(user, deck, now, prefs):
    """services.next_card and selectors.answered_context as the ORM built them (commit 80a8972),
    with the counts stopping at COUNT_CAP since."""
    done = ReviewLog.objects.filter(user=user, reviewed_at__gte=prefs.day_start(now)).aggregate(
        new=Count("id", filter=Q(kind="new")), review=Count("id", filter=Q(kind="review"))
    )
    cards = Card.objects.for_user(user).available(now).filter(deck.card_filter())
    reviews_left = max(0, prefs.reviews_per_day - done["review"])
    new_left = max(0, prefs.new_per_day - done["new"])
    due = cards.filter(due__lte=now)
    if not reviews_left:
        due = due.filter(phase__in=queue.LEARNING_PHASES)
    card = due.order_by("due", "id").first()
    question = card.question if card else None
    unseen = deck.questions().exclude(id__in=Card.objects.filter(user=user).values("question_id"))
    if card is None and new_left:
        question = unseen.order_by("question_set__order", "position", "question_set_id", "id").first()
    if question is None:
        card = cards.filter(due__lte=now + queue.LEARN_AHEAD, phase__in=queue.LEARNING_PHASES)
        card = card.order_by("due", "id").first()
        question = card.question if card else None
    if question is None:
        return None
    soon = cards.filter(due__lte=now + queue.LEARN_AHEAD)
    counts = queue.QueueCounts(
        new=unseen[: min(new_left, queue.COUNT_CAP)].count() if new_left else 0,
        learning=soon.filter(phase__in=queue.LEARNING_PHASES)[: queue.COUNT_CAP].count(),
        review=soon.filter(phase=2, due__lte=now)[: min(reviews_left, queue.COUNT_CAP)].count() if reviews_left else 0,
    )
    rated_since = ReviewLog.objects.filter(user=user, question=question, reviewed_at__gte=OuterRef("created_at"))
    attempt = (
        Attempt.objects.filter(user=user, question=question, created_at__gte=prefs.day_start(now), logs__isnull=True)
        .exclude(Exists(rated_since))
        .order_by("-created_at", "-id")
        .first()
    )
    return question.pk, card.pk if card else None, counts, attempt.pk if attempt else None, done


def build_world(rng: random.Random):
    """Two users' cards, notes, logs and answers over a small random bank."""
    sets = [QuestionSet.objects.create(slug=f"s{i}", title=f"S{i}", order=rng.choice([10, 10, 20])) for i in range(3)]
    tags = [Tag.objects.create(name=f"t{i}") for i in range(3)]
    questions = []
    for i in range(36):
        qs = rng.choice(sets)
        questions.append(
            Question.objects.create(
                id=f"q-{i:03d}",
                question_set=qs,
                position=rng.randint(1, 6),  # ties within and across sets
                title=f"问题 {i}",
                difficulty=rng.choice(["easy", "medium", "hard"]),
                answer_md="答案",
                answer_html="<p>答案</p>",
                key_points=[{"text": "要点", "weight": 1}],
                content_hash=str(i),
                retired_at=NOW - timedelta(days=1) if rng.random() < 0.1 else None,
            )
        )
        questions[-1].tags.set(rng.sample(tags, rng.randint(0, 2)))
    users = [
        make_user(new_per_day=rng.choice([0, 1, 3, 20]), reviews_per_day=rng.choice([0, 2, 5, 200])),
        make_user(),
    ]
    for user in users:
        for question in rng.sample(questions, rng.randint(5, 30)):
            phase = rng.choice([1, 2, 2, 3])
            due = NOW + timedelta(minutes=rng.choice([-3000, -60, -1, 0, 5, 19, 20, 21, 600, 5000]))
            Card.objects.create(
                user=user,
                question=question,
                state={"state": phase, "due": due.isoformat()},
                phase=phase,
                due=due,
                interval_days=rng.choice([0, 1, 30]),
                suspended=rng.random() < 0.1,
                buried_until=rng.choice([None, None, NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=5)]),
            )
        for question in rng.sample(questions, 8):
            QuestionNote.objects.create(user=user, question=question, starred=rng.random() < 0.7)
        cards = list(Card.objects.filter(user=user))
        for _ in range(rng.randint(0, 8)):
            card = rng.choice(cards)
            ReviewLog.objects.create(
                card=card,
                user=user,
                question=card.question,
                rating=3,
                kind=rng.choice(["new", "review", "learn", "relearn"]),
                reviewed_at=NOW - timedelta(hours=rng.choice([0.01, 1, 5, 30])),
                state_after={},
                card_before={},
            )
        # several answers to the same card, most to carded questions: which one counts matters
        answered = [c.question for c in cards] * 2 + questions
        for question in rng.choices(answered, k=40):
            attempt = Attempt.objects.create(user=user, question=question, question_version=1, text="回答")
            created = NOW - timedelta(hours=rng.choice([0.001, 0.5, 0.5, 2, 30]))
            Attempt.objects.filter(pk=attempt.pk).update(created_at=created)
            card = Card.objects.filter(user=user, question=question).first()
            if card and rng.random() < 0.4:  # rated with this answer, or rated after it without it
                ReviewLog.objects.create(
                    card=card,
                    user=user,
                    question=question,
                    rating=3,
                    kind="learn",
                    reviewed_at=created + timedelta(minutes=rng.choice([-5, 0, 5])),
                    state_after={},
                    card_before={},
                    attempt=attempt if rng.random() < 0.5 else None,
                )
    return sets, tags, users


def random_deck(rng: random.Random, user, sets, tags) -> Deck:
    deck = Deck.objects.create(
        user=user,
        name="d",
        starred_only=rng.random() < 0.2,
        difficulties=rng.choice([[], [], ["easy"], ["medium", "hard"]]),
    )
    deck.topics.set(rng.sample(sets, rng.choice([0, 1, 2, 3, 3])))
    deck.tags.set(rng.sample(tags, rng.choice([0, 0, 1, 2])))
    return Deck.objects.prefetch_related("topics", "tags").get(pk=deck.pk)


@pytest.mark.parametrize("seed", range(6))
def test_the_queue_in_sql_picks_and_counts_as_the_orm_did(seed):
    rng = random.Random(seed)
    sets, tags, users = build_world(rng)
    user = users[0]
    prefs = services.settings_for(user)
    compared = shown = 0
    for _ in range(12):
        deck = random_deck(rng, user, sets, tags)
        for now in (NOW, NOW + timedelta(minutes=rng.choice([1, 19, 25, 700]))):
            found = queue.read(user=user, deck=deck, now=now, prefs=prefs)
            expected = reference(user, deck, now, prefs)
            got = None
            if found.question is not None:
                card = found.card.pk if found.card else None
                got = (found.question.pk, card, found.counts, found.answered_attempt, found.done)
                # the counts of a card shown again (revealed, answered, undone) are the same
                assert queue.counts(user=user, deck=deck, now=now, prefs=prefs) == found.counts
                assert found.question.question_set == Question.objects.get(pk=found.question.pk).question_set
                if found.card:
                    assert (
                        Card.objects.get(pk=found.card.pk).__dict__.items()
                        >= {k: v for k, v in found.card.__dict__.items() if k != "_state"}.items()
                    )
            assert got == expected, (seed, deck.starred_only, deck.difficulties, now)
            compared += 1
            shown += got is not None
    assert compared == 24 and shown >= 6  # most decks show something: the comparison is not all None


def test_a_card_read_in_sql_equals_the_orms_field_by_field():
    user = make_user()
    qs = QuestionSet.objects.create(slug="s", title="S")
    question = Question.objects.create(
        id="q-1", question_set=qs, position=1, title="问题", difficulty="easy", answer_md="a", answer_html="<p>a</p>"
    )
    Card.objects.create(
        user=user,
        question=question,
        state={"state": 2, "stability": 3.5, "due": NOW.isoformat()},
        phase=2,
        due=NOW,
        interval_days=2.5,
        buried_until=NOW - timedelta(hours=1),
    )
    stored = Card.objects.get()
    read = queue.card_of(user.pk, question)
    fields = [f.attname for f in Card._meta.concrete_fields]
    assert [getattr(read, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert read.due.tzinfo is not None and read.state["stability"] == 3.5
    loaded = queue.active_question("q-1")
    assert [getattr(loaded, f.attname) for f in Question._meta.concrete_fields] == [
        getattr(question, f.attname) for f in Question._meta.concrete_fields
    ]
    assert loaded.question_set.slug == "s"
    Question.objects.filter(pk="q-1").update(retired_at=NOW)
    assert queue.active_question("q-1") is None and queue.active_question("no-such") is None


def test_difficulties_stored_as_other_types_are_compared_as_text():
    """A deck edited outside its form (shell, restore) may hold non-strings: the ORM made them text;
    PostgreSQL would refuse to compare a varchar with an integer."""
    user = make_user()
    qs = QuestionSet.objects.create(slug="s", title="S")
    Question.objects.create(id="q-1", question_set=qs, position=1, title="问题", difficulty="1", answer_md="a")
    deck = Deck.objects.create(user=user, name="d", difficulties=[1, "hard"])
    deck.topics.set([qs])
    found = queue.read(user=user, deck=deck, now=NOW, prefs=services.settings_for(user))
    assert found.question.pk == "q-1"


def test_ties_between_sets_of_the_same_order_break_by_set_not_by_text():
    """Sets with the same order interleave by position; equal positions go by set id (text order of
    ids differs between PostgreSQL's collations and SQLite)."""
    user = make_user()
    a = QuestionSet.objects.create(slug="a", title="A", order=1)
    b = QuestionSet.objects.create(slug="b", title="B", order=1)
    for qs, qid in ((b, "a-first-by-text"), (a, "z-last-by-text")):
        Question.objects.create(id=qid, question_set=qs, position=1, title="问题", difficulty="easy", answer_md="a")
    deck = make_deck(user, a, b)
    deck = Deck.objects.prefetch_related("topics", "tags").get(pk=deck.pk)
    found = queue.read(user=user, deck=deck, now=NOW, prefs=services.settings_for(user))
    assert found.question.pk == "z-last-by-text"
