from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from quizbank.bank import selectors
from quizbank.bank.forms import SearchForm, TopicFilterForm
from quizbank.bank.models import Question, QuestionSet
from quizbank.feedback import services as feedback
from quizbank.feedback.forms import ReportForm
from quizbank.htmx import wants_partial
from quizbank.practice import selectors as practice_selectors


@require_safe
def home(request: HttpRequest):
    return render(request, "bank/home.html", {"topics": selectors.topics_with_counts()})


@require_safe
@vary_on_headers("HX-Request")
def topic(request: HttpRequest, slug: str):
    question_set = get_object_or_404(QuestionSet.objects.active(), slug=slug)
    form = TopicFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {"tag": "", "difficulty": ""}
    questions = selectors.topic_questions(question_set, tag=filters["tag"], difficulty=filters["difficulty"])
    page = Paginator(questions, settings.QUIZBANK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "topic": question_set,
        "page": page,
        "form": form,
        "filters": filters,
        "tags": selectors.topic_tags(question_set, selected=filters["tag"]),
    }
    template = "bank/topic.html#question-list" if wants_partial(request) else "bank/topic.html"
    return render(request, template, context)


@require_safe
def question(request: HttpRequest, question_id: str):
    q = get_object_or_404(Question.objects.select_related("question_set").prefetch_related("tags"), id=question_id)
    previous, following = selectors.neighbours(q)
    context = {"q": q, "previous": previous, "next": following, **practice_selectors.question_panel(request.user, q)}
    if request.user.is_authenticated:
        context.update(report_form=ReportForm(), reports=feedback.open_reports(request.user, q))
    return render(request, "bank/question.html", context)


@require_safe
@vary_on_headers("HX-Request")
def search(request: HttpRequest):
    form = SearchForm(request.GET)
    found, page = None, 1
    if form.is_valid() and form.cleaned_data["q"]:
        page = form.cleaned_data["page"] or 1
        found = selectors.search_questions(
            form.cleaned_data["q"],
            topic=form.cleaned_data["topic"],
            difficulty=form.cleaned_data["difficulty"],
            page=page,
        )
    total = found.total if found else 0
    page = found.page if found else page
    context = {
        "form": form,
        "found": found,
        "results": found.results if found else [],
        "total": total,
        "page_number": page,
        "start": (page - 1) * 10 + 1,
        "has_next": page * 10 < (found.listed if found else 0),
        "status": 200 if form.is_valid() else 400,
    }
    template = "bank/search.html#results" if wants_partial(request) else "bank/search.html"
    return render(request, template, context, status=context["status"])
