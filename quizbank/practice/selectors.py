"""Read-side queries for practice pages; each runs a fixed number of queries whatever the
number of cards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question, QuestionSet
from quizbank.practice import scheduling, services
from quizbank.practice.models import Attempt, Card, QuestionNote, ReviewLog

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


def decks_with_counts(user, now: datetime) -> list:
    prefs = services.settings_for(user)
    decks = list(user.decks.prefetch_related("topics"))
    for deck in decks:
        shown = services.next_card(user=user, deck=deck, now=now, prefs=prefs)
        deck.counts = shown.counts if shown and shown.counts else services.QueueCounts()
        deck.size = deck.questions().count()
    return decks


def question_panel(user, question: Question) -> dict:
    """The signed-in user's star, note, card state and recent answers for a question page."""
    if not user.is_authenticated:
        return {}
    return {
        "note": QuestionNote.objects.filter(user=user, question=question).first(),
        "card": Card.objects.filter(user=user, question=question).first(),
        "attempts": list(Attempt.objects.filter(user=user, question=question)[:5]),
    }


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
    cells = []
    day = first
    while day <= today:
        n = per_day.get(day, 0)
        level = 0 if n == 0 else 1 + min(3, int(4 * n / (peak + 1)))
        cells.append(HeatCell(11 * ((day - first).days // 7), 11 * day.weekday(), level, f"{day.isoformat()}: {n}"))
        day += timedelta(days=1)

    # due forecast, next 30 study days (overdue cards count today)
    horizon = prefs.day_start(now) + timedelta(days=30)
    dues = Card.objects.for_user(user).available(now).filter(due__lt=horizon).values_list("due", flat=True)
    forecast = Counter(max(0, (scheduling.study_day(d, tz, hour) - today).days) for d in dues)
    top = max(forecast.values(), default=0)
    bars = [
        Bar(10 * i, round(80 * forecast.get(i, 0) / top) if top else 0, 0, f"+{i}: {forecast.get(i, 0)}")
        for i in range(30)
    ]
    for bar in bars:
        bar.y = 90 - bar.height

    # true retention (as Anki): pass rate of reviews of cards whose interval was >= 21 days
    month_ago = now - timedelta(days=30)
    mature_reviews = [
        r
        for at, r, kind, interval in logs
        if kind == "review" and interval >= scheduling.MATURE_DAYS and at >= month_ago
    ]
    retention = (sum(r > 1 for r in mature_reviews) / len(mature_reviews)) if mature_reviews else None

    # streak: consecutive study days with a review, ending today (or yesterday)
    streak, day = 0, today if per_day.get(today) else today - timedelta(days=1)
    while per_day.get(day):
        streak += 1
        day -= timedelta(days=1)

    mature = dict(
        Card.objects.for_user(user)
        .filter(interval_days__gte=scheduling.MATURE_DAYS, question__retired_at__isnull=True)
        .values_list("question__question_set_id")
        .annotate(n=Count("id"))
    )
    topics = list(
        QuestionSet.objects.active()
        .annotate(n=Count("questions", filter=Q(questions__retired_at__isnull=True)))
        .order_by("order", "slug")  # an aggregate drops Meta.ordering
    )
    for topic in topics:
        topic.mature = mature.get(topic.id, 0)
        topic.mastery = round(100 * topic.mature / topic.n) if topic.n else 0
    totals = Card.objects.for_user(user).aggregate(
        cards=Count("id"),
        mature=Count("id", filter=Q(interval_days__gte=scheduling.MATURE_DAYS)),
        suspended=Count("id", filter=Q(suspended=True)),
        leeches=Count("id", filter=Q(is_leech=True)),
    )
    return {
        "cells": cells,
        "bars": bars,
        "retention": retention,
        "retention_pct": None if retention is None else round(100 * retention, 1),
        "mature_reviews": len(mature_reviews),
        "streak": streak,
        "topics": topics,
        "totals": totals,
        "reviews_year": len(logs),
        "days_studied": len(per_day),
    }
