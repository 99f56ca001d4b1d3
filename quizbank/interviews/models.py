"""Mock interviews: tracks (content files), an interview (its plan and clock), and its turns —
one question or follow-up asked, with its countdown, draft and the answer (a grading Attempt)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question
from quizbank.grading.models import Attempt


class Track(models.Model):
    """An interview round loaded from content/tracks/*.md (interviews/tracks.py)."""

    slug = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    order = models.IntegerField(default=0)
    questions = models.PositiveSmallIntegerField(default=6)
    minutes_per_question = models.FloatField(default=5)
    follow_ups = models.BooleanField(default=True)
    difficulty = models.JSONField(default=list, help_text="the curve, warm-up → hard")
    topics = models.JSONField(default=dict, help_text="{set slug: weight}")
    description_md = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    source_path = models.CharField(max_length=500, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.title


class Level(models.TextChoices):
    JUNIOR = "junior", _("初级")
    MID = "mid", _("中级")
    SENIOR = "senior", _("高级")


class Style(models.TextChoices):
    GENTLE = "gentle", _("温和")
    STANDARD = "standard", _("标准")
    PRESSURE = "pressure", _("压力")


class Mode(models.TextChoices):
    EXAM = "exam", _("考试模式")
    PRACTICE = "practice", _("练习模式")


class Status(models.TextChoices):
    ACTIVE = "active", _("进行中")
    FINISHED = "finished", _("已结束")
    ABANDONED = "abandoned", _("已放弃")


class Interview(models.Model):
    """One mock interview of one user. Its plan (question ids) is fixed when it starts, so a
    reload or a resumed session asks exactly what it would have asked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interviews")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="interviews")
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.MID)
    style = models.CharField(max_length=10, choices=Style.choices, default=Style.STANDARD)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EXAM)
    follow_ups = models.BooleanField(default=True)
    show_scores = models.BooleanField(default=False, help_text="scores as you go instead of at the end")
    weak_spots = models.BooleanField(default=True, help_text="prefer questions not seen or failed recently")
    topics = models.JSONField(default=dict, help_text="{set slug: weight} the plan was drawn from")
    plan = models.JSONField(default=list, help_text="the question ids, in order")
    seconds_per_question = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="the interview-wide clock")
    finished_at = models.DateTimeField(null=True, blank=True)
    queued_for_practice = models.JSONField(default=list, blank=True, help_text="question ids rated into practice")
    # the LLM's feedback once every grade is in: {"strengths", "weaknesses", "next_steps", "model"}
    summary = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="active"), name="one_open_interview_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE


class Outcome(models.TextChoices):
    OPEN = "open", _("作答中")
    ANSWERED = "answered", _("已作答")
    DONT_KNOW = "dont_know", _("不知道")
    SKIPPED = "skipped", _("跳过")
    UNANSWERED = "unanswered", _("未作答")


class Turn(models.Model):
    """One thing the interviewer asked: a planned question or a follow-up on one."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="turns")
    number = models.PositiveSmallIntegerField(help_text="order in the interview, from 1")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="interview_turns")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up_turns")
    # a follow-up answered in place: {"text", "answer", "key_points"} (null: a bank question)
    follow_up = models.JSONField(null=True, blank=True)
    generated = models.BooleanField(default=False, help_text="a follow-up written by the LLM")
    prompt = models.TextField(help_text="what the interviewer asked, as shown")
    asked_at = models.DateTimeField()
    limit_seconds = models.PositiveIntegerField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.OPEN)
    draft = models.TextField(blank=True, max_length=20_000)
    answered_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False, help_text="answered after the limit and the grace period")
    hint_used = models.BooleanField(default=False)
    attempt = models.OneToOneField(Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="turn")

    class Meta:
        ordering = ["interview", "number"]
        constraints = [models.UniqueConstraint(fields=["interview", "number"], name="one_turn_per_number")]

    def __str__(self) -> str:
        return f"{self.interview_id}#{self.number}: {self.question_id}"

    @property
    def is_follow_up(self) -> bool:
        return self.parent_id is not None
