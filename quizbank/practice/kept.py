"""What every practice request reads and almost never changes — the user's settings and the
deck's selection — kept in the shared cache between requests (Redis in production, files on one
machine), so a card costs the queries of the queue and not those of its frame.

Every write that changes them forgets the entry (`signals.py`: saves, deletes, the deck's topics
and tags, a topic or tag deleted), and an entry expires after KEEP_SECONDS whatever happens: if
the cache could not be told of a change (it was down), the old value lasts at most that long. A
cache that fails costs the queries again, never the request (`quizbank.shared_cache`). Pages that
edit these rows read the database, never the kept copy."""

from __future__ import annotations

from quizbank import shared_cache
from quizbank.practice.models import Deck, PracticeSettings

KEEP_SECONDS = 300
# the keys carry a version: bump it when Deck or PracticeSettings change shape, so no process
# reads a copy pickled by the code before the change


def settings_key(user_id: int) -> str:
    return f"practice:settings:v1:{user_id}"


def deck_key(deck_id: int) -> str:
    return f"practice:deck:v1:{deck_id}"


def settings_for(user) -> PracticeSettings:
    """The user's practice settings, created with Anki's defaults on first use."""
    kept = shared_cache.read(settings_key(user.pk))
    prefs = kept and kept.get("prefs")
    if isinstance(prefs, PracticeSettings) and prefs.user_id == user.pk:
        return prefs
    prefs = PracticeSettings.objects.get_or_create(user=user)[0]
    shared_cache.keep(settings_key(user.pk), {"prefs": prefs}, KEEP_SECONDS)
    return prefs


def deck_for(user, deck_id: int) -> Deck | None:
    """The user's deck with its topics and tags, or None (no such deck, or another user's)."""
    kept = shared_cache.read(deck_key(deck_id))
    deck = kept and kept.get("deck")
    if not isinstance(deck, Deck) or deck.pk != deck_id:
        deck = Deck.objects.prefetch_related("topics", "tags").filter(pk=deck_id).first()
        if deck is None:
            return None
        shared_cache.keep(deck_key(deck_id), {"deck": deck}, KEEP_SECONDS)
    return deck if deck.user_id == user.pk else None
