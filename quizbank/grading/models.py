"""Answers and their grades. An attempt is a typed (or checked) answer to a bank question,
saved before anything else happens to it; practice and mock interviews both create them, and
both depend on this app, never the other way round. A grade is the score, each key point's
verdict with evidence, and who graded it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question


class AttemptStatus(models.TextChoices):
    PENDING = "pending", _("待评分")
    GRADING = "grading", _("评分中")
    GRADED = "graded", _("已评分")
    FAILED = "failed", _("评分失败")


class Attempt(models.Model):
    """A typed answer, saved before anything else happens to it. Practice and mock interviews
    both create them; the grader scores them. An answer to a follow-up answered in place (one
    that is no bank question of its own) keeps that follow-up in `follow_up` and is graded
    against its short answer and key points instead of the question's."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="attempts")
    question_version = models.PositiveIntegerField()
    text = models.TextField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    pasted_chars = models.PositiveIntegerField(default=0, help_text="characters pasted into the answer box")
    status = models.CharField(max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.PENDING)
    runs = models.PositiveSmallIntegerField(default=0, help_text="grading runs started since the last charge")
    score = models.FloatField(null=True, blank=True, help_text="0-100 once graded")
    status_changed_at = models.DateTimeField(auto_now_add=True, help_text="for the sweep of stuck attempts")
    failure = models.CharField(max_length=300, blank=True, help_text="why grading failed, for the user and admins")
    created_at = models.DateTimeField(auto_now_add=True)
    # {"text", "answer", "key_points"}: the follow-up of `question` this answers (null: the question)
    follow_up = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "question", "created_at"])]


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
