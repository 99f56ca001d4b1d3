from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from quizbank.bank.publishing import question_published
from quizbank.grading.signals import attempt_graded
from quizbank.practice.models import PracticeSettings, ReviewLog
from quizbank.practice.services import relearn_question


@receiver(user_logged_in)
def remember_time_zone(sender, request, user, **kwargs):
    """Show times in the user's zone from the first page after login."""
    zone = PracticeSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if zone and request is not None and hasattr(request, "session"):
        request.session["time_zone"] = zone


@receiver(attempt_graded)
def score_review_logs(sender, attempt, grade, **kwargs):
    """A rating given before the grade arrived keeps the score it was given for (stats, undo)."""
    ReviewLog.objects.filter(attempt=attempt).update(score=grade.score)


@receiver(question_published)
def relearn_changed_question(sender, question, substantive, now, **kwargs):
    """An editor marked the change substantive: what learners memorised is no longer the answer."""
    if substantive:
        relearn_question(question=question, now=now)
