"""Thin Celery task: the LLM writes a follow-up while the candidate waits a few seconds."""

from celery import shared_task

from quizbank.interviews import services


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=40)
def write_follow_up_task(turn_id: int) -> None:
    services.write_follow_up(turn_id)
