from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from quizbank.bank.models import Question
from quizbank.grading import services as grading
from quizbank.grading.models import Attempt
from quizbank.htmx import wants_partial
from quizbank.practice import kept, queue, selectors, services
from quizbank.practice.forms import AnswerForm, DeckForm, NoteForm, PracticeSettingsForm, RateForm, UndoForm
from quizbank.practice.models import Deck, PracticeSettings
from quizbank.practice.numeric import NumberError
from quizbank.redirects import same_site_path

SESSION_KEY = "practice_session"
WRONG_ATTEMPT = gettext_lazy("这次评分附带的回答不是你对这张卡的回答（或已经评过分），没有记下。")
STALE_REVEAL_MESSAGE = gettext_lazy("这张卡刚在另一个标签页里评过分了：载入当前卡片继续。")
STALE_MESSAGE = gettext_lazy("这张卡已经评过分了（重复点击或在另一个标签页里评过），这次评分没有记下。")
TIME_ZONE_KEY = "time_zone"


def _deck(request, deck_id: int) -> Deck:
    """The deck to study (kept between requests: `kept`); 404 when it is not the user's."""
    return _users(kept.deck_for(request.user, deck_id))


def _deck_and_settings(request, deck_id: int) -> tuple[Deck, PracticeSettings]:
    """_deck and the user's settings, read from the cache together."""
    deck, prefs = kept.deck_and_settings(request.user, deck_id)
    return _users(deck), prefs


def _users(deck: Deck | None) -> Deck:
    if deck is None:
        raise Http404(_("没有这个卡组。"))
    return deck


def _stored_deck(request, deck_id: int) -> Deck:
    """The deck as stored now, for the pages that change it."""
    return get_object_or_404(Deck.objects.prefetch_related("topics", "tags"), pk=deck_id, user=request.user)


def _question(question_id: str) -> Question:
    question = queue.active_question(question_id)
    if question is None:
        raise Http404(_("没有这道题，或它已下线。"))
    return question


def _card_view(request, deck: Deck, context: dict, status: int = 200) -> HttpResponse:
    """The study page, or just its #card element for htmx."""
    context.setdefault("mode", request.GET.get("mode") if request.GET.get("mode") in ("recall", "typed") else deck.mode)
    shown = context.get("shown")
    if shown is not None and shown.counts is None:  # a card shown again: revealed, answered, undone
        shown.counts, last_log = services.queue_counts(user=request.user, deck=deck, now=timezone.now())
        context.setdefault("last_log", last_log)
    if "last_log" not in context:  # (setdefault would run the query even when it is given)
        context["last_log"] = selectors.last_log(request.user)
    context["deck"] = deck
    context["answer_max"] = settings.QUIZBANK_ANSWER_MAX_CHARS
    if context.get("shown") is None and "summary" not in context and not context.get("stale"):
        since = datetime.fromisoformat(request.session.get(SESSION_KEY, {}).get("since", timezone.now().isoformat()))
        context["summary"] = services.session_summary(user=request.user, since=since, now=timezone.now())
    template = "practice/study.html#card" if wants_partial(request) else "practice/study.html"
    return render(request, template, context, status=status)


def _shown_for(request, question: Question, token: str | None = None) -> services.ShownCard:
    """The card as it is now, carrying `token` (the revision it was shown with) when given: a
    rating made from a page shown before the card changed must be refused, not re-issued."""
    card = queue.card_of(request.user.pk, question)
    current = services.token_for(card)
    return services.ShownCard(question=question, card=card, token=current if token is None else token)


@login_required
@require_safe
def dashboard(request: HttpRequest):
    return render(request, "practice/dashboard.html", selectors.dashboard(request.user, timezone.now()))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def deck_edit(request: HttpRequest, deck_id: int | None = None):
    deck = _stored_deck(request, deck_id) if deck_id else Deck(user=request.user)
    form = DeckForm(request.POST or None, instance=deck)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("practice:dashboard")
    return render(
        request,
        "practice/deck_form.html",
        {"form": form, "deck": deck},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def deck_delete(request: HttpRequest, deck_id: int):
    _stored_deck(request, deck_id).delete()
    return redirect("practice:dashboard")


@login_required
@require_safe
@vary_on_headers("HX-Request")
def study(request: HttpRequest, deck_id: int):
    deck, prefs = _deck_and_settings(request, deck_id)
    now = timezone.now()
    session = request.session.get(SESSION_KEY, {})
    if not request.htmx and (
        session.get("deck") != deck.pk or now - datetime.fromisoformat(session["since"]) > selectors.SESSION_GAP
    ):
        request.session[SESSION_KEY] = {"deck": deck.pk, "since": now.isoformat()}
    found = services.read_queue(user=request.user, deck=deck, now=now, prefs=prefs)
    shown = services.shown_card(found)
    context = {
        "shown": shown,
        "last_log": found.last_log,
        **selectors.answered_context(request.user, shown, now, prefs, attempt_id=found.answered_attempt),
    }
    if shown and request.GET.get("reveal") == "1" and "attempt" not in context:
        context.update(selectors.reveal_context(request.user, shown, now))
    return _card_view(request, deck, context)


@login_required
@require_safe
@vary_on_headers("HX-Request")
def reveal(request: HttpRequest, deck_id: int):
    deck = _deck(request, deck_id)
    question = _question(request.GET.get("question", ""))
    token = request.GET.get("token", "")
    if not services.is_token(token):
        return HttpResponse(_("缺少卡片版本（token），请重新载入本页。"), status=400)
    shown = _shown_for(request, question, token)
    if token != services.token_for(shown.card):  # rated meanwhile (another tab): no stale buttons
        return _stale(request, deck, STALE_REVEAL_MESSAGE)
    context = {"shown": shown, **selectors.reveal_context(request.user, shown, timezone.now())}
    return _card_view(request, deck, context)


@login_required
@require_POST
def answer(request: HttpRequest, deck_id: int):
    deck = _deck(request, deck_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return HttpResponse(" ".join(e for errs in form.errors.values() for e in errs), status=400)
    question = _question(form.cleaned_data["question"])
    shown = _shown_for(request, question, form.cleaned_data["token"])
    data, now = form.cleaned_data, timezone.now()
    context = {"shown": shown, "mode": "typed"}
    if question.qtype == "free":
        try:
            context["attempt"] = grading.submit(
                user=request.user,
                question=question,
                text=data["text"],
                duration_ms=data["duration_ms"],
                pasted_chars=data["pasted"] or 0,
            )
        except grading.RateLimited:
            return _rate_limited()
    else:
        try:
            check = services.check_answer(
                user=request.user,
                question=question,
                choices=data["choice"],
                number=data["number"],
                duration_ms=data["duration_ms"],
            )
        except NumberError as exc:
            return HttpResponse(str(exc), status=400)
        context.update(check=check, attempt=check.attempt)
    context.update(selectors.reveal_context(request.user, shown, now))
    return _card_view(request, deck, context)


@login_required
@require_POST
def rate(request: HttpRequest, deck_id: int):
    deck, prefs = _deck_and_settings(request, deck_id)
    form = RateForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("评分请求无效：") + form.errors.as_text(), status=400)
    data = form.cleaned_data
    question = _question(data["question"])
    attempt = Attempt.objects.filter(pk=data["attempt"]).first() if data["attempt"] else None
    if data["attempt"] and attempt is None:
        return HttpResponse(WRONG_ATTEMPT, status=400)
    try:
        result = services.rate_card(
            user=request.user,
            question=question,
            token=data["token"],
            rating=data["rating"],
            now=timezone.now(),
            duration_ms=data["duration_ms"],
            attempt=attempt,
            prefs=prefs,
        )
    except services.StaleCard:
        return _stale(request, deck, STALE_MESSAGE)
    except services.WrongAttempt:
        return HttpResponse(WRONG_ATTEMPT, status=400)
    leech = (
        _("这张卡已经忘了 8 次，标记为难点（leech）：考虑改写笔记、拆成小题或暂停它。") if result.became_leech else ""
    )
    if not request.htmx:
        if leech:
            messages.warning(request, leech)
        return redirect("practice:study", deck_id=deck.pk)
    shown = services.next_card(user=request.user, deck=deck, now=timezone.now(), prefs=prefs)
    # the rating just logged is the one Undo takes back: no need to look it up again
    return _card_view(request, deck, {"shown": shown, "message": leech, "last_log": result.log})


def _stale(request, deck: Deck, message: str) -> HttpResponse:
    """A 409: nothing changed; the card offers to load whatever is current now."""
    if not request.htmx:
        messages.error(request, message)
        return redirect("practice:study", deck_id=deck.pk)
    return _card_view(request, deck, {"shown": None, "stale": True, "message": message}, status=409)


@login_required
@require_POST
def undo(request: HttpRequest, deck_id: int):
    deck = _deck(request, deck_id)
    form = UndoForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("撤销请求无效"), status=400)
    try:
        question = services.undo_last(user=request.user, log_id=form.cleaned_data["log"])
    except services.NothingToUndo:
        return _stale(request, deck, _("只能撤销最近一次评分，它已经撤销过或不存在。"))
    if not request.htmx:
        return redirect(reverse("practice:study", args=[deck.pk]))
    shown = _shown_for(request, question)
    context = {"shown": shown, "message": _("已撤销上一次评分。")}
    return _card_view(request, deck, {**context, **selectors.answered_context(request.user, shown, timezone.now())})


@login_required
@require_POST
def card_action(request: HttpRequest, deck_id: str, question_id: str, action: str):
    deck = _deck(request, int(deck_id))
    question = _question(question_id)
    now = timezone.now()
    services.ensure_card(user=request.user, question=question, now=now)
    if action == "bury":
        services.bury(user=request.user, question=question, now=now)
        message = _("已搁置到明天。")
    else:
        services.set_suspended(user=request.user, question=question, suspended=True)
        message = _("已暂停：在题目页可以恢复。")
    if not request.htmx:
        messages.info(request, message)
        return redirect("practice:study", deck_id=deck.pk)
    return _card_view(
        request, deck, {"shown": services.next_card(user=request.user, deck=deck, now=now), "message": message}
    )


@login_required
@require_safe
@vary_on_headers("HX-Request")
def attempt_grade(request: HttpRequest, attempt_id: int):
    """The grade of a typed answer; polled by the card until it is graded or failed."""
    attempt = get_object_or_404(Attempt.objects.select_related("grade", "question"), pk=attempt_id, user=request.user)
    done = attempt.status in ("graded", "failed")
    response = render(request, "practice/_grade.html", {"attempt": attempt, "poll": not done})
    if done and request.htmx:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _rate_limited() -> HttpResponse:
    limit = settings.QUIZBANK_GRADINGS_PER_HOUR
    message = _("评分太频繁：每小时最多 %(n)d 次（重新评分也算一次），稍后再试。回答没有丢。") % {"n": limit}
    return HttpResponse(message, status=429)


@login_required
@require_POST
def attempt_retry(request: HttpRequest, attempt_id: int):
    attempt = get_object_or_404(Attempt, pk=attempt_id, user=request.user)
    try:
        grading.retry(attempt)
    except grading.RateLimited:
        return _rate_limited()
    attempt.refresh_from_db()
    if not request.htmx:
        return redirect(reverse("bank:question", args=[attempt.question_id]))
    return render(request, "practice/_grade.html", {"attempt": attempt, "poll": True})


@login_required
@require_POST
def unsuspend(request: HttpRequest, question_id: str):
    question = _question(question_id)
    services.set_suspended(user=request.user, question=question, suspended=False)
    return _panel(request, question)


@login_required
@require_POST
def star(request: HttpRequest, question_id: str):
    question = _question(question_id)
    services.toggle_star(user=request.user, question=question)
    return _panel(request, question)


@login_required
@require_POST
def note(request: HttpRequest, question_id: str):
    question = _question(question_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("笔记最长 10000 个字符。"), status=400)
    services.save_note(user=request.user, question=question, text=form.cleaned_data["text"])
    return _panel(request, question)


def _panel(request, question: Question) -> HttpResponse:
    if not request.htmx:
        return redirect(
            same_site_path(request, request.POST.get("next")) or reverse("bank:question", args=[question.id])
        )
    context = selectors.question_panel(request.user, question)
    return render(request, "practice/_panel.html", {"q": question, **context})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_view(request: HttpRequest):
    prefs = services.settings_to_edit(request.user)
    form = PracticeSettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        form.save()
        request.session[TIME_ZONE_KEY] = form.instance.time_zone
        messages.success(request, _("设置已保存。"))
        return redirect("practice:settings")
    return render(request, "practice/settings.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_safe
def stats(request: HttpRequest):
    return render(request, "practice/stats.html", selectors.stats(request.user, timezone.now()))
