"""Grading metrics for staff: the queue now, and over a recent window the latency from a saved
answer to its grade, failures and tokens spent. Read from the database, so every web node shows
the same figures whichever broker runs the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, Sum

from quizbank.grading.models import Attempt, AttemptStatus, Grade
from quizbank.grading.services import FALLBACK_FLAGS


@dataclass(frozen=True)
class GradingMetrics:
    window_hours: int
    pending: int
    grading: int
    oldest_waiting_seconds: float | None
    graded: int
    failed: int
    latency_p50_seconds: float | None
    latency_p95_seconds: float | None
    latency_max_seconds: float | None
    by_grader: dict[str, int]
    fallbacks: dict[str, int]  # offline grades given because the LLM could not grade, by reason
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int

    @property
    def failure_rate(self) -> float | None:
        done = self.graded + self.failed
        return self.failed / done if done else None


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    rank = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[rank]


def grading_metrics(*, now: datetime, window: timedelta = timedelta(hours=24)) -> GradingMetrics:
    since = now - window
    waiting = Attempt.objects.filter(status__in=[AttemptStatus.PENDING, AttemptStatus.GRADING]).aggregate(
        pending=Count("id", filter=Q(status=AttemptStatus.PENDING)),
        grading=Count("id", filter=Q(status=AttemptStatus.GRADING)),
        oldest=Min("created_at"),
    )
    grades = Grade.objects.filter(created_at__gte=since)
    latencies = sorted(
        (graded_at - saved_at).total_seconds()
        for graded_at, saved_at in grades.values_list("created_at", "attempt__created_at").iterator()
    )
    tokens = grades.aggregate(p=Sum("prompt_tokens"), c=Sum("completion_tokens"), k=Sum("cached_tokens"))
    by_grader = dict(grades.values_list("grader").annotate(n=Count("id")).order_by("grader"))
    failed = Attempt.objects.filter(status=AttemptStatus.FAILED, status_changed_at__gte=since).count()
    fallbacks = dict.fromkeys(FALLBACK_FLAGS, 0)
    for flags in grades.filter(grader="offline", flagged=True).values_list("flags", flat=True).iterator():
        for flag in set(flags or ()) & fallbacks.keys():
            fallbacks[flag] += 1
    return GradingMetrics(
        window_hours=round(window.total_seconds() / 3600),
        pending=waiting["pending"],
        grading=waiting["grading"],
        oldest_waiting_seconds=(now - waiting["oldest"]).total_seconds() if waiting["oldest"] else None,
        graded=len(latencies),
        failed=failed,
        latency_p50_seconds=_percentile(latencies, 0.5),
        latency_p95_seconds=_percentile(latencies, 0.95),
        latency_max_seconds=latencies[-1] if latencies else None,
        by_grader=by_grader,
        fallbacks=fallbacks,
        prompt_tokens=tokens["p"] or 0,
        completion_tokens=tokens["c"] or 0,
        cached_tokens=tokens["k"] or 0,
    )
