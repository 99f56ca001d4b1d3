from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from quizbank.grading.signals import attempt_graded
from quizbank.practice.models import PracticeSettings, ReviewLog


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
