"""A grade for an attempt: the score, each key point's verdict with evidence, who graded it."""

from django.conf import settings
from django.db import models

from quizbank.practice.models import Attempt


class Grade(models.Model):
    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="grade")
    score = models.PositiveSmallIntegerField()
    # [{"index", "text", "status": covered|partial|missing, "evidence", "weight"}]
    points = models.JSONField(default=list)
    errors = models.JSONField(default=list, help_text="factual errors the grader found")
    feedback = models.CharField(max_length=300, blank=True)
    suggested_rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="none: the learner decides")
    grader = models.CharField(max_length=10, help_text="offline or llm")
    model = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=20, blank=True)
    cache_key = models.CharField(max_length=64, db_index=True)
    offline_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="the cross-check")
    flagged = models.BooleanField(default=False, help_text="anything in flags: no rating is suggested")
    # why it is flagged: keyword_list, fragment, pasted, verbatim, injection, low_confidence (offline);
    # injection, unverified, disagreement (LLM) — see docs/grading.md
    flags = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True, help_text="offline: share resting on specific evidence")
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.score}"


class GradingCharge(models.Model):
    """One grading a user asked for (a typed answer or a retry): the hourly limit counts these."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grading_charges")
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="charges")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]
