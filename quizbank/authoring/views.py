"""The editor: write a question block with a live preview, validation and rubric test; keep
every save; send it to review; a reviewer publishes or rejects it (docs/authoring.md)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quizbank.authoring import assist, diff, figures, selectors, services
from quizbank.authoring.forms import (
    AssistForm,
    DiffForm,
    NewQuestionForm,
    PreviewForm,
    PublishForm,
    RejectForm,
    RestoreForm,
    SourceForm,
)
from quizbank.authoring.models import OPEN_STATES, AssistRun, AssistStatus, Draft, DraftState
from quizbank.authoring.permissions import author_required, can_review, reviewer_required
from quizbank.authoring.preview import preview
from quizbank.bank.models import Question, QuestionSet
from quizbank.feedback.models import ProblemReport


@require_GET
@author_required
def index(request: HttpRequest):
    return render(request, "authoring/index.html", selectors.index_context(request.user, request.GET))


@require_http_methods(["GET", "POST"])
@author_required
def new(request: HttpRequest):
    chooser = NewQuestionForm(request.POST or request.GET or None)
    question_set = chooser.cleaned_data["question_set"] if chooser.is_valid() else QuestionSet.objects.active().first()
    form = SourceForm(request.POST or None, initial={"source": services.new_question_source(question_set)})
    if request.method == "POST" and chooser.is_valid() and form.is_valid():
        draft = services.create_draft(
            user=request.user,
            question_set=question_set,
            source=form.cleaned_data["source"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("草稿已保存。"))
        return redirect("authoring:draft", draft.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "chooser": chooser, "question_set": question_set, "draft": None}
    return render(request, "authoring/editor.html", context, status=status)


@require_http_methods(["GET", "POST"])
@author_required
def draft(request: HttpRequest, pk: int):
    draft = get_object_or_404(Draft.objects.select_related("question", "question_set", "author"), pk=pk)
    form = SourceForm(request.POST or None, initial={"source": draft.source, "revision": draft.revision})
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "authoring/editor.html", _editor_context(draft, form, request.user), status=400)
        try:
            saved = services.save_draft(
                user=request.user,
                draft=draft,
                source=form.cleaned_data["source"],
                note=form.cleaned_data["note"],
                revision=form.cleaned_data["revision"],
            )
        except services.WorkflowError as exc:
            # the text typed is shown back in the editor, never dropped
            draft.refresh_from_db()
            form = SourceForm(initial={**form.cleaned_data, "revision": draft.revision})
            context = {
                **_editor_context(draft, form, request.user),
                "refused": str(exc),
                "stale": isinstance(exc, services.Stale),
            }
            return render(request, "authoring/editor.html", context, status=409)
        messages.success(request, _("已保存（第 %(n)d 次保存）。") % {"n": saved.number} if saved else _("没有改动。"))
        if request.POST.get("then") == "submit":
            return _submit(request, draft)
        return redirect("authoring:draft", draft.pk)
    return render(request, "authoring/editor.html", _editor_context(draft, form, request.user))


@require_POST
@author_required
def preview_view(request: HttpRequest):
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("预览请求不完整：%(e)s") % {"e": form.errors.as_text()}, status=400)
    draft = Draft.objects.filter(pk=form.cleaned_data["draft"]).select_related("question").first()
    result = preview(
        form.cleaned_data["source"],
        question_set=form.cleaned_data["question_set"],
        question=draft.question if draft else None,
        draft_id=draft.pk if draft else None,
    )
    return render(request, "authoring/_preview.html", {"p": result, "assist_enabled": assist.enabled()})


@require_POST
@author_required
def submit(request: HttpRequest, pk: int):
    return _submit(request, get_object_or_404(Draft, pk=pk), revision=_revision(request))


def _submit(request: HttpRequest, draft: Draft, revision: int | None = None):
    pk = draft.pk
    try:
        services.submit(user=request.user, draft=draft, revision=revision)
    except services.Invalid as exc:
        messages.error(request, _("还有错误，不能提交：") + "；".join(f"{e.line}: {e.message}" for e in exc.errors))
        return redirect("authoring:draft", pk)
    except services.WorkflowError as exc:
        return _refused(request, exc, "authoring:draft", pk)
    messages.success(request, _("已提交审核。"))
    return redirect("authoring:review", pk)


@require_POST
@author_required
def withdraw(request: HttpRequest, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    try:
        services.withdraw(user=request.user, draft=draft)
    except services.WorkflowError as exc:
        return _refused(request, exc, "authoring:draft", pk)
    messages.success(request, _("草稿已撤回。"))
    return redirect("authoring:index")


@require_GET
@author_required
def review(request: HttpRequest, pk: int):
    draft = get_object_or_404(Draft.objects.select_related("question", "question_set", "author", "reviewer"), pk=pk)
    return render(request, "authoring/review.html", _review_context(request, draft))


def _review_context(request: HttpRequest, draft: Draft, reject_form=None, publish_form=None) -> dict:
    base = services.published_source(draft.question) if draft.question and draft.is_open else ""
    last = draft.saves.order_by("-number").first()
    return {
        "draft": draft,
        "diff": diff.diff_sources(base, draft.source) if base else None,
        "p": preview(draft.source, question_set=draft.question_set, question=draft.question, draft_id=draft.pk)
        if draft.is_open
        else None,
        "impact": services.impact(draft.question),
        "can_review": can_review(request.user),
        "publish_form": publish_form or PublishForm(),
        "reject_form": reject_form or RejectForm(),
        "last_save": last,
        "events": draft.events.select_related("user"),
    }


def _review_refused(
    request: HttpRequest, draft: Draft, exc: Exception, reject_form=None, publish_form=None
) -> HttpResponse:
    """The review page again, as it is now, with why the step was refused (a reason typed stays)."""
    draft = Draft.objects.select_related("question", "question_set", "author", "reviewer").get(pk=draft.pk)
    context = {**_review_context(request, draft, reject_form, publish_form), "refused": str(exc)}
    return render(request, "authoring/review.html", context, status=409)


@require_POST
@reviewer_required
def publish(request: HttpRequest, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        question = services.publish(
            user=request.user,
            draft=draft,
            substantive=form.cleaned_data.get("substantive", False),
            revision=_shown_revision(request),
        )
    except services.WorkflowError as exc:
        return _review_refused(request, draft, exc, publish_form=form)
    messages.success(request, _("已发布 v%(v)d。") % {"v": question.version})
    return redirect("authoring:question", question.id)


@require_POST
@reviewer_required
def reject(request: HttpRequest, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("退回时要写明原因，作者会看到。"))
        return redirect("authoring:review", pk)
    try:
        services.reject(
            user=request.user, draft=draft, reason=form.cleaned_data["reason"], revision=_shown_revision(request)
        )
    except services.WorkflowError as exc:
        return _review_refused(request, draft, exc, reject_form=form)
    messages.success(request, _("已退回给作者。"))
    return redirect("authoring:index")


@require_GET
@author_required
def question(request: HttpRequest, question_id: str):
    q = Question.objects.select_related("question_set").filter(id=question_id).first()
    open_draft = services.open_draft(question_id)
    entries = services.history(question_id)
    if q is None and not entries:
        raise Http404(_("没有这道题，也没有它的草稿。"))
    keys = [e["key"] for e in entries if e["key"]]
    context = {
        "q": q,
        "target_id": question_id,
        "open_draft": open_draft,
        "history": entries,
        "default_b": keys[0] if keys else "",
        "default_a": keys[1] if len(keys) > 1 else "",
        "figures": figures.question_figures([question_id]).get(question_id) if q else None,
        "reports": ProblemReport.objects.filter(question_id=question_id).order_by("resolved_at", "-created_at")[:20],
        "impact": services.impact(q),
        "can_review": can_review(request.user),
    }
    return render(request, "authoring/question.html", context)


@require_POST
@author_required
def edit(request: HttpRequest, question_id: str):
    q = get_object_or_404(Question, id=question_id)
    try:
        draft = services.start_edit(user=request.user, question=q)
    except services.WorkflowError as exc:
        return _refused(request, exc, "authoring:question", question_id)
    return redirect("authoring:draft", draft.pk)


@require_GET
@author_required
def compare(request: HttpRequest, question_id: str):
    form = DiffForm(request.GET)
    if not form.is_valid():
        return HttpResponse(_("选两个版本来比较（a 和 b）。"), status=400)
    try:
        old, old_label = services.source_of(question_id, form.cleaned_data["a"])
        new, new_label = services.source_of(question_id, form.cleaned_data["b"])
    except LookupError:
        return HttpResponse(_("这道题没有这个版本。"), status=404)
    context = {"target_id": question_id, "diff": diff.diff_sources(old, new), "a": old_label, "b": new_label}
    return render(request, "authoring/compare.html", context)


@require_POST
@author_required
def restore(request: HttpRequest, question_id: str):
    form = RestoreForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("要恢复哪个版本？"), status=400)
    try:
        source, label = services.source_of(question_id, form.cleaned_data["key"])
        draft = services.restore(user=request.user, target_id=question_id, source=source, label=label)
    except LookupError:
        return HttpResponse(_("这道题没有这个版本。"), status=404)
    except services.WorkflowError as exc:
        return _refused(request, exc, "authoring:question", question_id)
    messages.success(request, _("已把 %(label)s 的内容放进草稿，检查后再提交审核。") % {"label": label})
    return redirect("authoring:draft", draft.pk)


@require_POST
@reviewer_required
def retire(request: HttpRequest, question_id: str):
    q = get_object_or_404(Question.objects.active(), id=question_id)
    services.retire(user=request.user, question=q)
    messages.success(request, _("已下线：不再出现在练习、搜索和面试中。"))
    return redirect("authoring:question", question_id)


def _revision(request: HttpRequest) -> int | None:
    value = request.POST.get("revision", "")
    return int(value) if value.isdigit() else None


def _shown_revision(request: HttpRequest) -> int:
    """A reviewer's step names the revision the review page showed: without one, none matches."""
    revision = _revision(request)
    return -1 if revision is None else revision


def _editor_context(draft: Draft, form, user) -> dict:
    return {
        "form": form,
        "draft": draft,
        "question_set": draft.question_set,
        "impact": services.impact(draft.question),
        "assist_enabled": assist.enabled(),
        "runs": draft.assist_runs.all()[:3],
        "editable": draft.is_open and services.may_edit(user, draft),
        "in_review": draft.state == DraftState.REVIEW,
    }


def _refused(request: HttpRequest, exc: Exception, name: str, arg) -> HttpResponse:
    """A step the state does not allow: 409 with the reason (htmx shows it), else back with it."""
    if getattr(request, "htmx", False):
        return HttpResponse(str(exc), status=409)
    messages.error(request, str(exc))
    return redirect(reverse(name, args=[arg]))


@require_POST
@author_required
def assist_request(request: HttpRequest, pk: int):
    draft = get_object_or_404(Draft, pk=pk, state__in=OPEN_STATES)
    form = AssistForm(request.POST)
    if not assist.enabled():
        return HttpResponse(_("没有配置 LLM（OPENAI_API_KEY），这个功能不可用。"), status=409)
    if not form.is_valid():
        return HttpResponse(_("请求不完整。"), status=400)
    run = assist.request(
        user=request.user, draft=draft, kind=form.cleaned_data["kind"], source=form.cleaned_data["source"]
    )
    return render(request, "authoring/_assist.html", {"run": run, "draft": draft})


@require_GET
@author_required
def assist_result(request: HttpRequest, pk: int, run_id: int):
    run = get_object_or_404(AssistRun, pk=run_id, draft_id=pk)
    response = render(request, "authoring/_assist.html", {"run": run, "draft": run.draft})
    if run.status != AssistStatus.PENDING and request.htmx:
        response.status_code = 286  # htmx: stop polling
    return response
