"""What the editors' home shows: their open drafts, the review queue, questions that look
ambiguous or wrong, and the bank with its per-question figures."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q

from quizbank.authoring import figures
from quizbank.authoring.models import Draft, DraftState
from quizbank.authoring.permissions import can_review
from quizbank.bank.models import Question, QuestionSet
from quizbank.feedback.models import ProblemReport

PAGE_SIZE = 50


def index_context(user, params) -> dict:
    slug = str(params.get("set", ""))[:50]
    text = str(params.get("q", "")).strip()[:100]
    questions = Question.objects.active().select_related("question_set").order_by("question_set__order", "position")
    if slug:
        questions = questions.filter(question_set__slug=slug)
    if text:
        questions = questions.filter(Q(title__icontains=text) | Q(id__icontains=text))
    page = Paginator(questions, PAGE_SIZE).get_page(params.get("page"))
    numbers = figures.question_figures([q.id for q in page])
    open_drafts = Draft.objects.open().select_related("question_set", "author")
    attention = figures.questions_to_review(limit=10)
    titles = dict(Question.objects.filter(id__in=[qid for qid, _ in attention]).values_list("id", "title"))
    return {
        "my_drafts": open_drafts.filter(author=user),
        "unclaimed": open_drafts.filter(author__isnull=True)[:100],
        "review_queue": open_drafts.filter(state=DraftState.REVIEW) if can_review(user) else [],
        "recent": Draft.objects.filter(state=DraftState.PUBLISHED).select_related("author", "reviewer", "question")[
            :10
        ],
        "attention": [(qid, titles.get(qid, qid), reasons) for qid, reasons in attention],
        "open_reports": ProblemReport.objects.filter(resolved_at__isnull=True).count(),
        "page": page,
        "rows": [(q, numbers.get(q.id)) for q in page],
        "sets": QuestionSet.objects.active(),
        "filters": {"set": slug, "q": text},
        "can_review": can_review(user),
    }
