"""Server-side SVG geometry for the report card: a radar of scores per topic and a trend line
of earlier interviews. Pure functions returning coordinates; the templates draw them."""

from __future__ import annotations

import math
from dataclasses import dataclass

RADAR_SIZE = 240
RADAR_RADIUS = 84


@dataclass(frozen=True)
class Axis:
    label: str
    score: float | None  # None: nothing graded on this topic yet
    x: float
    y: float  # the axis end (100)
    label_x: float
    label_y: float
    anchor: str


def _point(i: int, n: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    c = RADAR_SIZE / 2
    r = RADAR_RADIUS * value / 100
    return round(c + r * math.cos(angle), 1), round(c + r * math.sin(angle), 1)


def radar(scores: list[tuple[str, float | None]]) -> dict | None:
    """Axes, rings and the score polygon for 3+ topics (fewer: the template lists bars instead)."""
    n = len(scores)
    if n < 3:
        return None
    axes = []
    for i, (label, score) in enumerate(scores):
        x, y = _point(i, n, 100)
        lx, ly = _point(i, n, 122)
        anchor = "middle" if abs(lx - RADAR_SIZE / 2) < 8 else ("start" if lx > RADAR_SIZE / 2 else "end")
        axes.append(Axis(label, score, x, y, lx, ly + 4, anchor))
    rings = [" ".join(f"{x},{y}" for x, y in (_point(i, n, level) for i in range(n))) for level in (25, 50, 75, 100)]
    shape = " ".join(f"{x},{y}" for x, y in (_point(i, n, s or 0) for i, (_, s) in enumerate(scores)))
    return {"size": RADAR_SIZE, "axes": axes, "rings": rings, "shape": shape}


def trend(points: list[tuple[str, float]], width: int = 320, height: int = 120) -> dict | None:
    """A line through (label, score 0–100) points, oldest first; None with fewer than two."""
    if len(points) < 2:
        return None
    left, right, top, bottom = 28, 8, 10, 22
    step = (width - left - right) / (len(points) - 1)
    last = len(points) - 1
    dots = [
        {
            "x": round(left + i * step, 1),
            "y": round(top + (100 - s) * (height - top - bottom) / 100, 1),
            "label": lab,
            "score": s,
            # every date when they fit, else the first and the last (each dot has its tooltip)
            "labelled": len(points) <= 4 or i in (0, last),
            "anchor": "start" if i == 0 else "end" if i == last else "middle",
        }
        for i, (lab, s) in enumerate(points)
    ]
    grid = [{"y": round(top + (100 - v) * (height - top - bottom) / 100, 1), "value": v} for v in (0, 50, 100)]
    return {
        "width": width,
        "height": height,
        "dots": dots,
        "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "grid": grid,
        "left": left,
        "right": width - right,
        "base": height - 6,
    }
