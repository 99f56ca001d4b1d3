"""Does a clause of an answer say the opposite of the rubric or the reference? (pure)

Against one key point (`contradicts`), for a clause that states the point strongly:
- flips, which cancel in pairs: a shared predicate negated on one side only ("softmax 不会饱和"
  for "softmax 饱和"); the glossary opposite of one of the point's terms ("方差随 d_k 减小" for
  "增大"). "大 batch 时收益变小" restates "小 batch 时收益越大": two flips, no contradiction;
- a number with a unit the point or its reference sentence uses, that the reference never gives
  ("65B 在 24 GB 卡上" where it says 48 GB);
- a swap: the point's claim pinned on a name only another point uses ("top-p 保留概率最高的 k 个"
  for the top-k point; `swapped` does the same for the rubric's paired claims, "E5M2 精度更高").
Against the reference (`against_reference`): a clause restating a reference statement (three
quarters of its claim words) with the predicate negated, when no statement it restates agrees.
A conditional clause ("如果不缩放，……") states no fact and contradicts nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quizbank.bank.glossary import Glossary
from quizbank.grading import text as tx
from quizbank.grading.matching import COVERED, overlap, weighted_recall

ALIGNED = 0.75  # share of a reference clause's claim words an answer clause must restate
MIN_SHARED = 2  # ... and at least this many of them


def is_number(key: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+", key))


@dataclass
class Statement:
    """One clause of the reference, as a claim: its words (without names and numbers), its names."""

    text: str
    claim: dict[str, float]
    names: frozenset
    negated: dict[str, bool]
    predicates: frozenset
    numbers: list[tuple[float, str]] = field(default_factory=list)


def statements(analysis: tx.Analysis, weight, subjects: set[str] = frozenset()) -> list[Statement]:
    """The clauses of a text as claims: their words apart from names (and `subjects`) and numbers."""
    out = []
    for c in analysis.clauses:
        if c.conditional:
            continue
        units = [u for u in c.units if u.kind != "bigram"]
        named = {u.key for u in units if u.name or u.key in subjects}
        claim = {u.key: weight(u.key) for u in units if u.key not in named and not is_number(u.key)}
        if len(claim) < MIN_SHARED:
            continue
        out.append(
            Statement(
                c.text,
                claim,
                frozenset(named),
                tx.negation_map(units),
                frozenset(u.key for u in units if u.predicate),
                c.numbers,
            )
        )
    return out


def opposite_key(glossary: Glossary | None, key: str) -> str | None:
    if glossary is None or not key.startswith("§"):
        return None
    index = glossary.entry_of(key[1:])
    if index is None:
        return None
    opposite = glossary.opposite_of(index)
    return None if opposite is None else "§" + glossary.entries[opposite].name


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.02 * max(abs(a), abs(b), 1e-9)


def flips(s: Statement, clause: tx.Clause, glossary: Glossary | None) -> int:
    """How many ways the clause turns the statement around (see the module docstring)."""
    keys = clause.keys
    count = 0
    shared = [k for k in s.claim if k in keys]
    flipped = [k for k in shared if clause.negated(k) != s.negated.get(k, False)]
    weight = sum(s.claim[k] for k in flipped)
    if flipped and (weight >= 0.5 * sum(s.claim[k] for k in shared) or any(_predicate(clause, k) for k in flipped)):
        count += 1
    return count


def about_else(s: Statement, clause: tx.Clause) -> bool:
    """The clause names other things than the statement does: it is not restating it."""
    mine = {u.key for u in clause.units if u.name}
    return bool(s.names) and bool(mine) and not (s.names & mine)


def wrong_number(s_numbers, clause: tx.Clause, known: dict[str, set[float]]) -> bool:
    """A number in the clause with a unit the statement uses, that the reference never gives."""
    units = {u for _, u in s_numbers}
    return any(u in units and not any(close(v, k) for k in known.get(u, ())) for v, u in clause.numbers)


def against_reference(
    clause: tx.Clause, refs: list[Statement], glossary: Glossary | None, names: set[str], known: dict
) -> Statement | None:
    """The reference statement this clause turns around, when every statement it restates says
    otherwise; None when it restates one faithfully or restates none."""
    if clause.conditional:
        return None
    keys = clause.keys
    contradicted = None
    for s in refs:
        shared = [k for k in s.claim if k in keys]
        total = sum(s.claim.values())
        if len(shared) < MIN_SHARED or not total or sum(s.claim[k] for k in shared) / total < ALIGNED:
            continue
        if about_else(s, clause):
            continue
        if wrong_number(s.numbers, clause, known) or flips(s, clause, glossary) % 2:
            contradicted = contradicted or s
        else:
            return None
    return contradicted


def _predicate(clause: tx.Clause, key: str) -> bool:
    return any(u.predicate for u in clause.units if u.key == key)


def named_claims(
    texts: list[str], glossary: Glossary | None, weight, subjects: set[str] = frozenset()
) -> list[Statement]:
    """The rubric's claims about names or about the subjects the title compares, one per phrase
    ("E4M3 精度较高" | "E5M2 范围更大"; "GAN 一步生成快" | "扩散多步迭代慢"): what a swapped answer
    attaches to the wrong one."""
    out = []
    for text in texts:
        for part in re.split(r"[、；;，,]", text):
            for s in statements(tx.analyse(part, glossary, bigrams=False), weight, subjects):
                if s.names:
                    out.append(s)
    return out


def swapped(clause: tx.Clause, claims: list[Statement], subjects: set[str] = frozenset()) -> Statement | None:
    """The rubric claim this clause makes about another name or subject (one the rubric gives
    another claim), while never restating that other one's own claim."""
    if clause.conditional:
        return None
    mine = {u.key for u in clause.units if u.name or u.key in subjects}
    if not mine:
        return None
    keys = clause.keys
    restated = [s for s in claims if _restates(s, keys)]
    for s in restated:
        if s.names & mine:
            return None  # it names what it restates: not a swap
    for s in restated:
        others = [o for o in claims if o is not s and o.names & mine and not (o.names & s.names)]
        if others:
            return s
    return None


def _restates(s: Statement, keys: set[str]) -> bool:
    shared = [k for k in s.claim if k in keys]
    total = sum(s.claim.values())
    return len(shared) >= MIN_SHARED and bool(total) and sum(s.claim[k] for k in shared) / total >= ALIGNED


# -- a clause against one key point -------------------------------------------------------
def claim_kept(p, wanted: dict[str, float], keys: set[str], without: set[str]) -> bool:
    """The clause states the rest of the claim (all but `without`) strongly: in `wanted` (the
    point's words) or in its reference sentence's, or by one of its aliases that is not a bare name."""
    for target in (wanted, p.support):
        rest = {k: w for k, w in target.items() if k not in without}
        if rest and overlap(weighted_recall(rest, keys)) >= COVERED:
            return True
    return any(
        a.keys and a.keys <= keys and not (a.keys & without) and not a.keys <= p.names and a.credit >= 1.0
        for a in p.aliases
    )


def contradicts(p, clause: tx.Clause, rubric) -> str:
    """Why the clause says the opposite of the point ("" if it does not). Flips: a shared
    predicate negated on one side only, or the glossary opposite of one of the point's terms
    (大 batch for 小 batch); two flips cancel ("大 batch 时收益变小" for "小 batch 时收益越大").
    On its own: a number with the point's unit that the reference never gives, or the point's
    claim made about a name only another point uses (top-p for top-k)."""
    keys = clause.keys
    if not clause.conditional:
        flips = 0
        shared = [k for k in p.words if clause.negated(k) is not None and not is_number(k) and k not in p.names]
        flipped = [k for k in shared if clause.negated(k) != p.negated.get(k, False)]
        weight = sum(p.words[k] for k in flipped)
        if flipped and (weight >= 0.5 * sum(p.words[k] for k in shared) or any(_predicate(clause, k) for k in flipped)):
            flips += 1
        elif any(a.keys and a.keys <= keys and all(clause.negated(k) for k in a.keys) for a in p.aliases):
            flips += 1  # 没必要设最大步数: the alias itself is denied
        opposites = set()
        for u in clause.units if rubric.glossary is not None else []:
            opposite = opposite_key(rubric.glossary, u.key) if u.kind == "concept" else None
            if opposite and opposite not in keys and opposite in p.words and u.key not in p.words:
                if u.negated == p.negated.get(opposite, False) and claim_kept(p, p.words, keys, {opposite}):
                    opposites.add(frozenset((u.key, opposite)))
        flips += len(opposites)
        if flips % 2:
            return "negation" if flipped else "opposite"
    numbers = {k for k in p.words if is_number(k)}
    for value, unit in clause.numbers:
        expected = {v for v, u in p.numbers + p.support_numbers if u == unit}
        if expected and not any(close(value, v) for v in rubric.reference_numbers.get(unit, set())):
            if claim_kept(p, p.words, keys, numbers | {str(int(value)) if value.is_integer() else str(value)}):
                return "number"
    if p.names and not (p.names & keys) and claim_kept(p, p.words, keys, set(p.names)):
        for other in rubric.points:  # the claim is made about a sibling name only another point uses
            said = {n for n in other.names & keys if any(siblings(n, mine) for mine in p.names)}
            if other is not p and said and not claim_kept(other, other.words, keys, set()):
                return "swap"
    if p.compared and not (p.compared & keys) and claim_kept(p, p.words, keys, set(p.compared)):
        for other in rubric.points:  # the claim is made about what the title compares it with
            if other is not p and other.compared & keys and not claim_kept(other, other.words, keys, set()):
                return "swap"
    return ""


def siblings(a: str, b: str) -> bool:
    """Names of the same family, which a candidate can mix up: top-k / top-p, ZeRO-1 / ZeRO-3,
    Self-RAG / CRAG (a common part of three characters), E4M3 / E5M2, PTQ / QAT (the same shape)."""
    a, b = a.lstrip("§").casefold(), b.lstrip("§").casefold()
    if a == b:
        return False
    shape = lambda s: re.sub(r"\d", "9", re.sub(r"[a-z]", "a", s))  # noqa: E731
    if len(a) == len(b) and shape(a) == shape(b):
        return True
    return any(a[i : i + 3] in b for i in range(len(a) - 2))
