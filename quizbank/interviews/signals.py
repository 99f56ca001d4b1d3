"""A grade arriving for an answer of a finished interview may make its question weak (rate it
into practice) or complete the interview (the LLM's feedback): results.settled, once the grade
is committed."""

from django.db import transaction
from django.dispatch import receiver

from quizbank.grading.signals import attempt_graded
from quizbank.interviews.models import Status, Turn


@receiver(attempt_graded)
def queue_if_weak(sender, attempt, grade, **kwargs):
    interview_id = (
        Turn.objects.filter(attempt=attempt, interview__status=Status.FINISHED)
        .values_list("interview_id", flat=True)
        .first()
    )
    if interview_id is not None:
        from quizbank.interviews.results import settled

        transaction.on_commit(lambda: settled(interview_id))
