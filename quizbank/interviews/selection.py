"""Which questions an interview asks. Pure module: a plan is drawn from candidates (the free
questions of the chosen sets) so that each set gets its share by weight, the difficulty follows
the curve (warm-up → hard), no two questions are near duplicates, and — with "weak spots" on —
questions the candidate has not seen or failed recently come first."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from quizbank.bank.markup import DIFFICULTIES

NEAR_DUPLICATE = 0.6  # normalised titles this similar (difflib ratio) ask the same thing


@dataclass(frozen=True)
class Candidate:
    id: str
    topic: str
    difficulty: str
    title: str
    links: frozenset[str] = field(default_factory=frozenset)  # ids its follow-ups link to
    weak: bool = False  # not seen, or failed recently


def normal(title: str) -> str:
    """Case-folded, with spaces, punctuation and underscores dropped: how texts are compared."""
    return re.sub(r"[\W_]+", "", title.casefold())


def near_duplicate(a: Candidate, b: Candidate) -> bool:
    """Two questions one interview should not both ask: titles nearly the same, or one is a
    follow-up of the other (it may be asked as one)."""
    if a.id in b.links or b.id in a.links:
        return True
    ta, tb = normal(a.title), normal(b.title)
    matcher = SequenceMatcher(None, ta, tb)
    return matcher.quick_ratio() >= NEAR_DUPLICATE and matcher.ratio() >= NEAR_DUPLICATE


def quotas(weights: dict[str, int], n: int) -> dict[str, int]:
    """Each topic's number of questions out of n, in proportion to its weight (largest remainder)."""
    total = sum(weights.values())
    if not total or n <= 0:
        return {topic: 0 for topic in weights}
    exact = {topic: n * w / total for topic, w in weights.items()}
    share = {topic: int(x) for topic, x in exact.items()}
    by_remainder = sorted(weights, key=lambda t: (-(exact[t] - share[t]), -weights[t], t))
    for topic in by_remainder[: n - sum(share.values())]:
        share[topic] += 1
    return share


def draw(
    candidates: list[Candidate],
    weights: dict[str, int],
    difficulties: list[str],
    *,
    weak_spots: bool = True,
    seed: int | None = None,
) -> list[Candidate]:
    """A plan of len(difficulties) questions (fewer if the candidates run out)."""
    rng = random.Random(seed)
    pool: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: c.id):
        if c.topic in weights:
            pool.setdefault(c.topic, []).append(c)
    n = len(difficulties)
    slots = [t for t, k in quotas({t: w for t, w in weights.items() if t in pool}, n).items() for _ in range(k)]
    rng.shuffle(slots)
    chosen: list[Candidate] = []
    for i, want in enumerate(difficulties):
        topics = [slots[i]] if i < len(slots) else []
        topics += [t for t in sorted(pool, key=lambda t: -weights[t]) if t not in topics]
        for topic in topics:
            pick = _pick(pool[topic], chosen, want, weak_spots, rng)
            if pick is not None:
                chosen.append(pick)
                break
    return chosen


def _pick(options: list[Candidate], chosen: list[Candidate], want: str, weak_spots: bool, rng) -> Candidate | None:
    free = [c for c in options if c not in chosen and not any(near_duplicate(c, o) for o in chosen)]
    if not free:
        return None
    target = DIFFICULTIES.index(want)

    def rank(c: Candidate) -> tuple:
        return (abs(DIFFICULTIES.index(c.difficulty) - target), 0 if (c.weak or not weak_spots) else 1)

    best = min(rank(c) for c in free)
    return rng.choice([c for c in free if rank(c) == best])
