"""How strongly some clauses of an answer state a key point (pure): the weighted share of the
point's units they contain, mapped to a credit from 0 to 1, and the thresholds of the verdicts."""

from __future__ import annotations

COVERED, PARTIAL = 0.75, 0.35  # credit needed for the two verdicts
OVERLAP_LOW, OVERLAP_HIGH = 0.2, 0.6  # a point's weighted word share: nothing below, full above
BIGRAM_FACTOR = 0.85  # character bigrams alone are weaker evidence than words
SUPPORT_FACTOR = 1.0  # the reference sentence that explains the point counts like its own words
SUPPORT_MIN = 0.35  # a reference sentence explains a point when it has this share of its words


def weighted_recall(wanted: dict[str, float], keys: set[str]) -> float:
    """The weighted share of the wanted units that are among `keys`."""
    total = sum(wanted.values())
    return sum(w for k, w in wanted.items() if k in keys) / total if total else 0.0


def overlap(share: float) -> float:
    """A share of a point's words as credit: nothing below OVERLAP_LOW, all from OVERLAP_HIGH."""
    return min(1.0, max(0.0, (share - OVERLAP_LOW) / (OVERLAP_HIGH - OVERLAP_LOW)))
