"""The rubric test: a question's sample answers (### 样例答案) scored by the offline grader, each
against what its kind promises. A strong sample must pass, a wrong one must fail, a partial one
must land in between — so a rubric edit that lets a wrong answer through is caught, in the
editor as it is typed and by `load_questions --check` (docs/authoring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.utils.translation import gettext as _

from quizbank.bank import vocabulary
from quizbank.bank.loader import key_point_dict
from quizbank.bank.markup import ContentError, QuestionData, Sample
from quizbank.bank.rubric import alias_shares
from quizbank.grading import offline
from quizbank.grading import text as tx
from quizbank.grading.rubrics import document, reference_text

# (lowest, highest) score each kind must get; the bounds are the suggested ratings' (offline.py):
# a strong answer is rated Good or better, a wrong one Again, a partial one neither extreme.
EXPECTED = {"strong": (75, 100), "partial": (25, 74), "wrong": (0, 59)}
KIND_NAMES = {"strong": "完整", "partial": "部分", "wrong": "错误"}


@dataclass
class SampleResult:
    kind: str
    text: str
    line: int
    score: int
    points: list  # offline.PointResult
    flags: list[str]
    problem: str  # "" when the score is what the kind promises

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def expected(self) -> tuple[int, int]:
        return EXPECTED[self.kind]


def as_graded(q: QuestionData) -> SimpleNamespace:
    """A parsed question in the shape the grader reads a bank row in."""
    return SimpleNamespace(
        id=q.id,
        title=q.title,
        answer_md=q.answer,
        extended_md=q.extended,
        key_points=[key_point_dict(k) for k in q.key_points],
    )


def problem(kind: str, score: int, flags: list[str]) -> str:
    low, high = EXPECTED[kind]
    name = _(KIND_NAMES[kind])
    if kind == "strong" and flags:
        return _("%(kind)s样例被评分器标记（%(flags)s），不会给出评分建议") % {"kind": name, "flags": ", ".join(flags)}
    if score < low:
        return _("%(kind)s样例只得 %(score)d 分，应不低于 %(low)d") % {"kind": name, "score": score, "low": low}
    if score > high:
        return _("%(kind)s样例得了 %(score)d 分，应不高于 %(high)d") % {"kind": name, "score": score, "high": high}
    return ""


def run_samples(
    q: QuestionData, *, glossary, weights: dict[str, float], shares: dict[str, float] | None = None
) -> list[SampleResult]:
    """Grade each sample of a parsed question against its own rubric."""
    if not q.samples or not q.key_points:
        return []
    graded = as_graded(q)
    rubric = offline.prepare(
        graded.key_points,
        reference=reference_text(graded),
        glossary=glossary,
        weights=weights,
        alias_shares=shares or {},
        title=q.title,
    )
    return [_result(sample, offline.grade(sample.text, rubric)) for sample in q.samples]


def _result(sample: Sample, result: offline.GradeResult) -> SampleResult:
    return SampleResult(
        sample.kind,
        sample.text,
        sample.line,
        result.score,
        result.points,
        result.flags,
        problem(sample.kind, result.score, result.flags),
    )


def check_samples(parsed) -> list[ContentError]:
    """`load_questions --check`: every sample that does not score what its kind promises, with
    file and line. Word weights are the checked files' own (the check reads no database)."""
    questions = [q for _, data in parsed for q in data.questions]
    if not any(q.samples for q in questions):
        return []
    glossary = vocabulary.glossary()
    weights = tx.idf_weights([document(as_graded(q), glossary) for q in questions])
    errors = []
    for f, data in parsed:
        shares = alias_shares(data.questions)
        for q in data.questions:
            for r in run_samples(q, glossary=glossary, weights=weights, shares=shares.get(q.id)):
                if r.problem:
                    errors.append(ContentError(f.display, r.line, f"{q.id}: {r.problem}"))
    return errors
