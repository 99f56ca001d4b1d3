"""Thin Celery tasks: load by id, call the service. acks_late: a task whose worker dies is
delivered again, and the claim in grade_attempt makes the second delivery grade at most once
(and never more than MAX_RUNS runs). The time limits back up the grader's own deadline."""

import logging
from datetime import datetime

from celery import shared_task
from celery.signals import worker_process_init
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError

from quizbank.grading import rubrics, services

logger = logging.getLogger(__name__)
BACKOFF_MAX = 8  # seconds between retries when the database is away


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.QUIZBANK_GRADER_DEADLINE + 20,
    time_limit=settings.QUIZBANK_GRADER_DEADLINE + 40,
    # the database restarting or failing over: try again after 1, 2, 4, then every 8 s (about
    # 2 minutes in all) instead of leaving the answer to the sweep's stuck timeout (3 minutes
    # and more); a short cap, so an answer waits at most 8 s once the database is back
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=BACKOFF_MAX,
    retry_jitter=False,
    max_retries=15,
)
def grade_attempt_task(self, attempt_id: int, resume: str | None = None) -> None:
    try:
        services.grade_attempt(attempt_id, resume=datetime.fromisoformat(resume) if resume else None)
    except services.Interrupted as exc:  # after the claim: the retry goes on with this run
        countdown = get_exponential_backoff_interval(1, self.request.retries, BACKOFF_MAX)  # as autoretry's
        raise self.retry(args=(attempt_id, exc.claimed_at.isoformat()), countdown=countdown, exc=exc) from exc


@shared_task(ignore_result=True)
def sweep_stuck_attempts() -> int:
    """Queue again every attempt stuck in pending or grading past the timeout (with runs left)."""
    ids = services.sweep()
    for attempt_id in ids:
        grade_attempt_task.delay(attempt_id)
    return len(ids)


@worker_process_init.connect
def warm_up(**kwargs) -> None:
    """Read the glossary and the bank's word weights (from the cache; seconds of CPU for the
    first process after the bank changed) before the first answer waits."""
    try:
        rubrics.bank_weights()
    except Exception:  # noqa: BLE001 — a worker starting before `migrate` grades later, not never
        logger.warning("could not prepare the offline grader yet", exc_info=True)
