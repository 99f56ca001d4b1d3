"""Filing a problem report: one per user, question and kind while it is open (a second one
updates the text), at most DAILY_LIMIT a day per user."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from quizbank.feedback.models import ProblemReport

DAILY_LIMIT = 20


class TooMany(Exception):
    pass


def report_problem(*, user, question, kind: str, text: str, now=None) -> ProblemReport:
    now = now or timezone.now()
    with transaction.atomic():
        open_one = ProblemReport.objects.filter(
            user=user, question=question, kind=kind, resolved_at__isnull=True
        ).first()
        if open_one is not None:
            open_one.text, open_one.question_version = text, question.version
            open_one.save(update_fields=["text", "question_version"])
            return open_one
        if ProblemReport.objects.filter(user=user, created_at__gte=now - timedelta(days=1)).count() >= DAILY_LIMIT:
            raise TooMany
        return ProblemReport.objects.create(
            user=user, question=question, question_version=question.version, kind=kind, text=text
        )


def open_reports(user, question) -> list[ProblemReport]:
    return list(ProblemReport.objects.filter(user=user, question=question).order_by("-created_at")[:5])
