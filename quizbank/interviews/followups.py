"""When and what to ask as a follow-up (追问). Pure module: the decision reads the offline
grader's verdict on each key point, so it works without any LLM and is made the moment an answer
arrives (the grade shown in the report may come later, from the LLM grader)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from quizbank.grading.form import instructions_to_grader
from quizbank.interviews.selection import normal

NEAR_PERFECT = 85  # at or above this (and nothing missing) there is nothing to dig into
MISSED = ("missing", "partial", "contradicted")


@dataclass(frozen=True)
class StyleRules:
    time_factor: float  # × the track's minutes per question
    max_follow_ups: int  # per question (the ceiling is two)
    below: int  # follow up only when the answer scored below this


STYLES = {
    "gentle": StyleRules(time_factor=1.5, max_follow_ups=1, below=60),
    "standard": StyleRules(time_factor=1.0, max_follow_ups=1, below=NEAR_PERFECT),
    "pressure": StyleRules(time_factor=0.75, max_follow_ups=2, below=NEAR_PERFECT + 10),
}


def missed_points(points) -> list[int]:
    """Indexes of the key points the answer missed, got only partly, or contradicted."""
    return [p.index for p in points if p.status in MISSED]


CEILING_MARGIN = 5


def should_follow_up(score: int, points, *, empty: bool, rules: StyleRules, ceiling: int = 100) -> bool:
    """Dig in when the answer missed something — not when it was near perfect, and not when it
    was empty or "don't know" (a follow-up on nothing is no follow-up). Near perfect is relative
    to `ceiling`, what the bank's own core answer scores on the same rubric: a rubric can hold a
    point only the extended answer covers, and saying all the core answer says is no thin answer."""
    below = min(rules.below, ceiling - CEILING_MARGIN)
    return not empty and score < below and bool(missed_points(points))


def choose(askable: list[dict], missed: list[int], asked: set[int], weights: list[int] | None = None) -> int | None:
    """The authored follow-up to ask, from bank.follow_ups.askable_follow_ups (dicts with their
    "index"): among those not asked yet, the one probing the most (weight of) missed points;
    failing that, one that names no points (a general follow-up); never one that probes only
    points the candidate covered. Returns its index, or None."""
    weights = weights or []
    best, best_key = None, None
    for f in askable:
        index = f["index"]
        if index in asked:
            continue
        probes = list(f.get("probes") or [])
        hit = sum(weights[p] if p < len(weights) else 1 for p in probes if p in missed)
        if probes and not hit:
            continue
        key = (hit, -index)
        if best_key is None or key > best_key:
            best, best_key = index, key
    return best


# -- a follow-up written by the LLM --------------------------------------------------------
MIN_CHARS, MAX_CHARS = 6, 120
REFERENCE_RUN = 16  # this many characters in a row from the reference answer give it away


def _longest_run(a: str, b: str) -> int:
    if not a or not b:
        return 0
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def gives_away(question: str, missed: list[dict], reference: str) -> str:
    """Why a generated follow-up may not be asked ("" if it may): not a short question, or it
    says a missed point (one of its aliases, or half its text in a row), or quotes the reference."""
    text = question.strip()
    if not MIN_CHARS <= len(text) <= MAX_CHARS or not re.search(r"[？?]$", text):
        return "shape"
    if instructions_to_grader(text):
        return "instruction"
    asked = normal(text)
    for point in missed:
        for alias in point.get("aliases") or []:
            if len(normal(alias)) >= 2 and normal(alias) in asked:
                return "alias"
        said = normal(point["text"])
        if _longest_run(asked, said) >= max(6, len(said) // 2):
            return "point"
    if _longest_run(asked, normal(reference)) >= REFERENCE_RUN:
        return "reference"
    return ""
