"""Agreement between a grader and human scores: Pearson, Spearman, quadratic weighted kappa
(both mapped to 0-5) and mean absolute error. Pure functions."""

from __future__ import annotations

import math
import re

_CLAUSE_RE = re.compile(r"[。；;！!？?\n]+")


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    vy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (vx * vy) if vx and vy else 0.0


def ranks(values: list[float]) -> list[float]:
    """Average ranks (1-based), ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(xs: list[float], ys: list[float]) -> float:
    return pearson(ranks(xs), ranks(ys))


def quadratic_weighted_kappa(a: list[int], b: list[int], lo: int = 0, hi: int = 5) -> float:
    k = hi - lo + 1
    observed = [[0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[x - lo][y - lo] += 1
    n = len(a)
    hist_a = [sum(row) for row in observed]
    hist_b = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * hist_a[i] * hist_b[j] / n
    return 1 - num / den if den else 1.0


def to_five(value: float, top: float) -> float:
    return 5 * value / top if top else 0.0


def agreement(human: list[float], human_top: float, machine: list[float]) -> dict:
    """Both scales mapped to 0-5; machine scores are 0-100."""
    h = [to_five(x, human_top) for x in human]
    m = [to_five(x, 100) for x in machine]
    return {
        "n": len(h),
        "pearson": round(pearson(h, m), 4),
        "spearman": round(spearman(h, m), 4),
        "qwk": round(quadratic_weighted_kappa([round(x) for x in h], [round(x) for x in m]), 4),
        "mae": round(sum(abs(x - y) for x, y in zip(h, m, strict=True)) / len(h), 4),
    }


def key_points_from_reference(reference: str, limit: int = 8) -> list[dict]:
    """When a row has no rubric: the reference's clauses, longest first, as equal-weight points."""
    clauses = [c.strip(" ，,、-*") for c in _CLAUSE_RE.split(reference) if len(c.strip()) >= 4]
    unique = list(dict.fromkeys(clauses))
    chosen = sorted(unique, key=len, reverse=True)[:limit]
    return [{"text": c, "weight": 1, "aliases": []} for c in sorted(chosen, key=unique.index)]


# A rubric derived from a bare reference over-specifies (every clause of the textbook answer is a
# "point"): a full answer covers about half of them, and word-for-word recall of the reference
# carries most of the signal. Calibrated on ads_zh_dev.csv only (docs/grading.md).
DERIVED_SATURATION = 0.5
DERIVED_SIMILARITY = 0.9


def rubrics_for_row(row: dict) -> list[dict]:
    """The options for offline.prepare of a labelled row: its own key points (`a|b|c`) if it has
    them, else the clauses of each of its references (alternatives separated by blank lines)."""
    if row.get("key_points"):
        points = [{"text": t.strip(), "weight": 1, "aliases": []} for t in row["key_points"].split("|") if t.strip()]
        return [{"key_points": points, "reference": row["reference_answer"]}]
    references = [r.strip() for r in re.split(r"\n\s*\n", row["reference_answer"]) if r.strip()] or [""]
    return [
        {
            "key_points": key_points_from_reference(r) or [{"text": r or "-", "weight": 1, "aliases": []}],
            "reference": r,
            "saturation": DERIVED_SATURATION,
            "similarity": DERIVED_SIMILARITY,
        }
        for r in references
    ]
