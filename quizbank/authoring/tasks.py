"""Thin Celery tasks: load by id, call the domain function (authoring/assist.py)."""

from celery import shared_task
from django.conf import settings

from quizbank.authoring import assist


@shared_task(
    ignore_result=True,
    soft_time_limit=settings.QUIZBANK_GRADER_DEADLINE * 4 + 20,
    time_limit=settings.QUIZBANK_GRADER_DEADLINE * 4 + 40,
)
def assist_task(run_id: int) -> None:
    assist.perform(run_id)
