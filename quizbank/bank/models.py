"""The question bank: sets, questions with stable ids, and every revision of a question."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Difficulty(models.TextChoices):
    EASY = "easy", _("简单")
    MEDIUM = "medium", _("中等")
    HARD = "hard", _("困难")


class QuestionType(models.TextChoices):
    FREE = "free", _("问答")
    SINGLE = "single", _("单选")
    MULTI = "multi", _("多选")
    NUMERIC = "numeric", _("计算")


class QuestionSetQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class QuestionSet(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.IntegerField(default=0)
    source_path = models.CharField(max_length=500, blank=True, help_text="File it was loaded from")
    content_hash = models.CharField(max_length=64, blank=True, help_text="sha256 of that file")
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionSetQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuestionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)

    def in_set(self, question_set):
        return self.active().filter(question_set=question_set).order_by("position")


class Question(models.Model):
    """One question. Its id is written in the content file and never changes: review history,
    attempts and notes point at it. Rendered HTML is stored beside the Markdown source."""

    id = models.CharField(max_length=80, primary_key=True)
    question_set = models.ForeignKey(QuestionSet, on_delete=models.PROTECT, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices)
    qtype = models.CharField(max_length=10, choices=QuestionType.choices, default=QuestionType.FREE)
    tags = models.ManyToManyField(Tag, related_name="questions", blank=True)
    body_md = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    answer_md = models.TextField()
    answer_html = models.TextField()
    extended_md = models.TextField(blank=True)
    extended_html = models.TextField(blank=True)
    # [{"text", "weight", "aliases": [...]}] — the grading rubric
    key_points = models.JSONField(default=list)
    key_points_html = models.JSONField(default=list)
    # {alias: share of the set's other answers containing it}, computed at load (bank/rubric.py)
    alias_shares = models.JSONField(default=dict, blank=True)
    follow_ups = models.JSONField(default=list)
    follow_ups_html = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    sources_html = models.JSONField(default=list)
    # [{"text", "correct", "html"}]
    options = models.JSONField(default=list)
    # [{"kind": strong|partial|wrong, "text"}]: the rubric test's sample answers (docs/authoring.md)
    samples = models.JSONField(default=list, blank=True)
    numeric_answer = models.CharField(max_length=50, blank=True)
    tolerance = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every content change")
    content_hash = models.CharField(max_length=64)
    # content_hash of the text last read from (or written to) its file: "" for a question that
    # exists only in the app, another value when the app published an edit since (docs/authoring.md)
    synced_hash = models.CharField(max_length=64, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["question_set__order", "position"]
        indexes = [models.Index(fields=["question_set", "position"])]

    def __str__(self) -> str:
        return f"{self.id}: {self.title}"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def edited_in_app(self) -> bool:
        """Published in the app since its file was last loaded or exported (export_questions)."""
        return self.content_hash != self.synced_hash

    @property
    def is_choice(self) -> bool:
        return self.qtype in (QuestionType.SINGLE, QuestionType.MULTI)

    @property
    def follow_up_items(self) -> list[dict]:
        """Each follow-up for the page: {"text", "answer"} as HTML and the id it links to ("see")."""
        return [
            {"text": html, "answer": "", "see": ""}
            if isinstance(html, str)  # stored before follow-ups had answers: re-load to refresh
            else {**html, "see": data.get("see", "") if isinstance(data, dict) else ""}
            for data, html in zip(self.follow_ups, self.follow_ups_html, strict=False)
        ]


class RevisionOrigin(models.TextChoices):
    FILE = "file", _("文件载入")
    APP = "app", _("应用内发布")


class QuestionRevision(models.Model):
    """The canonical Markdown of a question each time it changed: what an editor diffs and
    restores, and what a grade was computed against (question, version)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    source = models.TextField()
    origin = models.CharField(max_length=10, choices=RevisionOrigin.choices, default=RevisionOrigin.FILE)
    # who wrote it and who published it (app revisions; a file's are unknown)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "-version"]
        constraints = [models.UniqueConstraint(fields=["question", "version"], name="unique_question_version")]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.version}"


class IndexClock(models.Model):
    """One row: the generation of the search index's change log (bank/index_sync.py). Every
    change to what search shows bumps `generation` under this row's lock, so generations commit
    in order. A new `epoch` (a restore, `rebuild_index`) tells every node to rebuild."""

    generation = models.BigIntegerField(default=0)
    epoch = models.CharField(max_length=32)
    # changes up to this generation were pruned: a node behind it rebuilds
    pruned_through = models.BigIntegerField(default=0)


class IndexChange(models.Model):
    """A question whose index entry must be refreshed (or dropped) on every node."""

    generation = models.BigIntegerField(db_index=True)
    question_id = models.CharField(max_length=80)  # not a key: the row may be gone
    created_at = models.DateTimeField(auto_now_add=True)
