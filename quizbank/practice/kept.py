"""What every practice request reads and almost never changes — the user's settings and the
deck's selection — kept in the shared cache between requests (Redis in production, files on one
machine), so a card costs the queries of the queue and not those of its frame.

- **Every change is seen by the next request.** Each entry is stored with the *token* its key had
  when the rows were read; every write that changes the rows (`signals.py`: saves, deletes, the
  deck's topics and tags from either side, a topic or tag deleted) gives the key a new token once
  its transaction commits. An entry whose token is not the key's current one is read again from
  the database: so neither a request that read the rows just before a change nor one that read
  them inside the changing transaction can keep an old copy.
- **Only plain values are kept** (field values and primary keys, not pickled model instances),
  under keys that carry a fingerprint of the models' fields: a deploy that changes them reads
  nothing an older release wrote.
- **An entry expires after KEEP_SECONDS** whatever happens: if the cache could not be told of a
  change (it was down), the old value lasts at most that long. A cache that fails costs the queries
  again, never the request (`quizbank.shared_cache`). `manage.py restore` empties the cache (ids
  are handed out again after a restore). Pages that edit these rows read the database."""

from __future__ import annotations

import hashlib
import uuid

import django
from django.db import transaction

from quizbank import shared_cache
from quizbank.bank.models import QuestionSet, Tag
from quizbank.practice.models import Deck, PracticeSettings

KEEP_SECONDS = 300
TOKEN_SECONDS = 2 * KEEP_SECONDS  # outlives every entry stored under the token before it


def _fingerprint() -> str:
    shape = [django.__version__]
    for model in (Deck, PracticeSettings):
        shape += [model._meta.label, *(f.attname for f in model._meta.concrete_fields)]
    return hashlib.sha256(" ".join(shape).encode()).hexdigest()[:10]


FINGERPRINT = _fingerprint()


def settings_key(user_id: int) -> str:
    return f"practice:settings:{FINGERPRINT}:{user_id}"


def deck_key(deck_id: int) -> str:
    return f"practice:deck:{FINGERPRINT}:{deck_id}"


def _token_key(key: str) -> str:
    return f"{key}:token"


def _read(*keys: str) -> dict:
    """The entries and tokens of `keys`, in one round trip."""
    return shared_cache.read_many([k for key in keys for k in (key, _token_key(key))])


def _lookup(key: str, found: dict | None = None) -> tuple[dict | None, str]:
    """The entry if it is current, and the key's token (to store a fresh entry under); `found`:
    what `_read` returned for it, if it was read already."""
    token_key = _token_key(key)
    found = _read(key) if found is None else found
    token = found.get(token_key) if isinstance(found.get(token_key), str) else ""
    entry = found.get(key)
    if isinstance(entry, dict) and entry.get("token") == token:
        return entry, token
    return None, token


def forget(key: str) -> None:
    """The rows behind `key` change: no entry kept so far is current, now and again once the
    transaction commits (a request may read the old rows until then, and keep them)."""

    def renew():
        shared_cache.keep(_token_key(key), uuid.uuid4().hex, TOKEN_SECONDS)
        shared_cache.forget(key)

    renew()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(renew)


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def settings_for(user, found: dict | None = None) -> PracticeSettings:
    """The user's practice settings, created with Anki's defaults on first use."""
    key = settings_key(user.pk)
    entry, token = _lookup(key, found)
    if entry is not None and entry["fields"].get("user_id") == user.pk:
        return PracticeSettings(**entry["fields"])
    prefs = PracticeSettings.objects.get_or_create(user=user)[0]
    shared_cache.keep(key, {"token": token, "fields": _fields(prefs)}, KEEP_SECONDS)
    return prefs


def deck_and_settings(user, deck_id: int) -> tuple[Deck | None, PracticeSettings | None]:
    """deck_for and settings_for with one round trip to the cache (a card page needs both)."""
    found = _read(deck_key(deck_id), settings_key(user.pk))
    deck = deck_for(user, deck_id, found)
    if deck is None:  # a 404: nothing read or created for it
        return None, None
    return deck, settings_for(user, found)


def deck_for(user, deck_id: int, found: dict | None = None) -> Deck | None:
    """The user's deck with its topics and tags (as primary keys), or None (no such deck, or
    another user's)."""
    key = deck_key(deck_id)
    entry, token = _lookup(key, found)
    if entry is not None:
        deck = Deck(**entry["fields"])
        deck._state.adding, deck._state.db = False, Deck.objects.db  # as if read from the database
        _set_selection(deck, entry["topics"], entry["tags"])
        return deck if deck.user_id == user.pk else None
    deck = Deck.objects.prefetch_related("topics", "tags").filter(pk=deck_id).first()
    if deck is None or deck.user_id != user.pk:  # nothing kept for a deck its asker may not see
        return None
    topics, tags = [t.pk for t in deck.topics.all()], [t.pk for t in deck.tags.all()]
    shared_cache.keep(key, {"token": token, "fields": _fields(deck), "topics": topics, "tags": tags}, KEEP_SECONDS)
    return deck


def _set_selection(deck: Deck, topic_ids: list[int], tag_ids: list[int]) -> None:
    """What prefetch_related leaves on a deck, from kept primary keys: deck.topics.all() and
    deck.tags.all() then run no query (only their primary keys are read from a kept deck)."""
    for name, model, ids in (("topics", QuestionSet, topic_ids), ("tags", Tag, tag_ids)):
        rows = model.objects.all()
        rows._result_cache = [model(pk=pk) for pk in ids]
        rows._prefetch_done = True
        deck._prefetched_objects_cache = {**getattr(deck, "_prefetched_objects_cache", {}), name: rows}
