"""The diff an editor sees between two versions of one question (its Markdown block).

Pure module: `diff_sources(old, new)` parses both versions with the loader's parser and returns
a `QuestionDiff` that keeps the rubric (key points, weights, aliases, also the follow-ups' own)
apart from metadata, lists (options, sources, samples) and prose, which is compared word by
word (`worddiff.py`). When a version does not parse, the diff falls back to comparing raw lines
and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.translation import gettext_lazy as _

from quizbank.authoring.worddiff import DELETE, INSERT, Segment, changed, count_words, line_diff, word_diff
from quizbank.bank.markup import ContentError, ContentErrors, KeyPoint, QuestionData, parse_question

# Two items (key points, follow-ups, options…) at least this similar are one item changed.
MATCH_THRESHOLD = 0.5


@dataclass
class FieldChange:
    """One metadata field (title, difficulty, type, numeric answer…) that differs."""

    key: str
    label: str
    old: str
    new: str
    segments: list[Segment] = field(default_factory=list)  # word diff, for the title


@dataclass
class KeyPointChange:
    status: str  # added | removed | changed
    old: KeyPoint | None
    new: KeyPoint | None
    old_number: int | None  # 1-based position
    new_number: int | None
    segments: list[Segment]  # the point's text, word by word
    text_changed: bool
    weight_old: int | None
    weight_new: int | None
    aliases_added: tuple[str, ...] = ()
    aliases_removed: tuple[str, ...] = ()

    @property
    def weight_changed(self) -> bool:
        return self.status == "changed" and self.weight_old != self.weight_new


@dataclass
class FollowUpChange:
    status: str  # added | removed | changed
    old_number: int | None
    new_number: int | None
    text: list[Segment]  # the follow-up question
    answer: list[Segment]  # its short answer ([] when neither version has one)
    see_old: str = ""
    see_new: str = ""
    # (1-based number, key point text) of the parent's points it probes, when they differ
    probes_old: tuple[tuple[int, str], ...] = ()
    probes_new: tuple[tuple[int, str], ...] = ()
    probes_changed: bool = False
    key_points: list[KeyPointChange] = field(default_factory=list)

    @property
    def see_changed(self) -> bool:
        return self.see_old != self.see_new


@dataclass
class ItemChange:
    """An option, a source or a sample answer added, removed or changed."""

    status: str  # added | removed | changed
    segments: list[Segment]
    old_flag: str = ""  # an option's ✓, a sample's kind
    new_flag: str = ""


@dataclass
class ProseChange:
    key: str  # body | answer | extended
    label: str
    segments: list[Segment]


@dataclass
class DiffSummary:
    key_points_added: int = 0
    key_points_removed: int = 0
    key_points_changed: int = 0
    weights_changed: int = 0
    aliases_added: int = 0
    aliases_removed: int = 0
    follow_ups_added: int = 0
    follow_ups_removed: int = 0
    follow_ups_changed: int = 0
    metadata_changed: int = 0
    options_changed: int = 0
    sources_changed: int = 0
    samples_changed: int = 0
    prose_changed: int = 0
    words_inserted: int = 0
    words_deleted: int = 0


@dataclass
class QuestionDiff:
    parsed: bool = True  # False: a version did not parse, `lines` holds a line diff
    note: str = ""  # why the diff is by lines
    errors_old: tuple[ContentError, ...] = ()
    errors_new: tuple[ContentError, ...] = ()
    lines: list[Segment] = field(default_factory=list)
    identical: bool = False
    metadata: list[FieldChange] = field(default_factory=list)
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    key_points: list[KeyPointChange] = field(default_factory=list)
    key_points_reordered: bool = False  # same points in another order (not a rubric change)
    follow_ups: list[FollowUpChange] = field(default_factory=list)
    options: list[ItemChange] = field(default_factory=list)
    sources: list[ItemChange] = field(default_factory=list)
    samples: list[ItemChange] = field(default_factory=list)
    prose: list[ProseChange] = field(default_factory=list)
    rubric_changed: bool = False  # a key point, weight or alias, the question's or a follow-up's
    answer_key_changed: bool = False  # type, numeric answer/tolerance/unit, an option or which is right
    prose_only: bool = False  # only wording: title, stem, answer, extended, follow-up questions/answers
    order_only: bool = False  # the versions differ only in the order of points, tags, options…
    summary: DiffSummary = field(default_factory=DiffSummary)


# -- matching items across versions -----------------------------------------------------------
def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def similarity(a: str, b: str) -> float:
    """How alike two short texts are (0–1), by characters, ignoring case and spaces."""
    a, b = _normal(a), _normal(b)
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _key_point_score(a: KeyPoint, b: KeyPoint) -> float:
    ratio = similarity(a.text, b.text)
    old, new = {_normal(x) for x in a.aliases}, {_normal(x) for x in b.aliases}
    if not old or not new:
        return ratio
    return max(ratio, 0.6 * ratio + 0.4 * len(old & new) / len(old | new))


def match(old: list, new: list, score) -> list[tuple[int | None, int | None]]:
    """Pair items of two versions: identical first, then the most similar pairs above the
    threshold (nearer positions first on a tie); the rest are removed or added. Pairs come in
    the new version's order, each removed item after the new item that follows its old neighbour."""
    scored = sorted(
        ((score(a, b), -abs(i - j), i, j) for i, a in enumerate(old) for j, b in enumerate(new)),
        reverse=True,
    )
    old_to_new: dict[int, int] = {}
    used: set[int] = set()
    for value, _distance, i, j in scored:
        if value < MATCH_THRESHOLD:
            break
        if i not in old_to_new and j not in used:
            old_to_new[i] = j
            used.add(j)
    pairs: list[tuple[float, int | None, int | None]] = [(j, i, j) for i, j in old_to_new.items()]
    pairs += [(j, None, j) for j in range(len(new)) if j not in used]
    anchor = -0.5
    for i in range(len(old)):
        if i in old_to_new:
            anchor = old_to_new[i]
        else:
            pairs.append((anchor + 0.5 - 1 / (len(old) + 2 + i), i, None))
    return [(i, j) for _, i, j in sorted(pairs, key=lambda p: p[0])]


# -- the structured diff ------------------------------------------------------------------------
def diff_sources(old: str, new: str) -> QuestionDiff:
    """Compare two versions of a question's Markdown block (the editor's text)."""
    parsed: list[QuestionData | None] = []
    errors: list[tuple[ContentError, ...]] = []
    for text in (old, new):
        try:
            parsed.append(parse_question(text))
            errors.append(())
        except ContentErrors as exc:
            parsed.append(None)
            errors.append(tuple(exc.errors))
    a, b = parsed
    if a is None or b is None:
        note = {
            (True, False): _("旧版本无法解析，下面按行比较原文。"),
            (False, True): _("新版本无法解析，下面按行比较原文。"),
        }.get((a is None, b is None), _("两个版本都无法解析，下面按行比较原文。"))
        lines = line_diff(old, new)
        return QuestionDiff(
            parsed=False,
            note=note,
            errors_old=errors[0],
            errors_new=errors[1],
            lines=lines,
            identical=old == new,
        )
    return diff_questions(a, b)


def diff_questions(a: QuestionData, b: QuestionData) -> QuestionDiff:
    """The structured diff of two parsed versions."""
    diff = QuestionDiff(identical=a == b)
    areas: set[str] = set()
    diff.metadata = _metadata(a, b)
    diff.tags_added = tuple(t for t in b.tags if t not in a.tags)
    diff.tags_removed = tuple(t for t in a.tags if t not in b.tags)
    for change in diff.metadata:
        areas.add("prose" if change.key == "title" else "metadata")
        if change.key in ("qtype", "numeric_answer", "tolerance", "unit"):
            diff.answer_key_changed = True
    if diff.tags_added or diff.tags_removed:
        areas.add("metadata")

    pairs = match(list(a.key_points), list(b.key_points), _key_point_score)
    diff.key_points = _key_point_changes(a.key_points, b.key_points, pairs)
    matched = [(i, j) for i, j in pairs if i is not None and j is not None]
    diff.key_points_reordered = [j for _, j in sorted(matched)] != sorted(j for _, j in matched)
    diff.follow_ups = _follow_up_changes(a, b, dict(matched))
    diff.options = _option_changes(a, b)
    diff.sources = _item_changes(list(a.sources), list(b.sources), str)
    diff.samples = _sample_changes(a, b)
    diff.prose = [
        ProseChange(key, label, segments)
        for key, label in (("body", _("题干")), ("answer", _("回答重点")), ("extended", _("扩展知识")))
        if changed(segments := word_diff(getattr(a, key), getattr(b, key)))
    ]

    rubric = bool(diff.key_points) or any(f.key_points for f in diff.follow_ups)
    diff.rubric_changed = rubric
    diff.answer_key_changed = diff.answer_key_changed or bool(diff.options)
    if rubric:
        areas.add("rubric")
    if diff.key_points_reordered:
        areas.add("order")
    for f in diff.follow_ups:
        if f.status != "changed" or f.see_changed or f.probes_changed:
            areas.add("follow_ups")
        if changed(f.text) or changed(f.answer):
            areas.add("prose")
    for name in ("options", "sources", "samples", "prose"):
        if getattr(diff, name):
            areas.add(name)
    diff.prose_only = areas == {"prose"}
    diff.order_only = not diff.identical and not areas - {"order"}
    diff.summary = _summary(diff)
    return diff


def _metadata(a: QuestionData, b: QuestionData) -> list[FieldChange]:
    fields = (
        ("id", "id", a.id, b.id),
        ("title", _("标题"), a.title, b.title),
        ("difficulty", _("难度"), a.difficulty, b.difficulty),
        ("qtype", _("题型"), a.qtype, b.qtype),
        ("numeric_answer", _("数值答案"), _text(a.numeric_answer), _text(b.numeric_answer)),
        ("tolerance", _("容差"), a.tolerance, b.tolerance),
        ("unit", _("单位"), a.unit, b.unit),
    )
    return [
        FieldChange(key, label, old, new, word_diff(old, new) if key == "title" else [])
        for key, label, old, new in fields
        if old != new and not (key == "numeric_answer" and a.numeric_answer == b.numeric_answer)
    ]


def _text(value) -> str:
    return "" if value is None else str(value)


def _key_point_changes(old, new, pairs) -> list[KeyPointChange]:
    changes = []
    for i, j in pairs:
        a = old[i] if i is not None else None
        b = new[j] if j is not None else None
        segments = word_diff(a.text if a else "", b.text if b else "")
        aliases_old, aliases_new = (a.aliases if a else ()), (b.aliases if b else ())
        change = KeyPointChange(
            status="changed" if a and b else ("added" if b else "removed"),
            old=a,
            new=b,
            old_number=None if i is None else i + 1,
            new_number=None if j is None else j + 1,
            segments=segments,
            text_changed=bool(a and b and a.text != b.text),
            weight_old=a.weight if a else None,
            weight_new=b.weight if b else None,
            aliases_added=tuple(x for x in aliases_new if x not in aliases_old),
            aliases_removed=tuple(x for x in aliases_old if x not in aliases_new),
        )
        if change.status != "changed" or change.text_changed or change.weight_changed:
            changes.append(change)
        elif change.aliases_added or change.aliases_removed:
            changes.append(change)
    return changes


def _follow_up_changes(a: QuestionData, b: QuestionData, point_map: dict[int, int]) -> list[FollowUpChange]:
    def score(x, y) -> float:
        value = similarity(x.text, y.text)
        return max(value, 0.9) if x.see and x.see == y.see else value

    def probes(q: QuestionData, indexes) -> tuple[tuple[int, str], ...]:
        return tuple((p + 1, q.key_points[p].text if p < len(q.key_points) else "") for p in indexes)

    changes = []
    for i, j in match(list(a.follow_ups), list(b.follow_ups), score):
        x = a.follow_ups[i] if i is not None else None
        y = b.follow_ups[j] if j is not None else None
        kp_pairs = match(list(x.key_points if x else ()), list(y.key_points if y else ()), _key_point_score)
        change = FollowUpChange(
            status="changed" if x and y else ("added" if y else "removed"),
            old_number=None if i is None else i + 1,
            new_number=None if j is None else j + 1,
            text=word_diff(x.text if x else "", y.text if y else ""),
            answer=word_diff(x.answer if x else "", y.answer if y else ""),
            see_old=x.see if x else "",
            see_new=y.see if y else "",
            key_points=_key_point_changes(x.key_points if x else (), y.key_points if y else (), kp_pairs),
        )
        # probes name the parent's points by position: compare what they point at
        old_targets = {point_map.get(p, ("gone", p)) for p in x.probes} if x else set()
        new_targets = set(y.probes) if y else set()
        if x and y and old_targets != new_targets:
            change.probes_changed = True
        if change.probes_changed or change.status != "changed":
            change.probes_old = probes(a, x.probes) if x else ()
            change.probes_new = probes(b, y.probes) if y else ()
        differs = changed(change.text) or changed(change.answer) or change.see_changed
        if change.status != "changed" or differs or change.probes_changed or change.key_points:
            changes.append(change)
    return changes


def _item_changes(old: list, new: list, text, flag=lambda item: "") -> list[ItemChange]:
    changes = []
    for i, j in match(old, new, lambda x, y: similarity(text(x), text(y))):
        x = old[i] if i is not None else None
        y = new[j] if j is not None else None
        segments = word_diff(text(x) if x is not None else "", text(y) if y is not None else "")
        old_flag = flag(x) if x is not None else ""
        new_flag = flag(y) if y is not None else ""
        status = "changed" if x is not None and y is not None else ("added" if y is not None else "removed")
        if status != "changed" or changed(segments) or old_flag != new_flag:
            changes.append(ItemChange(status, segments, old_flag, new_flag))
    return changes


def _option_changes(a: QuestionData, b: QuestionData) -> list[ItemChange]:
    return _item_changes(list(a.options), list(b.options), lambda o: o.text, lambda o: "✓" if o.correct else "✗")


def _sample_changes(a: QuestionData, b: QuestionData) -> list[ItemChange]:
    return _item_changes(list(a.samples), list(b.samples), lambda s: s.text, lambda s: s.kind)


def _summary(diff: QuestionDiff) -> DiffSummary:
    s = DiffSummary()
    for k in diff.key_points:
        s.key_points_added += k.status == "added"
        s.key_points_removed += k.status == "removed"
        s.key_points_changed += k.status == "changed"
        s.weights_changed += k.weight_changed
        s.aliases_added += len(k.aliases_added) if k.status == "changed" else 0
        s.aliases_removed += len(k.aliases_removed) if k.status == "changed" else 0
    for f in diff.follow_ups:
        setattr(s, f"follow_ups_{f.status}", getattr(s, f"follow_ups_{f.status}") + 1)
    s.metadata_changed = len(diff.metadata) + len(diff.tags_added) + len(diff.tags_removed)
    s.options_changed, s.sources_changed = len(diff.options), len(diff.sources)
    s.samples_changed, s.prose_changed = len(diff.samples), len(diff.prose)
    for p in diff.prose:
        s.words_inserted += count_words(p.segments, INSERT)
        s.words_deleted += count_words(p.segments, DELETE)
    return s
