"""The practice queue read in hand-written SQL: what a card page asks on every request.

`services.next_card` used to build 6–8 ORM querysets per card; building them (filters, the SQL
compiler) cost more than running them, and on PostgreSQL each is a round trip. Here the same
questions are two statements whose text is written once:

1. today's new and review counts (the day's limits), the last rating (the undo link) and the most
   overdue due card, in one row (`_today_and_first_due`); only when no card is due, one more: the
   first unseen question while new cards are left today, else a learning card due within
   `LEARN_AHEAD`;
2. the queue's counts as Anki shows them, each capped by what is left of today's limits and at
   COUNT_CAP (the page says 999+: a card costs the same with 10,000 due as with 1,000), and the
   typed answer to this card not rated yet (it brings the card back answered).

The selection is `Deck.card_filter` / `Deck.questions` in SQL (`_scope`); rows become model
instances through the same converters the ORM applies, so a card read here equals one read by the
ORM (tests/test_practice_queue.py compares both on random decks, on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connection, connections

from quizbank.bank.models import Question, QuestionSet
from quizbank.practice.models import Card, Deck, PracticeSettings, ReviewLog

LEARN_AHEAD = timedelta(minutes=20)
COUNT_CAP = 1000  # counting stops here; the page shows 999+ (templatetags: queue_count)
LEARNING_PHASES = (1, 3)  # fsrs State.Learning, State.Relearning
REVIEW_PHASE = 2


@dataclass
class QueueCounts:
    new: int = 0
    learning: int = 0
    review: int = 0


@dataclass
class Found:
    """One read of the queue: the card (None: nothing left today), its counts, today's work, the
    last rating (for Undo: only its id is read) and the id of a typed answer to the card not rated
    yet."""

    question: Question | None
    card: Card | None
    counts: QueueCounts | None
    done: dict
    last_log: ReviewLog | None
    answered_attempt: int | None


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def _load(model, values):
    """A model instance from a row of its concrete columns, converted as the ORM's compiler does
    (`SQLCompiler.get_converters`: the backend's converters, then the field's). The converters are
    bound to a connection, so they are kept on it (one per thread)."""
    own = connections[DEFAULT_DB_ALIAS]  # this thread's connection (`connection` is a shared proxy)
    kept = own.__dict__.setdefault("_queue_converters", {})
    if model not in kept:
        names, converters = [], []
        for field in model._meta.concrete_fields:
            col = field.get_col(model._meta.db_table)
            names.append(field.attname)
            found = own.ops.get_db_converters(col) + col.get_db_converters(own)
            converters.append((col, found) if found else None)
        kept[model] = (names, converters)
    names, converters = kept[model]
    row = list(values)
    for i, converting in enumerate(converters):
        if converting is not None:
            col, found = converting
            for convert in found:
                row[i] = convert(row[i], col, own)
    return model.from_db(connection.alias, names, row)


def _at(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _in(values) -> str:
    return ", ".join(["%s"] * len(values))


def _scope(deck: Deck) -> tuple[str, list]:
    """The deck's selection as a condition on question `q` (topics ∩ tags ∩ difficulties, or
    the owner's starred questions; active questions only)."""
    sql, params = ['q."retired_at" IS NULL'], []
    if deck.starred_only:
        sql.append(
            'EXISTS (SELECT 1 FROM "practice_questionnote" n WHERE n."question_id" = q."id" '
            'AND n."user_id" = %s AND n."starred" = %s)'
        )
        params += [deck.user_id, True]
    else:
        topics = [t.pk for t in deck.topics.all()]
        if not topics:
            return "0 = 1", []
        sql.append(f'q."question_set_id" IN ({_in(topics)})')
        params += topics
        tags = [t.pk for t in deck.tags.all()]
        if tags:
            through = Question.tags.through._meta.db_table
            sql.append(
                f'EXISTS (SELECT 1 FROM "{through}" t WHERE t."question_id" = q."id" AND t."tag_id" IN ({_in(tags)}))'
            )
            params += tags
    if deck.difficulties:
        sql.append(f'q."difficulty" IN ({_in(deck.difficulties)})')
        params += [str(d) for d in deck.difficulties]  # as the ORM prepares a CharField's values
    return " AND ".join(sql), params


SET_JOIN = 'JOIN "bank_questionset" s ON s."id" = q."question_set_id" '


def _cards(user_id: int, scope: tuple[str, list], now: datetime, with_set: bool = False) -> tuple[str, list]:
    """FROM … WHERE for the user's available cards in the deck (not suspended, not buried)."""
    sql = (
        f'FROM "practice_card" c JOIN "bank_question" q ON q."id" = c."question_id" {SET_JOIN if with_set else ""}'
        'WHERE c."user_id" = %s AND c."suspended" = %s AND (c."buried_until" IS NULL OR c."buried_until" <= %s) '
        f"AND {scope[0]}"
    )
    return sql, [user_id, False, _at(now), *scope[1]]


def _unseen(user_id: int, scope: tuple[str, list], with_set: bool = False) -> tuple[str, list]:
    """FROM … WHERE for the deck's questions the user has no card for."""
    sql = (
        f'FROM "bank_question" q {SET_JOIN if with_set else ""}WHERE {scope[0]} AND NOT EXISTS '
        '(SELECT 1 FROM "practice_card" c WHERE c."user_id" = %s AND c."question_id" = q."id")'
    )
    return sql, [*scope[1], user_id]


def _phases(phases) -> str:
    return f'c."phase" IN ({", ".join(str(int(p)) for p in phases)})'


CARD_COLUMNS = _columns(Card, "c")
QUESTION_COLUMNS = _columns(Question, "q")
SET_COLUMNS = _columns(QuestionSet, "s")
N_CARD, N_QUESTION = len(Card._meta.concrete_fields), len(Question._meta.concrete_fields)
ALL_COLUMNS = f"{CARD_COLUMNS}, {QUESTION_COLUMNS}, {SET_COLUMNS}".split(", ")

ATTEMPT_SQL = (
    'SELECT a."id" FROM "grading_attempt" a WHERE a."user_id" = %s AND a."question_id" = %s AND a."created_at" >= %s '
    'AND NOT EXISTS (SELECT 1 FROM "practice_reviewlog" l WHERE l."attempt_id" = a."id") '
    'AND NOT EXISTS (SELECT 1 FROM "practice_reviewlog" l WHERE l."user_id" = %s AND l."question_id" = %s '
    'AND l."reviewed_at" >= a."created_at") ORDER BY a."created_at" DESC, a."id" DESC LIMIT 1'
)


def _attempt(user_id: int, question_id: str, day_start: datetime) -> tuple[str, list]:
    return ATTEMPT_SQL, [user_id, question_id, _at(day_start), user_id, question_id]


def answered_attempt(user_id: int, question_id: str, day_start: datetime) -> int | None:
    """The id of the user's latest typed answer to the question, made since `day_start`, that no
    rating took and that no rating of the question came after."""
    with connection.cursor() as cursor:
        cursor.execute(*_attempt(user_id, question_id, day_start))
        row = cursor.fetchone()
    return row[0] if row else None


def _today_count(kind: str) -> str:
    """Today's ratings of one kind (`kind` is ours, never the user's: written into the SQL)."""
    where = '"user_id" = %s AND "reviewed_at" >= %s'
    return f'(SELECT COUNT(*) FROM "practice_reviewlog" WHERE {where} AND "kind" = \'{kind}\')'


# today's new cards and reviews (the day's limits) and the last rating (the undo link)
TODAY_SQL = (
    f"SELECT {_today_count('new')} AS new_done, {_today_count('review')} AS review_done, "
    '(SELECT "id" FROM "practice_reviewlog" WHERE "user_id" = %s ORDER BY "reviewed_at" DESC, "id" DESC LIMIT 1) '
    "AS last_log"
)
N_TODAY = 3


def _first_learning(cursor, user_id: int, scope, now: datetime, due_by: datetime):
    """The learning card due first, by `due_by`."""
    where, params = _cards(user_id, scope, now, with_set=True)
    cursor.execute(
        f'SELECT {CARD_COLUMNS}, {QUESTION_COLUMNS}, {SET_COLUMNS} {where} AND c."due" <= %s '
        f'AND {_phases(LEARNING_PHASES)} ORDER BY c."due", c."id" LIMIT 1',
        [*params, _at(due_by)],
    )
    return _card_and_question(cursor.fetchone())


def _today_and_first_due(cursor, user_id: int, scope, now: datetime, day_start: datetime, reviews_per_day: int):
    """TODAY_SQL and the most overdue due card in one statement (one round trip fewer on every
    card): the card's row is LEFT JOINed to today's, so today's comes back without a card too.
    A review card is due only while today's reviews are under the limit, as in the ORM version."""
    where, params = _cards(user_id, scope, now, with_set=True)
    today = _today_params(user_id, day_start)
    columns = ", ".join(f"{column} AS k{i}" for i, column in enumerate(ALL_COLUMNS))
    cursor.execute(
        f'SELECT t.*, k.* FROM ({TODAY_SQL}) t LEFT JOIN (SELECT {columns} {where} AND c."due" <= %s '
        f"AND ({_phases(LEARNING_PHASES)} OR {_today_count('review')} < %s) "
        'ORDER BY c."due", c."id" LIMIT 1) k ON 1 = 1',
        [*today, *params, _at(now), user_id, _at(day_start), reviews_per_day],
    )
    row = cursor.fetchone()
    card, question = _card_and_question(row[N_TODAY:] if row[N_TODAY] is not None else None)
    return row[:N_TODAY], card, question


def _card_and_question(row):
    if row is None:
        return None, None
    card, question = _load(Card, row[:N_CARD]), _question(row[N_CARD:])
    card._state.fields_cache["question"] = question
    return card, question


def _question(values) -> Question:
    question = _load(Question, values[:N_QUESTION])
    question._state.fields_cache["question_set"] = _load(QuestionSet, values[N_QUESTION:])
    return question


def _first_new(cursor, user_id: int, scope) -> Question | None:
    where, params = _unseen(user_id, scope, with_set=True)
    cursor.execute(
        f'SELECT {QUESTION_COLUMNS}, {SET_COLUMNS} {where} ORDER BY s."order", q."position", s."id", q."id" LIMIT 1',
        params,
    )
    row = cursor.fetchone()
    return _question(row) if row else None


def active_question(question_id: str) -> Question | None:
    """An active question with its set (what every card action reads first)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {QUESTION_COLUMNS}, {SET_COLUMNS} FROM "bank_question" q {SET_JOIN}'
            'WHERE q."id" = %s AND q."retired_at" IS NULL',
            [question_id],
        )
        row = cursor.fetchone()
    return _question(row) if row else None


def card_of(user_id: int, question: Question) -> Card | None:
    """The user's card for the question, or None (a new card)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {CARD_COLUMNS} FROM "practice_card" c WHERE c."user_id" = %s AND c."question_id" = %s',
            [user_id, question.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    card = _load(Card, row)
    card._state.fields_cache["question"] = question
    return card


def _capped_count(where: str, params: list, cap: int) -> tuple[str, list]:
    """COUNT(*) that stops at `cap` rows (a derived table with LIMIT: PostgreSQL wants its alias)."""
    return f"(SELECT COUNT(*) FROM (SELECT 1 AS one {where} LIMIT %s) capped)", [*params, cap]


def _count_parts(user_id: int, scope, now: datetime, new_left: int, reviews_left: int) -> list[tuple[str, list]]:
    """The queue's counts as Anki shows them (new, learning, due), each capped by what is left of
    today's limits and at COUNT_CAP, so counting stops early: three SELECT expressions."""
    cards, card_params = _cards(user_id, scope, now)
    return [
        _capped_count(*_unseen(user_id, scope), min(new_left, COUNT_CAP)) if new_left else ("0", []),
        _capped_count(
            f'{cards} AND {_phases(LEARNING_PHASES)} AND c."due" <= %s',
            [*card_params, _at(now + LEARN_AHEAD)],
            COUNT_CAP,
        ),
        _capped_count(
            f'{cards} AND c."phase" = {REVIEW_PHASE} AND c."due" <= %s',
            [*card_params, _at(now)],
            min(reviews_left, COUNT_CAP),
        )
        if reviews_left
        else ("0", []),
    ]


def counts_and_last_log(*, user, deck: Deck, now: datetime, prefs: PracticeSettings):
    """The queue's counts and the last rating (the undo link), for a card shown again (revealed,
    answered, undone): two statements."""
    day_start, scope = prefs.day_start(now), _scope(deck)
    with connection.cursor() as cursor:
        cursor.execute(TODAY_SQL, _today_params(user.pk, day_start))
        new_done, review_done, log_id = cursor.fetchone()
        parts = _count_parts(
            user.pk, scope, now, max(0, prefs.new_per_day - new_done), max(0, prefs.reviews_per_day - review_done)
        )
        cursor.execute("SELECT " + ", ".join(sql for sql, _ in parts), [p for _, params in parts for p in params])
        return QueueCounts(*cursor.fetchone()), _last_log(log_id)


def counts(*, user, deck: Deck, now: datetime, prefs: PracticeSettings) -> QueueCounts:
    return counts_and_last_log(user=user, deck=deck, now=now, prefs=prefs)[0]


def _today_params(user_id: int, day_start: datetime) -> list:
    return [user_id, _at(day_start), user_id, _at(day_start), user_id]


def _last_log(log_id: int | None) -> ReviewLog | None:
    """The last rating as the undo link needs it: only its id."""
    if log_id is None:
        return None
    log = ReviewLog(id=log_id)
    log._state.adding, log._state.db = False, connection.alias
    return log


def read(*, user, deck: Deck, now: datetime, prefs: PracticeSettings) -> Found:
    """Due reviews first (most overdue first), then new cards up to the day's limit, then
    learning cards due within 20 minutes; two statements whatever the deck's size (three when
    nothing is due now)."""
    day_start, scope = prefs.day_start(now), _scope(deck)
    with connection.cursor() as cursor:
        today, card, question = _today_and_first_due(cursor, user.pk, scope, now, day_start, prefs.reviews_per_day)
        new_done, review_done, log_id = today
        done = {"new": new_done, "review": review_done}
        last_log = _last_log(log_id)
        reviews_left = max(0, prefs.reviews_per_day - review_done)
        new_left = max(0, prefs.new_per_day - new_done)
        if question is None and new_left:
            question = _first_new(cursor, user.pk, scope)
        if question is None:
            card, question = _first_learning(cursor, user.pk, scope, now, now + LEARN_AHEAD)
        if question is None:
            return Found(None, None, None, done, last_log, None)

        # the counts and the typed answer not rated yet, in one statement
        parts = [
            *_count_parts(user.pk, scope, now, new_left, reviews_left),
            (lambda sql, params: (f"({sql})", params))(*_attempt(user.pk, question.pk, day_start)),
        ]
        cursor.execute("SELECT " + ", ".join(sql for sql, _ in parts), [p for _, params in parts for p in params])
        new, learning, review, attempt_id = cursor.fetchone()
    counts = QueueCounts(new=new, learning=learning, review=review)
    return Found(question, card, counts, done, last_log, attempt_id)
