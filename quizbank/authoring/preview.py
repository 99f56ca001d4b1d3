"""What the editor shows beside the text as it is typed: the question as learners will see it
(the site's renderer and sanitiser), the validation messages with line numbers, similar
questions already in the bank, and the rubric test of the sample answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from django.db.models import Count, Max

from quizbank.authoring.sections import heading_title, title_and_reference
from quizbank.authoring.validation import EDITOR_PATH, Checked, check_source
from quizbank.bank import search, vocabulary
from quizbank.bank.markup import ContentError
from quizbank.bank.models import Question, QuestionSet
from quizbank.bank.rendering import render_markdown, render_question
from quizbank.grading.rubrics import bank_weights
from quizbank.grading.samples import EXPECTED, SampleResult, run_samples

SIMILAR_LIMIT = 5
SIMILAR_TITLE = 0.55  # difflib ratio of normalised titles that is worth a look
TEMPLATE_TITLE = "新问题的标题？"  # services.NEW_QUESTION's: nothing to compare yet


@dataclass(frozen=True)
class Similar:
    id: str
    title: str
    set_title: str
    ratio: float


@dataclass
class Preview:
    checked: Checked
    html: dict = field(default_factory=dict)
    samples: list[SampleResult] = field(default_factory=list)
    similar: list[Similar] = field(default_factory=list)
    new_question: bool = True
    partial: dict = field(default_factory=dict)  # a block that does not parse yet: what renders of it

    @property
    def key_points(self) -> list:
        """(key point, its HTML as learners see it) pairs."""
        return list(zip(self.checked.data.key_points, self.html.get("key_points_html", []), strict=False))

    @property
    def samples_ok(self) -> bool:
        return all(s.ok for s in self.samples)

    @property
    def sample_kinds_missing(self) -> list[str]:
        return kinds_missing(self.checked.data)

    @property
    def blocking(self) -> list[ContentError]:
        return submit_errors(self.checked, self.samples, new_question=self.new_question)


def kinds_missing(data) -> list[str]:
    have = {s.kind for s in data.samples} if data else set()
    return [k for k in EXPECTED if k not in have]


def rubric_test(checked: Checked) -> list[SampleResult]:
    """The samples of a block that parsed and validated, graded offline with the bank's weights."""
    if checked.data is None or checked.errors:
        return []
    return run_samples(checked.data, glossary=vocabulary.glossary(), weights=bank_weights(), shares=checked.shares)


def submit_errors(checked: Checked, samples: list[SampleResult], *, new_question: bool) -> list[ContentError]:
    """What stops a block from going to review: validation errors, a sample scoring outside its
    kind's range, and (for a new question) a missing kind of sample."""
    if not checked.ok:
        return checked.errors
    errors = [ContentError(EDITOR_PATH, s.line, s.problem) for s in samples if s.problem]
    missing = kinds_missing(checked.data)
    if new_question and missing:
        line = max([checked.data.line, *(s.line for s in checked.data.samples)])
        errors.append(
            ContentError(EDITOR_PATH, line, f"新题需要三种样例答案，还缺：{' / '.join(missing)}（### 样例答案）")
        )
    return errors


def preview(source: str, *, question_set: QuestionSet, question: Question | None = None, draft_id=None) -> Preview:
    checked = check_source(source, question_set=question_set, question=question, draft_id=draft_id)
    result = Preview(
        checked,
        similar=similar_questions(heading_title(source), exclude=_own_id(checked, question)),
        new_question=question is None,
    )
    if checked.data is None:
        # still show what renders (an imported draft has no key points yet): title and answer
        title, reference = title_and_reference(source)
        result.partial = {"title": title, "answer_html": render_markdown(reference)} if reference else {}
        return result
    result.html = render_question(checked.data)
    result.html["options"] = list(zip(checked.data.options, result.html.pop("options_html"), strict=True))
    result.html["follow_ups"] = list(zip(checked.data.follow_ups, result.html["follow_ups_html"], strict=True))
    result.samples = rubric_test(checked)
    return result


def similar_questions(title: str, *, exclude: str = "") -> list[Similar]:
    """Questions of the bank that may ask the same thing: search hits on the title, and titles
    that read almost the same; most similar first. The title rarely changes while the rest of
    the block is typed: the answer is kept until the bank changes."""
    title = title.strip()
    if len(_normal(title)) < 4 or title == TEMPLATE_TITLE:
        return []
    stamp = Question.objects.active().aggregate(n=Count("id"), last=Max("updated_at"))
    return list(_similar(title, exclude, stamp["n"], stamp["last"]))


@lru_cache(maxsize=256)
def _similar(title: str, exclude: str, *stamp) -> tuple[Similar, ...]:
    hits, _total, _words = search.search(title, limit=10)
    ids = [h.id for h in hits]
    rows = {q.id: q for q in Question.objects.active().select_related("question_set").filter(id__in=ids)}
    found = {}
    for q in Question.objects.active().select_related("question_set").only("id", "title", "question_set__title"):
        ratio = _ratio(title, q.title)
        if ratio >= SIMILAR_TITLE or q.id in rows:
            found[q.id] = Similar(q.id, q.title, q.question_set.title, ratio)
    found.pop(exclude, None)
    ranked = sorted(found.values(), key=lambda s: (-(s.ratio >= SIMILAR_TITLE), -s.ratio))
    return tuple(ranked[:SIMILAR_LIMIT])


def _ratio(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, _normal(a), _normal(b))
    return matcher.ratio() if matcher.quick_ratio() >= SIMILAR_TITLE else 0.0


def _normal(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.casefold())


def _own_id(checked: Checked, question: Question | None) -> str:
    if question is not None:
        return question.id
    return checked.data.id if checked.data else ""
