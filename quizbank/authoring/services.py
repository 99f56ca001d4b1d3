"""The editorial workflow: draft → in review → published (or rejected with a reason, back to the
author; or withdrawn). Every save is kept; publishing writes the bank (bank/publishing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quizbank.authoring.models import Draft, DraftEvent, DraftOrigin, DraftSave, DraftState, EventKind
from quizbank.authoring.permissions import can_review
from quizbank.authoring.preview import rubric_test, submit_errors
from quizbank.authoring.sections import heading_title
from quizbank.authoring.validation import check_source
from quizbank.bank.loader import question_data
from quizbank.bank.markup import ID_RE, ContentError, format_question, heading_ids
from quizbank.bank.models import Question, QuestionRevision, QuestionSet
from quizbank.bank.publishing import VersionConflict, publish_question, retire_question
from quizbank.grading.models import Attempt, AttemptStatus

MAX_SOURCE = 100_000
NEW_QUESTION = """## 新问题的标题？ {{#{slug}-new-question}}
difficulty: medium
tags: []

### 回答重点

先用两三句话给出核心答案，再分点展开。

### 关键点

- 第一个得分点 {{weight=2 aliases="同义说法|another wording"}}
- 第二个得分点

### 样例答案

- strong: 一个完整的好回答。
- partial: 只说对一半的回答。
- wrong: 一个错误的回答。
"""


class WorkflowError(Exception):
    """A step the draft's state or the user's role does not allow; the message says why."""


class Stale(WorkflowError):
    """The draft changed after the page that sent this was shown (another tab, another person)."""


class Invalid(WorkflowError):
    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.line}: {e.message}" for e in errors))


@dataclass
class Impact:
    """What publishing an edit touches: learners' cards, and graded answers of earlier versions."""

    cards: int
    review_cards: int  # those a substantive change moves back to relearning
    graded: int


def new_question_source(question_set: QuestionSet) -> str:
    return NEW_QUESTION.format(slug=question_set.slug)


def published_source(question: Question) -> str:
    return format_question(question_data(question))


def open_draft(target_id: str) -> Draft | None:
    return Draft.objects.open().filter(target_id=target_id).select_related("question", "question_set").first()


def may_edit(user, draft: Draft) -> bool:
    """A draft is its author's (a reviewer may step in); an imported one nobody owns yet is
    claimed by the first editor who saves it."""
    return draft.author_id in (None, user.pk) or can_review(user)


def _check_revision(draft: Draft, revision: int | None) -> None:
    if revision is not None and revision != draft.revision:
        raise Stale(_("这份草稿在你打开这一页之后变了（别的标签页或别人保存、提交或审核过）。你的操作没有执行。"))


def _step(draft: Draft, kind: str, user, note: str = "") -> None:
    draft.revision += 1
    draft.save()
    DraftEvent.objects.create(draft=draft, kind=kind, user=user, note=note)


@transaction.atomic
def start_edit(*, user, question: Question) -> Draft:
    """The open draft of a published question, or a new one holding its published text."""
    if question.retired_at is not None:
        raise WorkflowError(_("这道题已下线，不能再编辑（它的历史仍然保留）"))
    draft = open_draft(question.id)
    if draft is not None:
        return draft
    source = published_source(question)
    try:
        with transaction.atomic():
            draft = Draft.objects.create(
                target_id=question.id,
                question=question,
                question_set=question.question_set,
                base_version=question.version,
                title=question.title,
                source=source,
                author=user,
                revision=1,
            )
    except IntegrityError:  # a second tab started it a moment ago
        return open_draft(question.id)
    DraftSave.objects.create(draft=draft, number=1, source=source, author=user, note=f"v{question.version}")
    return draft


@transaction.atomic
def create_draft(
    *, user, question_set: QuestionSet, source: str, origin: str = DraftOrigin.EDITOR, note: str = ""
) -> Draft:
    """A draft of a new question (saved even when it does not validate yet: nothing is lost)."""
    _check_size(source)
    checked = check_source(source, question_set=question_set)
    target = checked.data.id if checked.data else next(iter(heading_ids(source)), "")
    if not ID_RE.match(target) or open_draft(target) or Question.objects.filter(id=target).exists():
        target = _placeholder_id(question_set)
    draft = Draft.objects.create(
        target_id=target,
        question_set=question_set,
        title=_title(checked, source),
        source=source,
        author=user,
        origin=origin,
        revision=1,
    )
    DraftSave.objects.create(draft=draft, number=1, source=source, author=user, note=note)
    return draft


@transaction.atomic
def save_draft(*, user, draft: Draft, source: str, note: str = "", revision: int | None = None) -> DraftSave | None:
    """Keep a new save (None when the text is unchanged). Editing a draft in review or rejected
    takes it back to draft: it is submitted again when ready. `revision`: the draft's revision
    the editor showed (Stale when it moved on since)."""
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_open:
        raise WorkflowError(_("这份草稿已经发布或撤回，不能再改；请重新开始编辑"))
    if not may_edit(user, draft):
        raise WorkflowError(_("这是别人的草稿：只有作者或审核人可以修改"))
    _check_revision(draft, revision)
    _check_size(source)
    last = draft.saves.order_by("-number").first()
    if last is not None and last.source == source and not note:
        return None
    checked = check_source(source, question_set=draft.question_set, question=draft.question, draft_id=draft.pk)
    wanted = checked.data.id if checked.data else next(iter(heading_ids(source)), "")
    if wanted and not draft.question_id and wanted != draft.target_id and ID_RE.match(wanted):
        if not Question.objects.filter(id=wanted).exists() and not open_draft(wanted):
            draft.target_id = wanted
    draft.source, draft.title = source, _title(checked, source)
    draft.state, draft.author = DraftState.DRAFT, draft.author or user
    draft.revision += 1
    draft.save()
    number = (last.number if last else 0) + 1
    return DraftSave.objects.create(draft=draft, number=number, source=source, author=user, note=note)


@transaction.atomic
def submit(*, user, draft: Draft, revision: int | None = None) -> Draft:
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    if not may_edit(user, draft):
        raise WorkflowError(_("这是别人的草稿：只有作者或审核人可以提交"))
    _check_revision(draft, revision)
    if draft.state not in (DraftState.DRAFT, DraftState.REJECTED):
        raise WorkflowError(_("只有草稿或被退回的修改可以提交审核"))
    checked = check_source(draft.source, question_set=draft.question_set, question=draft.question, draft_id=draft.pk)
    errors = submit_errors(checked, rubric_test(checked), new_question=draft.question is None)
    if errors:
        raise Invalid(errors)
    if draft.question is not None and published_source(draft.question) == draft.source:
        raise WorkflowError(_("和已发布的版本一样，没有可以审核的修改"))
    draft.state, draft.submitted_at, draft.reject_reason = DraftState.REVIEW, timezone.now(), ""
    _step(draft, EventKind.SUBMITTED, user)
    return draft


@transaction.atomic
def publish(*, user, draft: Draft, substantive: bool = False, revision: int | None = None) -> Question:
    """A reviewer publishes a draft in review: the bank gets its new version, learners see it.
    `revision`: the draft's revision on the review page (Stale if the author changed it since)."""
    if not can_review(user):
        raise WorkflowError(_("只有审核人可以发布"))
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    _check_revision(draft, revision)
    if draft.state != DraftState.REVIEW:
        raise WorkflowError(_("只有待审核的修改可以发布"))
    if draft.question is not None and draft.question.retired_at is not None:
        raise WorkflowError(_("这道题已下线，不能再发布修改"))
    checked = check_source(draft.source, question_set=draft.question_set, question=draft.question, draft_id=draft.pk)
    errors = submit_errors(checked, rubric_test(checked), new_question=draft.question is None)
    if errors:
        raise Invalid(errors)
    substantive = substantive and draft.question_id is not None  # a new question has no learners yet
    try:
        question = publish_question(
            checked.data,
            question_set=draft.question_set,
            base_version=draft.base_version,
            author=draft.author,
            publisher=user,
            substantive=substantive,
        )
    except VersionConflict as exc:
        raise WorkflowError(
            _("这道题在这份修改开始之后又发布了新版本（v%(base)s → v%(current)s）：请作者对照最新版本重新编辑")
            % {"base": exc.base, "current": exc.current}
            if exc.base is not None
            else _("id %(id)r 已被其他题目使用") % {"id": checked.data.id}
        ) from exc
    draft.state, draft.reviewer, draft.reviewed_at = DraftState.PUBLISHED, user, timezone.now()
    draft.question, draft.published_version, draft.substantive = question, question.version, substantive
    _step(draft, EventKind.PUBLISHED, user, f"v{question.version}" + (" · 实质性修改" if substantive else ""))
    return question


@transaction.atomic
def reject(*, user, draft: Draft, reason: str, revision: int | None = None) -> Draft:
    if not can_review(user):
        raise WorkflowError(_("只有审核人可以退回"))
    reason = reason.strip()
    if not reason:
        raise WorkflowError(_("退回时要写明原因，作者会看到"))
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    _check_revision(draft, revision)
    if draft.state != DraftState.REVIEW:
        raise WorkflowError(_("只有待审核的修改可以退回"))
    draft.state, draft.reject_reason = DraftState.REJECTED, reason[:2000]
    draft.reviewer, draft.reviewed_at = user, timezone.now()
    _step(draft, EventKind.REJECTED, user, draft.reject_reason)
    return draft


@transaction.atomic
def withdraw(*, user, draft: Draft) -> Draft:
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_open:
        raise WorkflowError(_("这份草稿已经结束"))
    if not may_edit(user, draft):
        raise WorkflowError(_("只有作者或审核人可以撤回这份草稿"))
    draft.state = DraftState.WITHDRAWN
    _step(draft, EventKind.WITHDRAWN, user)
    return draft


@transaction.atomic
def restore(*, user, target_id: str, source: str, label: str) -> Draft:
    """Put an old version's text into the open draft of `target_id` (starting one if needed)."""
    draft = open_draft(target_id)
    if draft is None:
        question = Question.objects.filter(id=target_id).first()
        if question is None:
            raise WorkflowError(_("这道题没有已发布的版本，也没有打开的草稿"))
        draft = start_edit(user=user, question=question)
    save_draft(user=user, draft=draft, source=source, note=_("恢复自 %(label)s") % {"label": label})
    return Draft.objects.get(pk=draft.pk)


@transaction.atomic
def retire(*, user, question: Question) -> None:
    """Retire a question; its open draft is withdrawn (publishing it would bring it back)."""
    if not can_review(user):
        raise WorkflowError(_("只有审核人可以下线题目"))
    retire_question(question)
    for draft in Draft.objects.open().filter(target_id=question.id).select_for_update():
        draft.state = DraftState.WITHDRAWN
        _step(draft, EventKind.WITHDRAWN, user, _("题目已下线"))


def impact(question: Question | None) -> Impact:
    if question is None:
        return Impact(0, 0, 0)
    cards = question.cards.count()
    review_cards = question.cards.filter(phase=2).count()
    graded = Attempt.objects.filter(question=question, status=AttemptStatus.GRADED).count()
    return Impact(cards, review_cards, graded)


def history(target_id: str) -> list[dict]:
    """Every version of a question id, newest first: published revisions ("r<pk>"), every save of
    its drafts ("s<pk>"), and the workflow's steps between them (no key: nothing to compare)."""
    entries = [
        {
            "key": f"r{r.pk}",
            "label": f"v{r.version}",
            "kind": "published",
            "origin": r.get_origin_display(),
            "who": r.published_by or r.author,
            "at": r.created_at,
            "note": "",
        }
        for r in QuestionRevision.objects.filter(question_id=target_id).select_related("author", "published_by")
    ]
    saves = DraftSave.objects.filter(draft__target_id=target_id).select_related("author")
    entries += [
        {
            "key": f"s{s.pk}",
            "label": f"#{s.draft_id}.{s.number}",
            "kind": "save",
            "origin": "",
            "who": s.author,
            "at": s.created_at,
            "note": s.note,
        }
        for s in saves
    ]
    events = DraftEvent.objects.filter(draft__target_id=target_id).select_related("user")
    entries += [
        {
            "key": "",
            "label": f"#{e.draft_id}",
            "kind": "event",
            "origin": e.get_kind_display(),
            "who": e.user,
            "at": e.created_at,
            "note": e.note,
        }
        for e in events
    ]
    retired = Question.objects.filter(id=target_id, retired_at__isnull=False).values_list("retired_at", flat=True)
    entries += [
        {"key": "", "label": "", "kind": "event", "origin": _("下线"), "who": None, "at": at, "note": ""}
        for at in retired
    ]
    return sorted(entries, key=lambda e: (e["at"], e["kind"] != "event"), reverse=True)


def source_of(target_id: str, key: str) -> tuple[str, str]:
    """(text, label) of one history entry; LookupError when it is not this question's."""
    if key[:1] == "r" and key[1:].isdigit():
        r = QuestionRevision.objects.filter(pk=int(key[1:]), question_id=target_id).first()
        if r:
            return r.source, f"v{r.version}"
    if key[:1] == "s" and key[1:].isdigit():
        s = DraftSave.objects.filter(pk=int(key[1:]), draft__target_id=target_id).first()
        if s:
            return s.source, f"#{s.draft_id}.{s.number}"
    raise LookupError(key)


def _title(checked, source: str) -> str:
    if checked.data:
        return checked.data.title[:300]
    return (heading_title(source) or source.strip().split("\n", 1)[0].lstrip("#").strip())[:300]


def _placeholder_id(question_set: QuestionSet) -> str:
    """A draft whose block has no usable id yet still needs a key for its history."""
    n = Draft.objects.filter(target_id__startswith=f"draft-{question_set.slug}-").count() + 1
    while Draft.objects.filter(target_id=f"draft-{question_set.slug}-{n}").exists():
        n += 1
    return f"draft-{question_set.slug}-{n}"


def _check_size(source: str) -> None:
    if len(source) > MAX_SOURCE:
        raise WorkflowError(_("太长了：最多 %(n)d 个字符") % {"n": MAX_SOURCE})
