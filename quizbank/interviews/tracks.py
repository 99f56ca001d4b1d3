"""The interview-track format: one Markdown file per track in content/tracks/, YAML front
matter for the plan and a Markdown body describing the round. Pure module (no Django):
`parse_track(text, path, set_slugs)` returns a TrackData or raises ContentErrors with file:line.
The format is documented in docs/content-format.md ("Interview tracks")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from quizbank.bank.markup import DIFFICULTIES, SAFE_LOADER, SLUG_RE, ContentError, ContentErrors

FIELDS = ("slug", "title", "order", "questions", "minutes_per_question", "follow_ups", "difficulty", "topics")
REQUIRED = ("slug", "title", "questions", "minutes_per_question", "difficulty", "topics")
MAX_QUESTIONS = 20
MAX_MINUTES = 30


@dataclass
class TrackData:
    slug: str
    title: str
    order: int = 0
    questions: int = 6
    minutes_per_question: float = 5
    follow_ups: bool = True
    difficulty: tuple[str, ...] = ("easy", "medium", "hard")
    topics: dict[str, int] = field(default_factory=dict)
    description: str = ""
    path: str = ""


def curve(points: tuple[str, ...] | list[str], n: int) -> list[str]:
    """The difficulty curve stretched (or squeezed) over n questions: warm-up → hard."""
    points = list(points) or ["medium"]
    if n <= 0:
        return []
    if n == 1:
        return [points[len(points) // 2]]
    return [points[round(i * (len(points) - 1) / (n - 1))] for i in range(n)]


def shift(difficulty: str, by: int) -> str:
    """One level easier (by=-1) or harder (by=+1), within easy..hard."""
    i = DIFFICULTIES.index(difficulty) + by
    return DIFFICULTIES[max(0, min(len(DIFFICULTIES) - 1, i))]


def parse_track(text: str, path: str = "<string>", set_slugs: set[str] | None = None) -> TrackData:
    errors: list[ContentError] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def error(line: int, message: str) -> None:
        errors.append(ContentError(path, line, message))

    def line_of(key: str, indent: str = "") -> int:
        pattern = re.compile(rf"^{indent}{re.escape(key)}\s*:")
        return next((i + 1 for i, line in enumerate(lines) if pattern.match(line)), 1)

    if not lines or lines[0].strip() != "---":
        raise ContentErrors([ContentError(path, 1, "文件必须以 YAML front matter 开头（第一行是 ---）")])
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise ContentErrors([ContentError(path, 1, "front matter 没有结束的 ---")])
    try:
        meta = yaml.load("\n".join(lines[1:end]), Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + min(mark.line if mark else 0, max(0, end - 2))
        raise ContentErrors(
            [ContentError(path, line, f"front matter 不是合法的 YAML：{exc}".splitlines()[0])]
        ) from None
    if not isinstance(meta, dict):
        raise ContentErrors([ContentError(path, 2, "front matter 必须是 key: value 形式的映射")])
    for key in meta:
        if key not in FIELDS:
            error(line_of(str(key)), f"未知的面试轨道字段 {key!r}（可用：{', '.join(FIELDS)}）")
    for key in REQUIRED:
        if meta.get(key) in (None, "", [], {}):
            error(1, f"front matter 缺少 {key}")

    track = TrackData(slug=str(meta.get("slug") or ""), title=str(meta.get("title") or "").strip(), path=path)
    if track.slug and not SLUG_RE.match(track.slug):
        error(line_of("slug"), f"slug {track.slug!r} 只能包含小写字母、数字和 -")
    track.order = _integer(meta.get("order", 0), "order", line_of("order"), error, low=-10_000, high=10_000) or 0
    questions = _integer(meta.get("questions", 6), "questions", line_of("questions"), error, low=1, high=MAX_QUESTIONS)
    track.questions = questions or 6
    minutes = meta.get("minutes_per_question", 5)
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 1 <= minutes <= MAX_MINUTES:
        error(line_of("minutes_per_question"), f"minutes_per_question 必须是 1–{MAX_MINUTES} 的数，而不是 {minutes!r}")
    else:
        track.minutes_per_question = float(minutes)
    follow_ups = meta.get("follow_ups", True)
    if not isinstance(follow_ups, bool):
        error(line_of("follow_ups"), f"follow_ups 必须是 true 或 false，而不是 {follow_ups!r}")
    track.follow_ups = bool(follow_ups) if isinstance(follow_ups, bool) else True
    levels = meta.get("difficulty") or []
    if not isinstance(levels, list) or not levels or any(d not in DIFFICULTIES for d in levels):
        error(
            line_of("difficulty"),
            f"difficulty 必须是由 {', '.join(DIFFICULTIES)} 组成的列表（从热身到最难），而不是 {levels!r}",
        )
    else:
        track.difficulty = tuple(levels)
    topics = meta.get("topics") or {}
    if not isinstance(topics, dict):
        error(line_of("topics"), "topics 必须是 题集slug: 权重 的映射")
        topics = {}
    for slug, weight in topics.items():
        line = line_of(str(slug), r"\s+")
        if set_slugs is not None and slug not in set_slugs:
            error(line, f"topics 里的题集 {slug!r} 不存在")
        elif isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            error(line, f"题集 {slug!r} 的权重必须是 1–100 的整数，而不是 {weight!r}")
        else:
            track.topics[str(slug)] = weight
    track.description = "\n".join(lines[end + 1 :]).strip()
    if not track.description:
        error(end + 1, "正文为空：用一两段话说明这一轮面试考什么")
    if errors:
        raise ContentErrors(errors)
    return track


def _integer(value, name: str, line: int, error, *, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        error(line, f"{name} 必须是 {low}–{high} 的整数，而不是 {value!r}")
        return None
    return value
