"""Spaced repetition on top of the `fsrs` package (FSRS-6): pure functions of state and time.

fsrs gives the algorithm; what it does not have is here: the card state as a plain dict (what
we store and what undo restores), interval previews for the rating buttons, the user's day
boundary, leech counting and the queue's order. Nothing here touches the database or HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import fsrs
from django.utils.translation import gettext as _

RATINGS = {1: fsrs.Rating.Again, 2: fsrs.Rating.Hard, 3: fsrs.Rating.Good, 4: fsrs.Rating.Easy}
LEECH_LAPSES = 8
MATURE_DAYS = 21
REVIEW_PHASE = fsrs.State.Review.value
STEP_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
STEP_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
STEP_MIN = timedelta(minutes=1)
STEP_MAX = timedelta(days=365)  # fsrs adds steps to datetimes: far beyond this they overflow


@dataclass(frozen=True)
class SchedulerSettings:
    desired_retention: float = 0.90
    learning_steps: str = "1m 10m"
    relearning_steps: str = "10m"
    parameters: tuple[float, ...] | None = None


def parse_steps(text: str) -> tuple[timedelta, ...]:
    """'1m 10m' -> (1 minute, 10 minutes). Raises ValueError on anything else, or on a step
    shorter than STEP_MIN or longer than STEP_MAX."""
    steps = []
    for part in text.split():
        match = STEP_RE.match(part)
        if not match:
            raise ValueError(f"invalid step {part!r}: use numbers with s, m, h or d, e.g. '1m 10m'")
        seconds = float(match.group(1)) * STEP_UNITS[match.group(2)]
        if not STEP_MIN.total_seconds() <= seconds <= STEP_MAX.total_seconds():
            raise ValueError(f"step {part!r} out of range: from 1m to 365d")
        steps.append(timedelta(seconds=seconds))
    return tuple(steps)


def steps_or_default(text: str, default: str) -> tuple[timedelta, ...]:
    """The steps of `text`, or of `default` when `text` is not valid (a row saved before the
    bounds existed must not break every review)."""
    try:
        return parse_steps(text) or parse_steps(default)
    except ValueError:
        return parse_steps(default)


def scheduler(settings: SchedulerSettings) -> fsrs.Scheduler:
    # No fuzzing: the interval shown on a rating button is exactly the one the rating gives.
    kwargs = {} if settings.parameters is None else {"parameters": settings.parameters}
    return fsrs.Scheduler(
        desired_retention=settings.desired_retention,
        learning_steps=steps_or_default(settings.learning_steps, SchedulerSettings.learning_steps),
        relearning_steps=steps_or_default(settings.relearning_steps, SchedulerSettings.relearning_steps),
        enable_fuzzing=False,
        **kwargs,
    )


def new_state(card_id: int, now: datetime) -> dict:
    """The state of a card never reviewed (fsrs starts it in Learning, due now)."""
    return to_state(fsrs.Card(card_id=card_id, due=now))


def to_state(card: fsrs.Card) -> dict:
    data = card.to_dict()
    data.pop("card_id", None)
    return data


def to_card(card_id: int, state: dict) -> fsrs.Card:
    return fsrs.Card.from_dict({**state, "card_id": card_id})


def _outcomes(
    settings: SchedulerSettings, card_id: int, state: dict, now: datetime, upto: int = 4
) -> dict[int, fsrs.Card]:
    """The card after each rating up to `upto`, a better rating never due sooner than a worse one
    (as in Anki: with long learning steps, "365d", fsrs would make Easy graduate at 1 day while
    Again waits 365 days)."""
    sched = scheduler(settings)
    card = to_card(card_id, state)
    now = now.astimezone(UTC)
    out, latest = {}, now
    for r, rating in sorted(RATINGS.items())[:upto]:
        after = sched.review_card(card, rating, now)[0]
        latest = after.due = max(after.due, latest)
        out[r] = after
    return out


def review(settings: SchedulerSettings, card_id: int, state: dict, rating: int, now: datetime) -> dict:
    """The card's state after a rating (1 Again, 2 Hard, 3 Good, 4 Easy) at `now` (UTC)."""
    return to_state(_outcomes(settings, card_id, state, now, upto=rating)[rating])


def previews(settings: SchedulerSettings, card_id: int, state: dict, now: datetime) -> dict[int, timedelta]:
    """For each rating, how long until the card would be due again (what `review` gives)."""
    return {r: card.due - now for r, card in _outcomes(settings, card_id, state, now).items()}


def format_interval(delta: timedelta) -> str:
    """Anki-style short interval in the active language: <1分钟, 10分钟, 3小时, 4天, 2.1个月, 1.5年
    (English: <1m, 10m, 3h, 4d, 2.1mo, 1.5y)."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return _("<1分钟")
    if seconds < 3600:
        return _("%(n)s分钟") % {"n": round(seconds / 60)}
    if seconds < 86400:
        return _("%(n)s小时") % {"n": round(seconds / 3600)}
    days = seconds / 86400
    if days < 30:
        return _("%(n)s天") % {"n": round(days)}
    if days < 365:
        return _("%(n)s个月") % {"n": _one_decimal(days / 30)}
    return _("%(n)s年") % {"n": _one_decimal(days / 365)}


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def relearn(state: dict, now: datetime) -> dict:
    """The question changed substantively: a reviewed card starts relearning now (its memory
    strength is kept; the next rating updates it as after a lapse). A card still in its first
    learning steps is left as it is."""
    if state.get("state") != fsrs.State.Review.value:
        return state
    return {**state, "state": fsrs.State.Relearning.value, "step": 0, "due": now.isoformat()}


def is_lapse(state_before: dict, rating: int) -> bool:
    """Forgetting a card that had graduated to Review (fsrs does not count lapses)."""
    return state_before.get("state") == fsrs.State.Review.value and rating == 1


def interval_days(state: dict) -> float:
    """The scheduled interval of a state, in days (0 while learning)."""
    if not state.get("last_review"):
        return 0.0
    due = datetime.fromisoformat(state["due"])
    last = datetime.fromisoformat(state["last_review"])
    return max(0.0, (due - last).total_seconds() / 86400)


def day_start(now: datetime, tz_name: str, hour: int) -> datetime:
    """Start (UTC) of the user's current study day: the last `hour` o'clock in their zone."""
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), time(hour), tzinfo=tz)
    if local < start:
        start = datetime.combine(local.date() - timedelta(days=1), time(hour), tzinfo=tz)
    return start.astimezone(UTC)


def study_day(moment: datetime, tz_name: str, hour: int):
    """The study day (a date) a moment belongs to, in the user's zone and day boundary."""
    return (moment.astimezone(ZoneInfo(tz_name)) - timedelta(hours=hour)).date()
