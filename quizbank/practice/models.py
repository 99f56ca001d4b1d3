"""Practice: per-user settings, decks, one card per (user, question), the review log and
private notes. Typed answers (attempts) belong to grading, which practice and interviews share."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Question, QuestionSet, Tag
from quizbank.practice import scheduling


class PracticeSettings(models.Model):
    """Anki's defaults: 20 new cards and 200 reviews a day, retention 0.90, steps 1m 10m / 10m."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_settings")
    new_per_day = models.PositiveIntegerField(_("每天新卡"), default=20, validators=[MaxValueValidator(9999)])
    reviews_per_day = models.PositiveIntegerField(_("每天最多复习"), default=200, validators=[MaxValueValidator(99999)])
    desired_retention = models.FloatField(
        _("目标记忆保持率"), default=0.90, validators=[MinValueValidator(0.70), MaxValueValidator(0.99)]
    )
    learning_steps = models.CharField(_("学习步长"), max_length=100, default="1m 10m")
    relearning_steps = models.CharField(_("重学步长"), max_length=100, default="10m")
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    day_starts_at = models.PositiveSmallIntegerField(
        _("新一天开始于（点）"), default=4, validators=[MaxValueValidator(23)]
    )
    fsrs_parameters = models.JSONField(null=True, blank=True, help_text="Optimised FSRS parameters, if any")

    def scheduler_settings(self) -> scheduling.SchedulerSettings:
        return scheduling.SchedulerSettings(
            desired_retention=self.desired_retention,
            learning_steps=self.learning_steps,
            relearning_steps=self.relearning_steps,
            parameters=tuple(self.fsrs_parameters) if self.fsrs_parameters else None,
        )

    def day_start(self, now: datetime) -> datetime:
        return scheduling.day_start(now, self.time_zone, self.day_starts_at)


class AnswerMode(models.TextChoices):
    RECALL = "recall", _("回忆")
    TYPED = "typed", _("打字作答")


class Deck(models.Model):
    """A saved selection of questions: topics, optionally narrowed by tags and difficulty;
    or the user's starred questions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decks")
    name = models.CharField(_("名称"), max_length=100)
    topics = models.ManyToManyField(QuestionSet, blank=True, verbose_name=_("题集"))
    tags = models.ManyToManyField(Tag, blank=True, verbose_name=_("标签"))
    difficulties = models.JSONField(_("难度"), default=list, blank=True)
    starred_only = models.BooleanField(_("只练收藏"), default=False)
    mode = models.CharField(_("作答方式"), max_length=10, choices=AnswerMode.choices, default=AnswerMode.RECALL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    def card_filter(self) -> Q:
        """The same selection as questions(), as a filter on Card: plain joins, no subquery over
        the whole bank (what the queue and its counts run on)."""
        scope = Q(question__retired_at__isnull=True)
        if self.starred_only:
            starred = QuestionNote.objects.filter(user_id=self.user_id, starred=True).values("question_id")
            scope &= Q(question_id__in=starred)
        else:
            scope &= Q(question__question_set_id__in=[t.pk for t in self.topics.all()])
            tag_ids = [t.pk for t in self.tags.all()]
            if tag_ids:
                scope &= Q(
                    question_id__in=Question.tags.through.objects.filter(tag_id__in=tag_ids).values("question_id")
                )
        if self.difficulties:
            scope &= Q(question__difficulty__in=self.difficulties)
        return scope

    def questions(self):
        """The active questions this deck selects (topics ∩ tags ∩ difficulties, or starred)."""
        questions = Question.objects.active()
        if self.starred_only:
            questions = questions.filter(notes__user_id=self.user_id, notes__starred=True)
        else:
            questions = questions.filter(question_set__in=[t.pk for t in self.topics.all()])
            tag_ids = [t.pk for t in self.tags.all()]
            if tag_ids:
                questions = questions.filter(tags__in=tag_ids)
        if self.difficulties:
            questions = questions.filter(difficulty__in=self.difficulties)
        return questions.distinct()


class CardQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def available(self, now: datetime):
        """Not suspended, not buried, question not retired."""
        return self.filter(suspended=False, question__retired_at__isnull=True).filter(
            Q(buried_until__isnull=True) | Q(buried_until__lte=now)
        )

    def due_for(self, user, now: datetime):
        """The user's cards due by `now`, most overdue first."""
        return self.for_user(user).available(now).filter(due__lte=now).order_by("due", "id")


class Card(models.Model):
    """The schedule of one question for one user: fsrs's Card, with our primary key as its id."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="cards")
    state = models.JSONField(help_text="fsrs Card.to_dict() without card_id")
    phase = models.PositiveSmallIntegerField(default=1, help_text="fsrs State: 1 learning, 2 review, 3 relearning")
    due = models.DateTimeField(db_index=True)
    interval_days = models.FloatField(default=0)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    is_leech = models.BooleanField(default=False)
    suspended = models.BooleanField(default=False)
    buried_until = models.DateTimeField(null=True, blank=True)
    # Bumped on every change: a rating must name the revision it was shown, so a double
    # click, a replayed POST or a second tab changes nothing.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CardQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="one_card_per_user_question")]
        indexes = [models.Index(fields=["user", "due"]), models.Index(fields=["user", "phase", "due"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.question_id}"

    @property
    def is_mature(self) -> bool:
        return self.interval_days >= scheduling.MATURE_DAYS

    def apply_state(self, state: dict) -> None:
        self.state = state
        self.phase = state["state"]
        self.due = datetime.fromisoformat(state["due"])
        self.interval_days = scheduling.interval_days(state)


class ReviewLog(models.Model):
    """Every rating, with the card's state before and after (what undo restores)."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_logs")
    rating = models.PositiveSmallIntegerField(choices=[(1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")])
    # what the card was when rated: new, learning, review or relearning (for limits and stats)
    kind = models.CharField(max_length=10, choices=[(k, k) for k in ("new", "learn", "review", "relearn")])
    reviewed_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    state_before = models.JSONField(null=True, help_text="null: the card was new")
    state_after = models.JSONField()
    card_before = models.JSONField(help_text="lapses, reps, is_leech before the rating")
    interval_before = models.FloatField(default=0, help_text="scheduled interval (days) before the rating")
    score = models.FloatField(null=True, blank=True, help_text="the grader's score, when there was one")
    attempt = models.ForeignKey(
        "grading.Attempt", null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["user", "reviewed_at"])]


class QuestionNote(models.Model):
    """A user's star (收藏) and private note on a question."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_notes")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="notes")
    starred = models.BooleanField(default=False)
    text = models.TextField(blank=True, max_length=10_000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="one_note_per_user_question")]
