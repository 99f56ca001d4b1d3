"""Check an editor's question block in the bank's context: the parser's errors (the loader's own
messages, with the block's line numbers), then what only the bank can tell — the id is free, the
follow-ups' links exist, the formulas render — and the loader's warnings (generic aliases, open
follow-ups)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from quizbank.authoring.models import Draft
from quizbank.bank.loader import link_errors, rendering_errors
from quizbank.bank.markup import ContentError, ContentErrors, QuestionData, SetData, open_follow_ups, parse_question
from quizbank.bank.models import Question, QuestionSet
from quizbank.bank.rubric import generic_alias_warnings, one_question_shares

EDITOR_PATH = "<editor>"


@dataclass
class Checked:
    data: QuestionData | None
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)  # this question's alias shares in its set

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors


def check_source(
    source: str, *, question_set: QuestionSet, question: Question | None = None, draft_id: int | None = None
) -> Checked:
    """`question`: the published question being edited (its id may not change); None for a new one."""
    try:
        data = parse_question(source, EDITOR_PATH)
    except ContentErrors as exc:
        return Checked(None, sorted(exc.errors, key=lambda e: e.line))
    errors = _id_errors(data, question, draft_id)
    block = [(SimpleNamespace(display=EDITOR_PATH, text=source), SimpleNamespace(questions=[data]))]
    linked = [f.see for f in data.follow_ups if f.see]  # checked on every keystroke: ask only for these
    others = set(Question.objects.active().filter(id__in=linked).values_list("id", flat=True)) if linked else set()
    errors += link_errors(block, others)
    errors += rendering_errors(block)
    siblings = [
        _Reference(*row) for row in Question.objects.in_set(question_set).values_list("id", "answer_md", "extended_md")
    ]
    shares = one_question_shares(data, siblings)
    warnings = generic_alias_warnings(SetData("", "", "", 0, path=EDITOR_PATH, questions=[data]), {data.id: shares})
    warnings += open_follow_ups(SetData("", "", "", 0, path=EDITOR_PATH, questions=[data]))
    return Checked(data, sorted(errors, key=lambda e: e.line), warnings, shares)


@dataclass
class _Reference:
    """What alias shares read of a sibling question: its reference answer."""

    id: str
    answer: str
    extended: str


def _id_errors(data: QuestionData, question: Question | None, draft_id: int | None) -> list[ContentError]:
    if question is not None:
        if data.id != question.id:
            return [ContentError(EDITOR_PATH, 1, f"题目 id 不能改：这道题是 {{#{question.id}}}（学习记录都指向它）")]
        return []
    taken = Question.objects.filter(id=data.id).values_list("question_set__slug", flat=True).first()
    if taken is not None:
        return [ContentError(EDITOR_PATH, 1, f"id {data.id!r} 重复：{taken} 中已有")]
    if Draft.objects.open().filter(target_id=data.id).exclude(id=draft_id).exists():
        return [ContentError(EDITOR_PATH, 1, f"id {data.id!r} 重复：另一份草稿正在用它")]
    return []
