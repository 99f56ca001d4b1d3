"""A learner's FSRS cards carried into an Anki collection. genanki writes every card new, so the
`cards` rows of the written collection are rewritten here, and the review history is added to
`revlog`.

What Anki expects, read in its source (github.com/ankitects/anki, rslib/src):
- card/mod.rs: CardType new 0, learn 1, review 2, relearn 3; CardQueue new 0, learn 1 (due: epoch
  seconds), review 2 (due: days since the collection's `crt`), day-learn 3 (due: days), suspended
  -1, user-buried -3; `remaining_steps()` is `left % 1000`, the learning steps still to do.
- storage/card/data.rs: `cards.data` JSON "s" (FSRS stability, days), "d" (difficulty 1-10), "dr"
  (desired retention), "lrt" (last review, epoch seconds): the memory state Anki's FSRS uses.
- scheduler/timing.rs `sched_timing_today_v1`: a collection without "schedVer" in its config (as
  genanki writes it) counts today as `(now - crt) // 86400`.
- import_export/package/apkg/import/cards.rs `shift_collection_relative_dates`: on import, a
  day-based due is shifted by how many days the package's today is ahead of the importer's, so a
  card due N days after the package's today is due N days after the importer's today.
- revlog/mod.rs RevlogEntry: ease 1-4, ivl and lastIvl in days (> 0) or seconds (< 0), factor,
  time (ms), type learning 0, review 1, relearning 2.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from quizbank.practice import scheduling
from quizbank.practice.models import Card, PracticeSettings, ReviewLog

NEW, LEARN, REVIEW, RELEARN = 0, 1, 2, 3  # Anki's card types (and the matching queues)
DAY_LEARN_QUEUE, SUSPENDED_QUEUE, BURIED_QUEUE = 3, -1, -3
REVLOG_TYPE = {"new": 0, "learn": 0, "review": 1, "relearn": 2}
EASE_MIN, EASE_MAX = 1300, 2500


def ease_factor(difficulty: float | None) -> int:
    """FSRS difficulty (1 easiest .. 10 hardest) as an SM-2 ease in permille: linear from 2500
    (Anki's starting ease) at 1 down to 1300 (its floor) at 10."""
    if difficulty is None:
        return EASE_MAX
    d = min(10.0, max(1.0, difficulty))
    return round(EASE_MAX - (d - 1) / 9 * (EASE_MAX - EASE_MIN))


@dataclass(frozen=True)
class StudyDays:
    """Day numbers as the collection counts them: study days (the learner's zone and day start)
    since the one holding `moment`, whose start is written as the collection's `crt`."""

    tz: str
    hour: int
    first: date
    crt: int  # epoch seconds

    @classmethod
    def starting(cls, moment: datetime, tz: str, hour: int) -> StudyDays:
        start = scheduling.day_start(moment, tz, hour)
        return cls(tz, hour, scheduling.study_day(moment, tz, hour), int(start.timestamp()))

    def number(self, moment: datetime) -> int:
        return (scheduling.study_day(moment, self.tz, self.hour) - self.first).days


def card_columns(card: Card, *, now: datetime, days: StudyDays, prefs: PracticeSettings) -> dict:
    """The `cards` columns that differ from a new card for one of our cards ({} if none)."""
    state = card.state or {}
    if not state.get("last_review"):  # never rated: stays new
        columns = {}
    else:
        columns = {"reps": card.reps, "lapses": card.lapses, "factor": ease_factor(state.get("difficulty"))}
        columns["data"] = json.dumps(_memory_state(state, prefs), separators=(",", ":"))
        if card.phase == REVIEW:
            columns.update(type=REVIEW, queue=REVIEW, due=days.number(card.due))
            columns["ivl"] = max(1, round(card.interval_days))
        else:
            steps = prefs.learning_steps if card.phase == LEARN else prefs.relearning_steps
            default = "1m 10m" if card.phase == LEARN else "10m"
            count = len(scheduling.steps_or_default(steps, default))
            columns.update(type=card.phase, left=max(1, count - (state.get("step") or 0)))
            if days.number(card.due) > days.number(now):
                columns.update(queue=DAY_LEARN_QUEUE, due=days.number(card.due))
            else:
                columns.update(queue=LEARN, due=int(card.due.timestamp()))
            # a relearning card's interval after it graduates again: at 90 % retention FSRS's
            # interval is its stability
            columns["ivl"] = max(1, round(state.get("stability") or 1)) if card.phase == RELEARN else 0
    if card.suspended:
        columns["queue"] = SUSPENDED_QUEUE
    elif card.buried_until and card.buried_until > now:
        columns["queue"] = BURIED_QUEUE
    return columns


def _memory_state(state: dict, prefs: PracticeSettings) -> dict:
    data = {}
    if state.get("stability") is not None and state.get("difficulty") is not None:
        data = {"s": round(state["stability"], 4), "d": round(state["difficulty"], 3)}
    data["dr"] = round(prefs.desired_retention, 2)
    data["lrt"] = int(datetime.fromisoformat(state["last_review"]).timestamp())
    return data


def _interval(state: dict, at: datetime) -> int:
    """A revlog interval: whole days once in review, else minus the seconds to the next step."""
    due = datetime.fromisoformat(state["due"])
    if state.get("state") == REVIEW and state.get("last_review"):
        return max(1, round((due - datetime.fromisoformat(state["last_review"])).total_seconds() / 86400))
    return -max(1, round((due - at).total_seconds()))


def revlog_rows(logs: list[ReviewLog], card_ids: dict[int, int]) -> list[tuple]:
    """`revlog` rows for our review logs (oldest first), each on its Anki card (by our card id)."""
    rows, last_interval, last_id = [], {}, 0
    for log in logs:
        cid = card_ids[log.card_id]
        interval = _interval(log.state_after, log.reviewed_at)
        last_id = max(int(log.reviewed_at.timestamp() * 1000), last_id + 1)  # ids are unique ms
        factor = ease_factor(log.state_after.get("difficulty"))
        previous, taken = last_interval.get(cid, 0), log.duration_ms or 0
        rows.append((last_id, cid, -1, log.rating, interval, previous, factor, taken, REVLOG_TYPE[log.kind]))
        last_interval[cid] = interval
    return rows


@dataclass(frozen=True)
class Scheduled:
    cards: int  # cards that left the new queue or were suspended or buried
    reviews: int


def apply_schedule(collection: Path, *, user, guids: dict[str, str], now: datetime) -> Scheduled:
    """Rewrite the cards of an exported collection (a genanki `collection.anki2`) with `user`'s
    schedule; `guids` maps each exported question id to its note's guid."""
    prefs = PracticeSettings.objects.filter(user=user).first() or PracticeSettings(user=user)
    # the user's cards and logs, kept in Python: a filter by every exported id would be one SQL
    # parameter per question
    cards = [c for c in Card.objects.filter(user=user) if c.question_id in guids]
    earliest = min([now, *(c.due for c in cards if (c.state or {}).get("last_review"))])
    days = StudyDays.starting(earliest, prefs.time_zone, prefs.day_starts_at)
    conn = sqlite3.connect(collection)
    try:
        anki_ids = dict(conn.execute("SELECT n.guid, c.id FROM cards c JOIN notes n ON n.id = c.nid"))
        conn.execute("UPDATE col SET crt = ?", (days.crt,))
        changed, card_ids = 0, {}
        for card in cards:
            cid = card_ids[card.pk] = anki_ids[guids[card.question_id]]
            columns = card_columns(card, now=now, days=days, prefs=prefs)
            if columns:
                changed += 1
                assignments = ", ".join(f"{name} = ?" for name in columns)
                conn.execute(f"UPDATE cards SET {assignments} WHERE id = ?", [*columns.values(), cid])
            if card.is_leech:  # Anki marks a leech by tagging its note
                conn.execute("UPDATE notes SET tags = tags || 'leech ' WHERE guid = ?", (guids[card.question_id],))
        logs = ReviewLog.objects.filter(user=user).order_by("reviewed_at", "id")
        rows = revlog_rows([log for log in logs if log.card_id in card_ids], card_ids)
        conn.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
    finally:
        conn.close()
    return Scheduled(cards=changed, reviews=len(rows))
