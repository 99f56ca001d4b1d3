"""A grade arriving for an answer of a finished interview may make its question weak: rate it
into practice (services.queue_weak_questions) once the grade is committed."""

from django.db import transaction
from django.dispatch import receiver

from quizbank.grading.signals import attempt_graded
from quizbank.interviews.models import Status, Turn


@receiver(attempt_graded)
def queue_if_weak(sender, attempt, grade, **kwargs):
    interview_id = (
        Turn.objects.filter(attempt=attempt, parent__isnull=True, interview__status=Status.FINISHED)
        .values_list("interview_id", flat=True)
        .first()
    )
    if interview_id is not None:
        from quizbank.interviews.services import queue_weak_questions

        transaction.on_commit(lambda: queue_weak_questions(interview_id))
