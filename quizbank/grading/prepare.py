"""A question's rubric, analysed once (pure): its key points with their words, aliases (and how
specific each is), names and numbers; the reference sentence that explains each point; the
reference's statements and numbers for the consistency checks; the glossary and the weights."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from quizbank.bank.glossary import Glossary, compact
from quizbank.bank.rubric import alias_credit, matcher
from quizbank.grading import consistency, form
from quizbank.grading import text as tx
from quizbank.grading.matching import SUPPORT_MIN, weighted_recall


@dataclass
class Alias:
    text: str
    keys: frozenset  # empty: matched word for word only
    credit: float


@dataclass
class Point:
    index: int
    text: str
    weight: int
    words: dict[str, float]  # unit -> weight (concepts and words)
    bigrams: dict[str, float]
    negated: dict[str, bool]
    numbers: list[tuple[float, str]]
    aliases: list[Alias]
    support: dict[str, float] = field(default_factory=dict)  # the reference sentence that explains it
    support_numbers: list[tuple[float, str]] = field(default_factory=list)
    name_keys: frozenset = frozenset()  # the proper names the point mentions
    names: frozenset = frozenset()  # names only this point mentions (top-k here, top-p in another)
    others: frozenset = frozenset()  # names the other points mention and this one does not
    compared: frozenset = frozenset()  # subjects of the title only this point mentions


@dataclass
class Rubric:
    points: list[Point]
    glossary: Glossary | None
    terms: Glossary  # every alias, for surface matching
    term_keys: list[str]
    alias_owner: dict[str, list[tuple[int, Alias]]]
    reference_keys: set[str]
    reference_numbers: dict[str, set[float]]
    reference_grams: set[str]
    weights: dict[str, float] | None
    saturation: float = 1.0
    similarity: float = 0.0
    reference_surface: Counter = field(default_factory=Counter)
    verdict: bool | None = None
    statements: list = field(default_factory=list)  # the reference's clauses as claims (consistency.py)
    reference_compact: str = ""
    named_claims: list = field(default_factory=list)  # the rubric's claims about names (consistency.py)
    names: set = field(default_factory=set)  # every name the reference and the rubric use
    subjects: set = field(default_factory=set)  # what the title names that the key points talk about


def prepare(
    key_points: list[dict],
    *,
    reference: str = "",
    glossary: Glossary | None = None,
    weights: dict[str, float] | None = None,
    alias_shares: dict[str, float] | None = None,
    saturation: float = 1.0,
    similarity: float = 0.0,
    title: str = "",
) -> Rubric:
    """Analyse a question's rubric once: its points, aliases, reference words and numbers.

    `saturation` < 1 counts that share of the weighted points as a full answer, and
    `similarity` mixes in the answer's word-for-word recall of the reference: both only for a
    rubric derived from a bare reference (grader_eval), whose clauses over-specify."""
    shares = alias_shares or {}

    def weight(key: str) -> float:
        return weights.get(key, 1.0) if weights else 1.0

    points, all_aliases = [], []
    reference_keys: set[str] = set()
    for i, kp in enumerate(key_points):
        analysis = tx.analyse(kp["text"], glossary)
        units = analysis.units()
        words = {u.key: weight(u.key) for u in units if u.kind != "bigram"}
        bigrams = {u.key: weight(u.key) for u in units if u.kind == "bigram"}
        negated = tx.negation_map(units)
        aliases = []
        for a in kp.get("aliases", []):
            keys = frozenset(u.key for u in tx.analyse(a, glossary, bigrams=False).units())
            reference_keys |= keys
            if not tx.complete_terms(a, glossary) or any(u.negated for u in tx.analyse(a, glossary).units()):
                keys = frozenset()
            aliases.append(Alias(a, keys, alias_credit(shares.get(a, 0.0))))
        all_aliases.extend(aliases)
        numbers = [n for c in analysis.clauses for n in c.numbers]
        point = Point(i, kp["text"], int(kp.get("weight", 1)), words, bigrams, negated, numbers, aliases)
        point.name_keys = frozenset(u.key for u in units if u.name)
        points.append(point)
        reference_keys |= set(words) | set(bigrams)
    terms, term_keys = matcher([a.text for a in all_aliases])
    owner: dict[str, list[tuple[int, Alias]]] = {}
    for p in points:
        for a in p.aliases:
            owner.setdefault(compact(a.text), []).append((p.index, a))
    ref = tx.analyse(reference, glossary) if reference else tx.Analysis("", [])
    reference_keys |= ref.keys
    ref_windows = windows(ref, reference)
    for p in points:
        p.support, p.support_numbers = _support(p, ref_windows, weight)
    title_keys = {u.key for u in tx.analyse(title, glossary, bigrams=False).units()} if title else set()
    _distinguish(points, title_keys)
    subjects = {k for p in points for k in p.words if k in title_keys and not consistency.is_number(k)}
    names = {u.key for u in ref.units() if u.name} | {k for p in points for k in p.name_keys}
    reference_numbers: dict[str, set[float]] = {}
    for value, unit in [n for c in ref.clauses for n in c.numbers] + [n for p in points for n in p.numbers]:
        reference_numbers.setdefault(unit, set()).add(value)
    grams = tx.char_ngrams(reference + "\n" + "\n".join(kp["text"] for kp in key_points))
    return Rubric(
        points=points,
        glossary=glossary,
        terms=terms,
        term_keys=term_keys,
        alias_owner=owner,
        reference_keys=reference_keys,
        reference_numbers=reference_numbers,
        reference_grams=grams,
        weights=weights,
        saturation=saturation,
        similarity=similarity,
        reference_surface=tx.surface(reference) if similarity else Counter(),
        verdict=form.verdict(reference),
        statements=consistency.statements(ref, weight),
        reference_compact=compact("\n".join([reference] + [kp["text"] for kp in key_points])),
        named_claims=consistency.named_claims([kp["text"] for kp in key_points], glossary, weight, subjects),
        subjects=subjects,
        names=names,
    )


def _support(p: Point, windows, weight) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """The units and numbers of the reference clause or sentence that best states the point (a
    candidate may explain the point the way the reference does rather than in its own words)."""
    best, best_share = None, SUPPORT_MIN
    for w in windows:
        share = weighted_recall(p.words, w.keys)
        if share > best_share or (best is not None and share == best_share and w.end - w.start < best.end - best.start):
            best, best_share = w, share
    if best is None:
        return {}, []
    units = {u.key: weight(u.key) for c in best.clauses for u in c.units if u.kind != "bigram"}
    return units, [n for c in best.clauses for n in c.numbers]


def _distinguish(points: list[Point], title: set[str]) -> None:
    """The names (Latin identifiers) each point mentions and no other point does, and the
    compared subjects: what the question's title names (随机森林 和 GBDT, Key 和 Value) that only
    this point mentions. A clause that states a point's claim about another point's name or
    subject swaps the two."""
    names = [set(p.name_keys) for p in points]
    subjects = [{k for k in p.words if k in title} for p in points]
    for i, p in enumerate(points):
        rest = set().union(*(n for j, n in enumerate(names) if j != i)) if len(points) > 1 else set()
        p.names = frozenset(names[i] - rest)
        p.others = frozenset(rest - names[i])
        elsewhere = set().union(*(n for j, n in enumerate(subjects) if j != i)) if len(points) > 1 else set()
        p.compared = frozenset(subjects[i] - elsewhere)


# -- grading -------------------------------------------------------------------------------


@dataclass
class Window:
    start: int
    end: int
    clauses: list[tx.Clause]
    keys: set[str]


def windows(analysis: tx.Analysis, text: str) -> list[Window]:
    """Each clause, and each sentence of two or more clauses."""
    out = [Window(c.start, c.end, [c], c.keys) for c in analysis.clauses]
    sentence: list[tx.Clause] = []
    for c in analysis.clauses + [None]:
        if c is None or (sentence and re.search(r"[。！!？?；;\n]|\.\s", text[sentence[-1].end : c.start])):
            if len(sentence) >= 2:
                out.append(
                    Window(sentence[0].start, sentence[-1].end, sentence, set().union(*(s.keys for s in sentence)))
                )
            sentence = []
        if c is not None:
            sentence.append(c)
    return out
