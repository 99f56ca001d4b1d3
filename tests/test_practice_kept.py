# ruff: noqa: F811 — `alice` is the fixture imported from test_practice_views, taken as a parameter
"""What practice keeps between requests (`quizbank.practice.kept`): the deck and the settings
come from the cache, every change is seen by the next request, another user's deck stays a 404,
and a cache that fails costs queries, never a page."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from quizbank.bank.models import Question, QuestionSet, Tag
from quizbank.practice import kept
from quizbank.practice.models import PracticeSettings
from tests.practice_factories import make_deck, make_set, make_user
from tests.test_practice_views import HTMX, alice  # noqa: F401 — the signed-in learner fixture
from tests.test_robustness import settings_data

pytestmark = pytest.mark.django_db


def card_id(client, deck) -> str | None:
    html = client.get(reverse("practice:study", args=[deck.pk]), **HTMX).content.decode()
    found = re.search(r'data-question="([^"]+)"', html)
    return found.group(1) if found else None


def test_the_deck_and_settings_are_read_from_the_cache_once_kept(client, alice, django_assert_num_queries):
    topic = make_set("a", 3)
    deck = make_deck(alice, topic)
    card_id(client, deck)  # keeps the deck; the settings row is created (a change: nothing kept)
    card_id(client, deck)  # keeps the settings
    assert cache.get(kept.deck_key(deck.pk))["fields"]["id"] == deck.pk
    assert cache.get(kept.settings_key(alice.pk))["fields"]["user_id"] == alice.pk
    with django_assert_num_queries(0):
        assert kept.deck_for(alice, deck.pk).pk == deck.pk
        assert [t.pk for t in kept.deck_for(alice, deck.pk).topics.all()] == [topic.pk]  # primary keys only
        assert kept.settings_for(alice).new_per_day == 20


def test_a_card_page_reads_deck_and_settings_in_one_round_trip(client, alice, monkeypatch):
    deck = make_deck(alice, make_set("a", 3))
    card_id(client, deck)
    card_id(client, deck)  # both kept now
    reads = []
    read_many = kept.shared_cache.read_many
    monkeypatch.setattr(kept.shared_cache, "read_many", lambda keys: reads.append(keys) or read_many(keys))
    assert card_id(client, deck)
    assert len(reads) == 1 and {kept.deck_key(deck.pk), kept.settings_key(alice.pk)} <= set(reads[0])
    found, prefs = kept.deck_and_settings(alice, deck.pk)
    assert found.pk == deck.pk and prefs.user_id == alice.pk
    other = make_deck(make_user(), make_set("b", 1))
    assert kept.deck_and_settings(alice, other.pk) == (None, None)
    assert client.get(reverse("practice:study", args=[other.pk]), **HTMX).status_code == 404
    stranger = make_user()  # no settings yet: a 404 creates none (a GET writes nothing)
    client.force_login(stranger)
    assert client.get(reverse("practice:study", args=[other.pk]), **HTMX).status_code == 404
    assert client.post(reverse("practice:rate", args=[other.pk]), {"rating": 3}, **HTMX).status_code == 404
    assert not PracticeSettings.objects.filter(user=stranger).exists()


def test_a_deck_edited_in_its_form_is_studied_as_edited(client, alice):
    a, b = make_set("a", 3), make_set("b", 3)
    deck = make_deck(alice, a)
    assert card_id(client, deck).startswith("a-")
    response = client.post(
        reverse("practice:deck_edit", args=[deck.pk]), {"name": "deck", "topics": [b.pk], "mode": "recall"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert card_id(client, deck).startswith("b-")


def test_every_change_of_a_deck_selection_forgets_the_kept_copy(client, alice):
    a, b = make_set("a", 2), make_set("b", 2)
    deck = make_deck(alice, a)
    tag = Tag.objects.create(name="rag")
    Question.objects.get(id="a-00002").tags.add(tag)

    def topics():
        ids = [t.pk for t in kept.deck_for(alice, deck.pk).topics.all()]
        return sorted(QuestionSet.objects.filter(pk__in=ids).values_list("slug", flat=True))

    assert topics() == ["a"]
    deck.topics.add(b)  # from the deck's side
    assert topics() == ["a", "b"]
    b.deck_set.remove(deck)  # from the topic's side
    assert topics() == ["a"]
    a.deck_set.clear()  # clear() from the topic's side names no deck
    assert topics() == []
    deck.topics.set([a])
    deck.tags.add(tag)
    assert [t.pk for t in kept.deck_for(alice, deck.pk).tags.all()] == [tag.pk]
    assert card_id(client, deck) == "a-00002"  # only the tagged question
    tag.delete()  # the selection's rows go without m2m_changed
    assert list(kept.deck_for(alice, deck.pk).tags.all()) == []
    assert card_id(client, deck) == "a-00001"
    empty = QuestionSet.objects.create(slug="empty", title="empty")  # a set with questions is protected
    empty.deck_set.add(deck)
    assert topics() == ["a", "empty"]
    empty.delete()
    assert topics() == ["a"]
    deck.name = "renamed"
    deck.save()
    assert kept.deck_for(alice, deck.pk).name == "renamed"
    deck_id = deck.pk
    deck.delete()
    assert kept.deck_for(alice, deck_id) is None
    assert client.get(reverse("practice:study", args=[deck_id])).status_code == 404


def test_settings_saved_reach_the_next_card(client, alice):
    deck = make_deck(alice, make_set("a", 3))
    assert card_id(client, deck) is not None  # a new card, settings kept
    response = client.post(reverse("practice:settings"), settings_data(new_per_day=0))
    assert response.status_code == 302
    assert card_id(client, deck) is None  # no new card today
    PracticeSettings.objects.filter(user=alice).get().delete()
    assert kept.settings_for(alice).new_per_day == 20  # created again with the defaults


def test_the_settings_page_shows_what_is_stored_not_the_kept_copy(client, alice):
    kept.settings_for(alice)  # created: a change, so not kept yet
    assert cache.get(kept.settings_key(alice.pk))["token"] != cache.get(kept.settings_key(alice.pk) + ":token")
    kept.settings_for(alice)
    entry = cache.get(kept.settings_key(alice.pk))
    cache.set(kept.settings_key(alice.pk), {**entry, "fields": {**entry["fields"], "new_per_day": 77}})
    assert kept.settings_for(alice).new_per_day == 77
    html = client.get(reverse("practice:settings")).content.decode()
    assert 'value="20"' in html and 'value="77"' not in html


def test_another_users_deck_is_a_404_even_when_kept(client, alice):
    deck = make_deck(alice, make_set("a", 3))
    assert card_id(client, deck)
    bob = make_user("bob")
    client.force_login(bob)
    for name in ("practice:study", "practice:deck_edit"):
        assert client.get(reverse(name, args=[deck.pk])).status_code == 404
    assert kept.deck_for(bob, deck.pk) is None


def test_a_copy_read_before_a_change_is_never_kept_as_current(alice, monkeypatch):
    """A request reads the row, another saves a change (and forgets), then the first keeps what it
    read: the token it read with is no longer the key's, so the next request reads the change."""
    kept.settings_for(alice)
    kept.forget(kept.settings_key(alice.pk))
    read = PracticeSettings.objects.get_or_create

    def read_then_changed_elsewhere(**kwargs):
        row = read(**kwargs)
        changed = PracticeSettings.objects.get(user=alice)
        changed.new_per_day = 5
        changed.save()
        return row

    monkeypatch.setattr(PracticeSettings.objects, "get_or_create", read_then_changed_elsewhere)
    assert kept.settings_for(alice).new_per_day == 20  # what it read, for this request only
    monkeypatch.undo()
    assert kept.settings_for(alice).new_per_day == 5


def test_a_change_inside_a_transaction_is_forgotten_again_when_it_commits(alice, django_capture_on_commit_callbacks):
    from django.db import transaction

    prefs = kept.settings_for(alice)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        prefs.new_per_day = 7
        prefs.save()
    assert len(callbacks) == 1  # until then another connection still reads the old row
    token = cache.get(kept.settings_key(alice.pk) + ":token")
    callbacks[0]()
    assert cache.get(kept.settings_key(alice.pk) + ":token") != token


def test_another_users_deck_is_not_kept(client, alice):
    deck = make_deck(alice, make_set("a", 3))
    bob = make_user("bob")
    client.force_login(bob)
    assert client.get(reverse("practice:study", args=[deck.pk])).status_code == 404
    assert cache.get(kept.deck_key(deck.pk)) is None


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_practice_works_when_the_cache_fails(client, alice, monkeypatch, caplog):
    topic = make_set("a", 3)
    deck = make_deck(alice, topic)
    monkeypatch.setattr("quizbank.shared_cache.cache", BrokenCache())
    question = card_id(client, deck)
    html = client.get(reverse("practice:study", args=[deck.pk]), **HTMX).content.decode()
    token = re.search(r"token=([^\"&]+)", html).group(1)
    response = client.post(
        reverse("practice:rate", args=[deck.pk]), {"question": question, "token": token, "rating": 3}, **HTMX
    )
    assert response.status_code == 200
    response = client.post(
        reverse("practice:deck_edit", args=[deck.pk]), {"name": "x", "topics": [topic.pk], "mode": "recall"}
    )
    assert response.status_code == 302  # saved; the cache could not be told, the entry would expire
    assert "could not forget" in caplog.text and "could not read" in caplog.text
