"""The offline grader: key-point coverage that a learner can trust, deterministic, no network.

For each key point (prepare.py reads the rubric once) it looks for the clause or sentence of the
answer that best states it:
- an alias of the point earns the credit its specificity allows (an alias common in the set's
  other answers earns at most half: bank/rubric.py); an alias matches word for word or, through
  the glossary, in other wordings (开根号 for √, 学不动 for 梯度消失);
- otherwise the point's own words, or those of the reference sentence that explains it: the
  weighted share found (glossary concepts, words, Chinese character bigrams), each unit weighted
  by how rare it is in the bank, so a generic word covers little (matching.py).
A clause that states a point but says the opposite (consistency.py: a denied predicate, the
glossary opposite, a number the reference never gives, the claim pinned on another name) makes
the point contradicted: no credit, a penalty, and the error is shown.

Around that, the form of the answer (form.py): a list of bare terms is not an answer (capped,
"看起来是关键词罗列"); a pasted copy of the reference earns nothing; an instruction aimed at the
grader is ignored. The result carries a confidence (the share of the credit resting on specific
evidence) and flags; with any flag no rating is suggested and the learner decides. docs/grading.md
says what it cannot judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quizbank.bank.glossary import compact
from quizbank.grading import consistency, form, wording
from quizbank.grading import text as tx
from quizbank.grading.matching import BIGRAM_FACTOR, COVERED, PARTIAL, SUPPORT_FACTOR, overlap, weighted_recall
from quizbank.grading.prepare import Alias, Point, Rubric, Window, prepare, windows

CONTRADICTION_PENALTY = 0.5  # of the contradicted point's weight
LIST_CAP, FRAGMENT_CAP = 15, 20
PASTE_SHARE, PASTE_MIN_GRAMS = 0.75, 30  # of the answer's 5-grams found in the reference
VERDICT_KEEP = 0.3  # of the score, when a judgement question's verdict (对/错) is the opposite
CONFIDENT = 0.4
# a candidate correcting themselves: the statement after it counts ("……其实训练时不能并行")
CORRECTION = re.compile(r"其实|实际上|准确地?说|更正|纠正|不对|说错了|应该是|\b(?:actually|correction|I mean)\b", re.I)
UNFAMILIAR = 0.4  # share of the answer's weighted words unknown to the rubric that makes a low score unsure
SKIP_ANSWERS = {"", "不知道", "不会", "跳过", "skip", "pass", "idk", "i don't know", "不清楚", "没学过", "不记得了"}


@dataclass
class PointResult:
    index: int
    text: str
    status: str  # covered | partial | missing | contradicted
    evidence: str = ""
    weight: int = 1
    credit: float = 0.0
    basis: str = ""  # alias | words | generic (weak evidence) | "" (nothing)
    retracted: bool = False  # stated plainly, then said the opposite (contradicted)


@dataclass
class GradeResult:
    score: int
    points: list[PointResult] = field(default_factory=list)
    feedback: str = ""
    errors: list[str] = field(default_factory=list)
    confidence: float = 1.0
    flags: list[str] = field(default_factory=list)

    @property
    def suggested_rating(self) -> int | None:
        """None when the learner should decide (anything flagged)."""
        return None if self.flags else suggested_rating(self.score)


def is_skip(answer: str) -> bool:
    """An empty answer, or one that only says "don't know" / "skip"."""
    return re.sub(r"\s+", " ", answer.strip().strip("。.!！?？").casefold()) in SKIP_ANSWERS


def suggested_rating(score: float) -> int:
    """Score to FSRS rating: < 60 Again, 60-74 Hard, 75-94 Good, >= 95 Easy."""
    if score < 60:
        return 1
    if score < 75:
        return 2
    if score < 95:
        return 3
    return 4


def grade(answer: str, rubric: Rubric, *, pasted: bool = False) -> GradeResult:
    """Score an answer 0-100 against a prepared rubric. `pasted`: the answer box reported a paste
    of most of the text, or it was typed faster than anyone types."""
    points = rubric.points
    if is_skip(answer):
        return GradeResult(
            0,
            [PointResult(p.index, p.text, "missing", "", p.weight) for p in points],
            wording.say("skipped"),
        )
    flags = []
    injected = [
        (s, e) for s, e in form.instructions_to_grader(answer) if compact(answer[s:e]) not in rubric.reference_compact
    ]  # "忽略之前的指令" in an answer about prompt injection quotes the reference; it asks nothing
    if injected:
        flags.append("injection")
    analysis = tx.analyse(answer, rubric.glossary)
    analysis.clauses = [c for c in analysis.clauses if not any(s < c.end and c.start < e for s, e in injected)]
    surface = _surface_aliases(answer, analysis, rubric)
    spans = windows(analysis, answer)
    turned = {}  # answer clauses that turn a reference statement around
    for c in analysis.clauses:
        statement = consistency.against_reference(
            c, rubric.statements, rubric.glossary, rubric.names, rubric.reference_numbers
        )
        statement = statement or consistency.swapped(c, rubric.named_claims, rubric.subjects)
        if statement is not None:
            turned[id(c)] = statement
    results = [_grade_point(p, spans, surface, answer, rubric, turned) for p in points]

    total = sum(p.weight for p in points) or 1
    got = sum(r.weight * r.credit for r in results)
    contradicted = sum(r.weight for r in results if r.status == "contradicted")
    coverage = got / total
    if rubric.similarity:
        coverage = (1 - rubric.similarity) * coverage + rubric.similarity * tx.recall(rubric.reference_surface, answer)
    raw = min(1.0, coverage / rubric.saturation)
    score = max(0.0, 100 * raw - 100 * CONTRADICTION_PENALTY * contradicted / total)
    errors = [
        wording.say("retracted" if r.retracted else "contradicted", point=r.text, said=r.evidence)
        for r in results
        if r.status == "contradicted"
    ]
    quoted = {r.evidence for r in results if r.status == "contradicted"}
    for c in analysis.clauses:
        if id(c) in turned and tx.sentence_of(answer, c.start, c.end) not in quoted:
            errors.append(wording.say("turned", said=c.text, reference=turned[id(c)].text))
    if errors:
        flags.append("contradiction")
    said = form.verdict(answer)
    if rubric.verdict is not None and said is not None and said != rubric.verdict:
        score *= VERDICT_KEEP
        errors.insert(0, wording.say("verdict"))

    shape = form.shape(_without(answer, injected), rubric.glossary, rubric.terms)
    if shape.is_keyword_list or shape.is_fragment:
        flags.append("keyword_list" if shape.is_keyword_list else "fragment")
        score = min(score, LIST_CAP if shape.is_keyword_list else FRAGMENT_CAP)
        for r in results:  # a term named is not a point made
            if r.status == "covered":
                r.status = "partial"
    grams = tx.char_ngrams(answer)
    if len(grams) >= PASTE_MIN_GRAMS and len(grams & rubric.reference_grams) / len(grams) >= PASTE_SHARE:
        # word for word the reference: copied if it was pasted in, else perhaps learnt by heart
        flags.append("pasted" if pasted else "verbatim")
        if pasted:
            score = 0
    confidence = _confidence(results)
    quiet = not {"keyword_list", "fragment", "pasted", "verbatim"} & set(flags)
    if confidence < CONFIDENT and quiet:
        flags.append("low_confidence")
    elif quiet and score < 60 and shape.statements >= 2:
        # a low score for an answer full of statements the rubric does not know: a paraphrase
        # the grader cannot read looks the same as a wrong answer, so the learner decides
        unknown = _unfamiliar(analysis, rubric)
        if unknown >= UNFAMILIAR:
            flags.append("unrecognised")
            confidence = min(confidence, 1 - unknown)
    score = round(score)
    feedback = "" if "pasted" in flags else _feedback(results)
    return GradeResult(score, results, feedback, errors, round(confidence, 2), flags)


def _unfamiliar(analysis: tx.Analysis, rubric: Rubric) -> float:
    """The weighted share of the answer's words found nowhere in the rubric or the reference."""
    units = [u for u in analysis.units() if u.kind != "bigram"]
    weights = rubric.weights or {}
    total = sum(weights.get(u.key, 1.0) for u in units)
    unknown = sum(weights.get(u.key, 1.0) for u in units if u.key not in rubric.reference_keys)
    return unknown / total if total else 0.0


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(spans):
        text = text[:start] + "。" + text[end:]
    return text


def _surface_aliases(answer: str, analysis: tx.Analysis, rubric: Rubric) -> dict[int, list[tuple[int, Alias]]]:
    """Aliases said word for word, by the clause they occur in: {clause index: [(point, alias)]}."""
    found: dict[int, list[tuple[int, Alias]]] = {}
    for i, c in enumerate(analysis.clauses):
        for m in rubric.terms.find(answer[c.start : c.end], overlapping=True):
            found.setdefault(i, []).extend(rubric.alias_owner.get(rubric.term_keys[m.entry], []))
    return found


def _grade_point(p: Point, windows: list[Window], surface, answer: str, rubric: Rubric, turned=None) -> PointResult:
    """The point's best evidence in the answer. A clause that states the point but says the
    opposite (of the point, or of the reference) lends nothing to its sentence, and when it
    states it strongly makes the point contradicted — unless a later clause states it plainly:
    the last word counts, as with a candidate who corrects themselves ("其实……")."""
    clauses = [w.clauses[0] for w in windows if len(w.clauses) == 1]
    index = {id(c): i for i, c in enumerate(clauses)}
    against, plain, turned = {}, [], turned or {}
    for c in clauses:
        credit, _, _ = _evidence(p, [c], c.keys, surface.get(index[id(c)], []))
        if credit >= COVERED and (id(c) in turned or consistency.contradicts(p, c, rubric)):
            against[id(c)] = credit if credit >= COVERED else 0.0
        elif id(c) in turned:
            against[id(c)] = 0.0  # lends nothing, but does not contradict this point
        elif credit >= COVERED:
            plain.append(c)
    best = (0.0, None, "", [])  # credit, window, basis, the clauses it rests on
    for w in windows:
        kept = [c for c in w.clauses if id(c) not in against]
        if not kept:
            continue
        keys = w.keys if len(kept) == len(w.clauses) else set().union(*(c.keys for c in kept))
        found = [hit for c in kept for hit in surface.get(index.get(id(c), -1), [])]
        credit, alias_credit, overlap = _evidence(p, kept, keys, found)
        if credit >= PARTIAL and credit > best[0]:
            strong = alias_credit >= 1.0 or (overlap >= 1.0 and _matched_weight(p, keys) >= 1.0)
            best = (credit, w, "alias" if alias_credit >= 1.0 else "words" if strong else "generic", kept)
    strong_against = [c for c in clauses if against.get(id(c), 0.0) >= COVERED]
    corrected = [c for c in strong_against if CORRECTION.search(answer[max(0, c.start - 12) : c.end])]
    last_plain = max((c.start for c in plain), default=-1)
    if strong_against and (best[0] < COVERED or any(c.start > last_plain for c in corrected)):
        c = max(strong_against, key=lambda c: (against[id(c)], c.start))
        result = PointResult(p.index, p.text, "contradicted", tx.sentence_of(answer, c.start, c.end), p.weight)
        result.retracted = bool(plain)
        return result
    credit, w, basis, kept = best
    if w is None:
        return PointResult(p.index, p.text, "missing", "", p.weight)
    status = "covered" if credit >= COVERED else "partial"
    quote = "，".join(c.text for c in kept) if len(w.clauses) > 1 else tx.sentence_of(answer, w.start, w.end)
    return PointResult(p.index, p.text, status, _trim(quote), p.weight, round(credit, 2), basis)


def _evidence(p: Point, clauses, keys: set[str], surface_hits) -> tuple[float, float, float]:
    """(credit, alias credit, word overlap) of some clauses for a point."""
    by_alias = max([a.credit for owner, a in surface_hits if owner == p.index], default=0.0)
    for alias in p.aliases:
        if alias.keys and alias.keys <= keys:
            by_alias = max(by_alias, alias.credit)
    share = max(
        weighted_recall(p.words, keys),
        BIGRAM_FACTOR * weighted_recall(p.bigrams, keys),
        SUPPORT_FACTOR * weighted_recall(p.support, keys),
    )
    by_words = overlap(share)
    return min(1.0, max(by_alias, by_words, by_alias + by_words / 2)), by_alias, by_words


def _trim(quote: str, limit: int = 160) -> str:
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


def _matched_weight(p: Point, keys: set[str]) -> float:
    return sum(w for k, w in p.words.items() if k in keys)


def _confidence(results: list[PointResult]) -> float:
    """How far the score rests on specific evidence: the share of the credit earned by a
    specific alias or by most of a point's own words, rather than by a generic word."""
    credit = sum(r.weight * r.credit for r in results)
    specific = sum(r.weight * r.credit for r in results if r.basis in ("alias", "words"))
    return specific / credit if credit else 1.0


def _feedback(results: list[PointResult]) -> str:
    """What is missing (the flags speak for themselves on the card)."""
    missing = [r.text for r in results if r.status in ("missing", "contradicted")]
    partial = [r.text for r in results if r.status == "partial"]
    if not missing and not partial:
        lead = wording.say("all_covered")
    elif not missing:
        lead = wording.say("some_partial", points="；".join(partial[:2]))
    else:
        lead = wording.say("missing_more" if len(missing) > 3 else "missing", points="；".join(missing[:3]))
    return lead[:150]


def grade_offline(answer: str, key_points: list[dict], *, pasted: bool = False, **rubric) -> GradeResult:
    """Score an answer 0-100 by weighted key-point coverage (see `prepare` for the options)."""
    return grade(answer, prepare(key_points, **rubric), pasted=pasted)
