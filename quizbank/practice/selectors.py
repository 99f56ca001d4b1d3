"""Read-side queries for practice pages; each runs a fixed number of queries whatever the
number of cards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils.dates import MONTHS_AP
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question, QuestionSet
from quizbank.grading.models import Attempt
from quizbank.practice import queue, scheduling, services
from quizbank.practice.models import Card, PracticeSettings, QuestionNote, ReviewLog

SESSION_GAP = timedelta(hours=6)
RATING_LABELS = [(1, _("重来")), (2, _("困难")), (3, _("良好")), (4, _("简单"))]


def last_log(user) -> ReviewLog | None:
    if not user.is_authenticated:
        return None
    return ReviewLog.objects.filter(user=user).only("id", "question_id").order_by("-reviewed_at", "-id").first()


def reveal_context(user, shown: services.ShownCard, now: datetime) -> dict:
    prefs = services.settings_for(user)
    note = QuestionNote.objects.filter(user=user, question=shown.question).first()
    return {
        "revealed": True,
        "rating_labels": RATING_LABELS,
        "previews": services.interval_previews(prefs=prefs, card=shown.card, now=now),
        "note": note,
    }


UNREAD = object()


def answered_context(
    user,
    shown: services.ShownCard | None,
    now: datetime,
    prefs: PracticeSettings | None = None,
    attempt_id: int | None | object = UNREAD,
) -> dict:
    """A card answered by typing but not rated yet comes back answered (after a reload, an undo):
    the answer, its grade or check, and the rating buttons. Only answers of the current study day
    made since the card's last rating count (`queue.answered_attempt`; `attempt_id` when the queue
    already read it)."""
    if shown is None:
        return {}
    if attempt_id is UNREAD:
        day_start = (prefs or services.settings_for(user)).day_start(now)
        attempt_id = queue.answered_attempt(user.pk, shown.question.pk, day_start)
    if attempt_id is None:
        return {}
    attempt = Attempt.objects.select_related("grade").filter(pk=attempt_id).first()
    if attempt is None:  # deleted in between
        return {}
    context = {"attempt": attempt, "mode": "typed", **reveal_context(user, shown, now)}
    if shown.question.qtype != "free":
        context["check"] = services.check_of(attempt, shown.question)
    return context


@dataclass
class NewCardsToday:
    """The daily new-card limit is the user's, shared by all decks."""

    limit: int
    done: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.done)


def dashboard(user, now: datetime) -> dict:
    """The decks with their queue counts and unseen questions, and the user's new cards today."""
    prefs = services.settings_for(user)
    seen = Card.objects.filter(user=user).values("question_id")
    decks = list(user.decks.prefetch_related("topics"))
    for deck in decks:
        shown = services.next_card(user=user, deck=deck, now=now, prefs=prefs)
        deck.counts = shown.counts if shown and shown.counts else services.QueueCounts()
        deck.size = deck.questions().count()
        deck.unseen = deck.questions().exclude(id__in=seen).count()
    done = services.today_counts(user, prefs, now)["new"]
    return {"decks": decks, "new_today": NewCardsToday(limit=prefs.new_per_day, done=done)}


def question_panel(user, question: Question) -> dict:
    """The signed-in user's star, note, card state and recent answers for a question page."""
    if not user.is_authenticated:
        return {}
    return {
        "note": QuestionNote.objects.filter(user=user, question=question).first(),
        "card": Card.objects.filter(user=user, question=question).first(),
        "attempts": list(Attempt.objects.filter(user=user, question=question)[:5]),
    }


# a card is learned once the scheduler keeps it a day or more, mature at 21 days
LEARNED = Q(interval_days__gte=1) | Q(state__stability__gte=1)
MATURE = Q(interval_days__gte=scheduling.MATURE_DAYS)
HEAT_LEFT, HEAT_TOP = 26, 14  # room for the weekday and month labels
FORECAST_LEFT = 24  # room for the count labels
WEEKDAY_LABELS = [(0, _("周一")), (2, _("周三")), (4, _("周五"))]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass
class Label:
    x: int
    y: int
    text: str


@dataclass
class HeatCell:
    x: int
    y: int
    level: int
    title: str


@dataclass
class Bar:
    x: int
    height: int
    y: int
    title: str


def stats(user, now: datetime) -> dict:
    prefs = services.settings_for(user)
    tz, hour = prefs.time_zone, prefs.day_starts_at
    today = scheduling.study_day(now, tz, hour)
    year_ago = now - timedelta(days=371)
    logs = list(
        ReviewLog.objects.filter(user=user, reviewed_at__gte=year_ago).values_list(
            "reviewed_at", "rating", "kind", "interval_before"
        )
    )
    per_day = Counter(scheduling.study_day(at, tz, hour) for at, *_ in logs)

    # calendar heatmap: 53 columns (weeks, oldest first) x 7 rows (Monday first)
    first = today - timedelta(days=today.weekday() + 52 * 7)
    peak = max(per_day.values(), default=0)
    cells, months = [], []
    day = first
    while day <= today:
        n = per_day.get(day, 0)
        level = 0 if n == 0 else 1 + min(3, int(4 * n / (peak + 1)))
        x = HEAT_LEFT + 11 * ((day - first).days // 7)
        cells.append(HeatCell(x, HEAT_TOP + 11 * day.weekday(), level, f"{day.isoformat()}: {n}"))
        if day.day == 1 and x <= HEAT_LEFT + 52 * 11 - 16:  # a label at the right edge would be cut
            months.append(Label(x, HEAT_TOP - 4, MONTHS_AP[day.month] if day.month > 1 else str(day.year)))
        day += timedelta(days=1)
    weekdays = [Label(HEAT_LEFT - 4, HEAT_TOP + 11 * i + 8, name) for i, name in WEEKDAY_LABELS]

    # due forecast, next 30 study days (overdue cards count today)
    horizon = prefs.day_start(now) + timedelta(days=30)
    dues = Card.objects.for_user(user).available(now).filter(due__lt=horizon).values_list("due", flat=True)
    forecast = Counter(max(0, (scheduling.study_day(d, tz, hour) - today).days) for d in dues)
    top = max(forecast.values(), default=0)
    bars = [
        Bar(
            FORECAST_LEFT + 10 * i,
            round(80 * forecast.get(i, 0) / top) if top else 0,
            0,
            f"{(today + timedelta(days=i)).isoformat()} (+{i}): {forecast.get(i, 0)}",
        )
        for i in range(30)
    ]
    for bar in bars:
        bar.y = 90 - bar.height
    forecast_axis = {
        "left": FORECAST_LEFT,
        "x": [
            Label(
                FORECAST_LEFT + 10 * i + 4, 104, _("今天") if i == 0 else (today + timedelta(days=i)).strftime("%m-%d")
            )
            for i in (0, 7, 14, 21, 28)
        ],
        "y": [Label(FORECAST_LEFT - 4, 93, "0"), Label(FORECAST_LEFT - 4, 14, str(top))] if top else [],
    }

    # true retention (as Anki): pass rate of reviews of cards whose interval was >= 21 days;
    # beside it the pass rate of every review of the last 30 days, which moves from the first week
    month_ago = now - timedelta(days=30)
    recent_reviews = [(r, interval) for at, r, kind, interval in logs if kind == "review" and at >= month_ago]
    mature_reviews = [r for r, interval in recent_reviews if interval >= scheduling.MATURE_DAYS]
    retention = (sum(r > 1 for r in mature_reviews) / len(mature_reviews)) if mature_reviews else None
    recent_pass = sum(r > 1 for r, _interval in recent_reviews)

    # streak: consecutive study days with a review, ending today (or yesterday)
    streak, day = 0, today if per_day.get(today) else today - timedelta(days=1)
    while per_day.get(day):
        streak += 1
        day -= timedelta(days=1)

    progress = {
        topic_id: (seen, learned, mature)
        for topic_id, seen, learned, mature in Card.objects.for_user(user)
        .filter(question__retired_at__isnull=True)
        .values_list("question__question_set_id")
        .annotate(seen=Count("id"), learned=Count("id", filter=LEARNED), mature=Count("id", filter=MATURE))
    }
    topics = list(
        QuestionSet.objects.active()
        .annotate(n=Count("questions", filter=Q(questions__retired_at__isnull=True)))
        .order_by("order", "slug")  # an aggregate drops Meta.ordering
    )
    for topic in topics:
        topic.seen, topic.learned, topic.mature = progress.get(topic.id, (0, 0, 0))
        topic.learned_pct = _percent(topic.learned, topic.n)
        topic.mastery = _percent(topic.mature, topic.n)
    totals = Card.objects.for_user(user).aggregate(
        cards=Count("id"),
        learned=Count("id", filter=LEARNED),
        mature=Count("id", filter=MATURE),
        suspended=Count("id", filter=Q(suspended=True)),
        leeches=Count("id", filter=Q(is_leech=True)),
    )
    return {
        "cells": cells,
        "months": months,
        "weekdays": weekdays,
        "bars": bars,
        "forecast_axis": forecast_axis,
        "forecast_top": top,
        "heat_peak": peak,
        "retention": retention,
        "retention_pct": None if retention is None else round(100 * retention, 1),
        "mature_reviews": len(mature_reviews),
        "recent_reviews": len(recent_reviews),
        "recent_pass_pct": round(100 * recent_pass / len(recent_reviews), 1) if recent_reviews else None,
        "streak": streak,
        "topics": topics,
        "totals": totals,
        "reviews_year": len(logs),
        "days_studied": len(per_day),
    }
