"""Thin Celery tasks: the LLM writes a follow-up while the candidate waits a few seconds, and the
feedback of a finished interview once every grade is in."""

from celery import shared_task

from quizbank.interviews import asking, results


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=40)
def write_follow_up_task(turn_id: int) -> None:
    asking.write_follow_up(turn_id)


@shared_task(ignore_result=True, soft_time_limit=90, time_limit=120)
def write_summary_task(interview_id: int) -> None:
    results.write_summary(interview_id)
