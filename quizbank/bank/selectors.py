"""Read-side queries for the bank's pages: each returns what a page shows in a fixed number of
queries, whatever the number of questions."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import Lower

from quizbank.bank import search as search_index
from quizbank.bank import snippets
from quizbank.bank.models import Difficulty, Question, QuestionSet, Tag


def topics_with_counts():
    """Active sets, each with question counts overall and per difficulty."""
    active = Q(questions__retired_at__isnull=True)
    counts = {f"n_{d}": Count("questions", filter=active & Q(questions__difficulty=d)) for d in Difficulty.values}
    # explicit order: a query with an aggregate drops Meta.ordering
    sets = QuestionSet.objects.active().annotate(n_questions=Count("questions", filter=active), **counts)
    return sets.order_by("order", "slug")


def topic_questions(question_set: QuestionSet, *, tag: str = "", difficulty: str = ""):
    questions = Question.objects.in_set(question_set).prefetch_related("tags")
    if tag:
        questions = questions.filter(tags__name=tag)
    if difficulty:
        questions = questions.filter(difficulty=difficulty)
    return questions.defer(*_HEAVY_FIELDS)


# A tag is offered in a filter when this many active questions carry it and it is more than a
# number or a date ("429", "2026-07-28"): the other tags still show on their questions.
MIN_TAG_QUESTIONS = 2
_NUMBER_OR_DATE = r"^[0-9][0-9 ./:_-]*$"


def useful_tags(*, question_set: QuestionSet | None = None, keep=None):
    """Tags worth offering in a filter, each with `n`, its active questions (in the set, if
    given); `keep` (tag ids, e.g. a deck's own tags) are offered whatever their use."""
    active = Q(questions__retired_at__isnull=True)
    if question_set is not None:
        active &= Q(questions__question_set=question_set)
    useful = Q(n__gte=MIN_TAG_QUESTIONS) & ~Q(name__regex=_NUMBER_OR_DATE)
    if keep is not None:
        useful |= Q(pk__in=keep)
    return Tag.objects.annotate(n=Count("questions", filter=active)).filter(useful).order_by(Lower("name"), "name")


def topic_tags(question_set: QuestionSet, *, selected: str = ""):
    """The tags of a set's filter, most used first; the one filtered on is always offered."""
    keep = Tag.objects.filter(name=selected).values("pk") if selected else None
    return useful_tags(question_set=question_set, keep=keep).order_by("-n", Lower("name"), "name")


def neighbours(question: Question) -> tuple[Question | None, Question | None]:
    siblings = Question.objects.in_set(question.question_set_id).only("id", "title", "position")
    previous = siblings.filter(position__lt=question.position).order_by("-position").first()
    following = siblings.filter(position__gt=question.position).first()
    return previous, following


_HEAVY_FIELDS = (
    "body_html",
    "answer_md",
    "answer_html",
    "extended_md",
    "extended_html",
    "key_points_html",
    "follow_ups",
    "follow_ups_html",
    "sources",
    "sources_html",
    "options",
)


@dataclass
class SearchResult:
    question: Question
    score: float
    title_html: str
    snippet_html: str


@dataclass
class SearchPage:
    results: list[SearchResult]
    total: int  # questions that say any of the query's words
    listed: int  # how many of them the pages go through
    words: list[str]
    broad: bool = False  # (nearly) every question matches: only the most relevant are listed
    corrected: str = ""  # the query found nothing; these results are for this spelling
    suggestion: str = ""  # a spelling the index knows better
    wordless: bool = False  # only punctuation, symbols or emoji: nothing to search for
    page: int = 1  # the page shown: the last one when the one asked for is past the end


def search_questions(text: str, *, topic: str = "", difficulty: str = "", page: int = 1, per_page: int = 10):
    """One page of search results with highlighted titles and snippets; a misspelt query is
    answered for its correction when it finds nothing itself, and a query that (nearly) every
    question matches lists only its most relevant results."""
    text = unicodedata.normalize("NFKC", text)  # ｌｏｒａ is lora
    where = {"topic": topic, "difficulty": difficulty, "limit": max(page * per_page, search_index.BROAD_LIMIT)}
    hits, total, words = search_index.search(text, **where)
    corrected, suggestion = "", search_index.suggestion(text)
    if not total and suggestion:
        corrected, suggestion = suggestion, ""
        hits, total, words = search_index.search(corrected, **where)
    broad = False
    if total > search_index.BROAD_LIMIT:  # only then can the query be too broad: count the scope
        in_scope = Question.objects.active().filter(
            **({"question_set__slug": topic} if topic else {}), **({"difficulty": difficulty} if difficulty else {})
        )
        hits, broad = search_index.most_relevant(hits, total, in_scope.count())
    listed = len(hits) if broad else total
    page = min(page, max(1, -(-listed // per_page)))  # past the end: the last page (as Paginator.get_page)
    hits = hits[(page - 1) * per_page : page * per_page]
    rows = (
        Question.objects.select_related("question_set")
        .only(*_SNIPPET_SOURCES, "id", "title", "difficulty", "qtype", "question_set__slug", "question_set__title")
        .in_bulk([h.id for h in hits])
    )
    results = [
        SearchResult(
            question=rows[h.id],
            score=h.score,
            title_html=snippets.highlight(rows[h.id].title, words),
            snippet_html=snippets.snippet([getattr(rows[h.id], f) for f in _SNIPPET_SOURCES], words),
        )
        for h in hits
        if h.id in rows
    ]
    wordless = not any(ch.isalnum() for ch in text)
    return SearchPage(results, total, listed, words, broad, corrected, suggestion, wordless, page)


_SNIPPET_SOURCES = ("answer_md", "extended_md", "body_md")  # the first that says a query word
