"""A learner's report that a question is wrong, unclear, a duplicate or has a typo: the queue
editors work through (the admin lists it, open first)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question


class Kind(models.TextChoices):
    WRONG = "wrong", _("内容有错")
    UNCLEAR = "unclear", _("说得不清楚")
    DUPLICATE = "duplicate", _("和别的题重复")
    TYPO = "typo", _("错别字或格式")
    OTHER = "other", _("其他")


class ProblemReport(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="problem_reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="problem_reports")
    question_version = models.PositiveIntegerField(help_text="the version the learner saw")
    kind = models.CharField(_("问题类型"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("说明"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True, help_text="what the editor did (the reporter sees it)")

    class Meta:
        ordering = ["resolved_at", "-created_at"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.kind}"
