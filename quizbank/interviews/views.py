"""Thin views over interviews/services.py: setup, the current turn (htmx partial), drafts,
answers and the two pass buttons, the report card (polled while grades arrive)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from quizbank.grading import services as grading
from quizbank.htmx import wants_partial
from quizbank.interviews import asking, results, services, turns
from quizbank.interviews import report as reports
from quizbank.interviews.forms import CUSTOM, AnswerForm, DraftForm, SetupForm, TurnForm
from quizbank.interviews.models import Interview, Outcome, Status, Turn


def _interview(request, interview_id: int) -> Interview:
    """The user's own interview; anyone else's is a 404."""
    return get_object_or_404(Interview, pk=interview_id, user=request.user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def index(request: HttpRequest):
    """Setup (a track or one's own topics, length, level, style, mode), the interview in
    progress if any, and past interviews."""
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.start(request.user, _setup(form.cleaned_data, form.tracks))
        except services.AlreadyOpen as exc:
            messages.info(request, _("你有一场进行中的面试：继续答题，或先放弃它再开始新的。"))
            return redirect("interviews:interview", exc.interview.pk)
        except services.NothingToAsk:
            form.add_error(None, _("所选题集里没有可以在面试中问的题（只问问答题）。"))
        else:
            return redirect("interviews:interview", interview.pk)
    past = request.user.interviews.exclude(status=Status.ACTIVE).select_related("track")[:30]
    context = {
        "form": form,
        "open": services.open_interview(request.user),
        "past": past,
        "tracks": form.tracks.values(),
    }
    return render(request, "interviews/index.html", context, status=400 if form.errors else 200)


def _setup(data: dict, tracks: dict) -> services.Setup:
    choices = {
        "level": data["level"],
        "style": data["style"],
        "mode": data["mode"],
        "show_scores": data["show_scores"],
        "weak_spots": data["weak_spots"],
    }
    if data["track"] == CUSTOM:
        topics = {s.slug: 1 for s in data["topics"]}
        title = _("自定义面试：%(sets)s") % {"sets": "、".join(s.title for s in data["topics"])}
        setup = services.Setup(title=title[:200], topics=topics, questions=6, minutes_per_question=5, **choices)
    else:
        setup = services.Setup.from_track(tracks[data["track"]], **choices)
    if data["length"].startswith("m"):
        setup.minutes = int(data["length"][1:])
    elif data["length"] == "n":
        setup.questions = data["questions"]
    return setup


@login_required
@require_safe
@never_cache  # Back must not show a question that was answered meanwhile
@vary_on_headers("HX-Request")
def interview(request: HttpRequest, interview_id: int):
    """The current question (or the report once it is over)."""
    item = services.catch_up(_interview(request, interview_id))
    if not item.is_active:
        return redirect("interviews:report", item.pk)
    return _turn_page(request, item)


def _to_report(request, item: Interview) -> HttpResponse:
    """The interview is over: its report (htmx follows HX-Redirect with a full page load)."""
    if not request.htmx:
        return redirect("interviews:report", item.pk)
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("interviews:report", args=[item.pk])
    return response


def _turn_page(request, item: Interview, status: int = 200, error: str = "", rejected: str = "") -> HttpResponse:
    turn = turns.current_turn(item)
    if turn is not None and not turn.prompt:  # a follow-up being written: the fallback if too slow
        asking.settle_waiting(turn)
        item.refresh_from_db()
        turn = turns.current_turn(item)
    if turn is None:  # nothing open: the interview is over
        return _to_report(request, item)
    now = timezone.now()
    done = item.turns.exclude(outcome=Outcome.OPEN).select_related("attempt__grade", "question")
    previous = done.order_by("-number").first()
    asked_main = item.turns.filter(parent__isnull=True).count()
    context = {
        "interview": item,
        "turn": turn,
        "parent": turn.parent,
        "number_of_question": asked_main,
        "planned": len(item.plan),
        "deadline": turns.turn_deadline(turn),
        "seconds_left": max(0, int((turns.turn_deadline(turn) - now).total_seconds())),
        "clock_left": max(0, int((item.ends_at - now).total_seconds())),
        "grace": int(turns.grace().total_seconds()),
        "previous": previous,
        "previous_model_html": reports.model_answer_html(previous) if previous else "",
        "show_previous": previous is not None and (item.show_scores or item.mode == "practice"),
        "hint": _hint(turn) if turn.hint_used else None,
        "error": error,
        "rejected": rejected,
        "answer_max": AnswerForm.base_fields["text"].max_length,
    }
    template = "interviews/interview.html#turn" if wants_partial(request) else "interviews/interview.html"
    return render(request, template, context, status=status)


def _hint(turn) -> dict:
    points = turn.follow_up["key_points"] if turn.follow_up else turn.question.key_points
    return {"count": len(points), "first": points[0]["text"] if points else ""}


@login_required
@require_POST
def answer(request: HttpRequest, interview_id: int):
    """Submit, "不知道" or "跳过". A second submit of the same turn changes nothing (409 with
    the current turn); an answer after the countdown and the grace period is kept, flagged late."""
    item = _interview(request, interview_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return _turn_or_report(request, item, status=400, error=message)
    data = form.cleaned_data
    try:
        if data["action"] == "finish":
            services.finish(item, number=data["turn"], text=data["text"])
        elif data["action"] in ("skip", "dont_know"):
            outcome = Outcome.SKIPPED if data["action"] == "skip" else Outcome.DONT_KNOW
            services.pass_turn(item, data["turn"], outcome, text=data["text"])
        else:
            services.answer(
                item,
                data["turn"],
                data["text"],
                duration_ms=data["duration_ms"],
                pasted_chars=data["pasted"] or 0,
            )
    except services.NotOpen:
        already = _("这道题已经交过了（重复提交不会重复计分）：这是当前的题。")
        item.refresh_from_db()
        if data["text"] and not (request.htmx and item.is_active):  # typed in a stale tab: shown back, never dropped
            messages.warning(request, _("这次没有提交的内容（复制保存）：%(text)s") % {"text": data["text"]})
        return _turn_or_report(request, item, status=409, error=already, rejected=data["text"])
    return _turn_or_report(request, item)


def _turn_or_report(request, item: Interview, status: int = 200, error: str = "", rejected: str = "") -> HttpResponse:
    item.refresh_from_db()
    if not item.is_active:
        return _to_report(request, item)
    if not request.htmx and status == 200:
        return redirect("interviews:interview", item.pk)  # POST → redirect → GET: a reload never re-submits
    return _turn_page(request, item, status=status, error=error, rejected=rejected)


@login_required
@require_POST
def draft(request: HttpRequest, interview_id: int):
    item = _interview(request, interview_id)
    form = DraftForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("草稿太长，没有保存。"), status=400)
    if not services.save_draft(item, form.cleaned_data["turn"], form.cleaned_data["text"]):
        return HttpResponse(_("这道题已经交过了（或面试已结束），草稿没有保存：刷新页面看当前的题。"), status=409)
    return HttpResponse(status=204)


@login_required
@require_POST
def hint(request: HttpRequest, interview_id: int):
    item = _interview(request, interview_id)
    form = TurnForm(request.POST)
    if not form.is_valid() or not services.use_hint(item, form.cleaned_data["turn"]):
        return HttpResponse(_("只有练习模式可以看提示。"), status=400)
    return _turn_or_report(request, item)


@login_required
@require_POST
def finish(request: HttpRequest, interview_id: int):
    services.finish(_interview(request, interview_id))
    return redirect("interviews:report", interview_id)


@login_required
@require_POST
def abandon(request: HttpRequest, interview_id: int):
    services.abandon(_interview(request, interview_id))
    messages.info(request, _("已放弃这场面试：答过的题保留在历史里，不计入趋势。"))
    return redirect("interviews:index")


@login_required
@require_safe
@vary_on_headers("HX-Request")
def report(request: HttpRequest, interview_id: int):
    item = services.catch_up(_interview(request, interview_id))
    if item.is_active:
        return redirect("interviews:interview", item.pk)
    context = reports.report(item)
    if wants_partial(request):
        response = render(request, "interviews/report.html#card", context)
        if not context["polling"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "interviews/report.html", context)


@login_required
@require_POST
def queue(request: HttpRequest, interview_id: int, number: int):
    """Put a question the rules left out into practice, on the learner's word."""
    item = _interview(request, interview_id)
    if results.queue_by_choice(item, number):
        messages.success(request, _("已加入练习队列（现在到期）。"))
    else:
        messages.info(request, _("这道题已经在练习队列里了（或这场面试还没结束）。"))
    return redirect(reverse("interviews:report", args=[item.pk]) + f"#q{number}")


@login_required
@require_safe
def verdict(request: HttpRequest, interview_id: int, number: int):
    """The grade of one answered turn (polled by the "previous question" panel until it is in)."""
    turn = get_object_or_404(
        Turn.objects.select_related("attempt__grade"),
        interview__user=request.user,
        interview_id=interview_id,
        number=number,
        attempt__isnull=False,
    )
    done = turn.attempt.status in ("graded", "failed")
    response = render(request, "interviews/_verdict.html", {"attempt": turn.attempt, "turn": turn, "poll": not done})
    if done and request.htmx:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_POST
def retry(request: HttpRequest, interview_id: int, number: int):
    item = _interview(request, interview_id)
    try:
        results.retry_grading(item, number)
    except grading.RateLimited:
        messages.error(request, _("评分太频繁：每小时次数已用完，稍后再试。回答没有丢。"))
    return redirect("interviews:report", item.pk)
