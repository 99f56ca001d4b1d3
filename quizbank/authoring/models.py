"""Editorial work on questions: a draft (a new question, or an edit of a published one) and
every save of it. What learners see is the published Question row (bank); nothing here is
visible to them until a reviewer publishes it (docs/authoring.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question, QuestionSet


class DraftState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("待审核")
    REJECTED = "rejected", _("已退回")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = (DraftState.DRAFT, DraftState.REVIEW, DraftState.REJECTED)


class DraftOrigin(models.TextChoices):
    EDITOR = "editor", _("编辑器")
    IMPORT = "import", _("笔记导入")
    CSV = "csv", _("CSV 导入")


class DraftQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)


class Draft(models.Model):
    """One piece of editorial work on one question id: open (draft, in review, rejected) until
    it is published or withdrawn. At most one open draft per question id."""

    target_id = models.CharField(max_length=80, db_index=True, help_text="the question id in the block's heading")
    # the published question it edits; null for a question that does not exist yet
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts")
    question_set = models.ForeignKey(QuestionSet, on_delete=models.PROTECT, related_name="drafts")
    base_version = models.PositiveIntegerField(null=True, blank=True, help_text="the published version edited")
    title = models.CharField(max_length=300, blank=True)
    source = models.TextField(help_text="the latest save: one question block in the content format")
    state = models.CharField(max_length=10, choices=DraftState.choices, default=DraftState.DRAFT)
    origin = models.CharField(max_length=10, choices=DraftOrigin.choices, default=DraftOrigin.EDITOR)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="question_drafts"
    )
    substantive = models.BooleanField(default=False, help_text="publishing moves learners' cards back to relearning")
    reject_reason = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    # bumped by every save and every step: a form names the revision it showed, so a stale tab
    # or a reviewer's old page changes nothing (409) instead of overwriting what it never saw
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_id"], condition=Q(state__in=OPEN_STATES), name="one_open_draft_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class DraftSave(models.Model):
    """Every save of a draft: who and when, and the whole text (what a diff or a restore reads)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="saves")
    number = models.PositiveIntegerField()
    source = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=200, blank=True, help_text="e.g. restored from v3, imported, suggestion")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft", "number"]
        constraints = [models.UniqueConstraint(fields=["draft", "number"], name="unique_draft_save_number")]


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交审核")
    REJECTED = "rejected", _("退回")
    PUBLISHED = "published", _("发布")
    WITHDRAWN = "withdrawn", _("撤回")


class DraftEvent(models.Model):
    """A step of the review workflow, for the history: who submitted, rejected (why), published
    (as which version, substantive or not), or withdrew a draft."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class AssistKind(models.TextChoices):
    SUGGEST = "suggest", _("LLM 建议关键点与追问")
    GRADE = "grade", _("LLM 评分样例答案")


class AssistStatus(models.TextChoices):
    PENDING = "pending", _("进行中")
    DONE = "done", _("完成")
    FAILED = "failed", _("失败")


class AssistRun(models.Model):
    """One request to the LLM for a draft (a Celery task): suggested key points and follow-ups,
    or the LLM grader's scores of the samples. Shown to the editor to accept or ignore."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="assist_runs")
    kind = models.CharField(max_length=10, choices=AssistKind.choices)
    source = models.TextField(help_text="the text it was asked about")
    status = models.CharField(max_length=10, choices=AssistStatus.choices, default=AssistStatus.PENDING)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
