"""Synthetic question sets in the content format, for benchmarks and scale tests.

Text is recombined from the bundled content (its titles, answer sentences and key points), so
term frequencies look like the real bank's rather than like a toy vocabulary's."""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

from quizbank.bank.markup import parse_set

FALLBACK = "注意力 模型 训练 推理 显存 量化 检索 向量 召回 排序 微调 低秩 梯度 attention lora rag kv cache".split()
_SENTENCE_RE = re.compile(r"(?<=[。；！？])")


@lru_cache(maxsize=4)
def corpus(content_dir: str) -> tuple[list[str], list[str], list[str], list[str]]:
    titles, sentences, points, tags = [], [], [], []
    for path in sorted(Path(content_dir).glob("*.md")):
        for q in parse_set(path.read_text(encoding="utf-8"), str(path)).questions:
            titles.append(q.title)
            tags.extend(q.tags)
            points.extend(k.text for k in q.key_points)
            for block in (q.answer, q.extended):
                for line in block.splitlines():
                    if line.strip() and not line.lstrip().startswith(("|", "```", "$$", "#")) and "$" not in line:
                        sentences.extend(s.strip(" -*") for s in _SENTENCE_RE.split(line) if len(s.strip()) > 8)
    # one of each key point (as the parser compares them): a question may not repeat one
    points = list({re.sub(r"\s+", "", p.casefold()): p for p in points}.values())
    return titles or FALLBACK, sentences or FALLBACK, points or FALLBACK, sorted(set(tags)) or FALLBACK


def synthetic_set(slug: str, count: int, *, seed: int = 0, order: int = 100, content_dir: str | Path = "") -> str:
    """A valid question-set file with `count` free-text questions of realistic size."""
    if not content_dir:
        from django.conf import settings

        content_dir = settings.QUIZBANK_CONTENT_DIR
    titles, sentences, points, tags = corpus(str(content_dir))
    rng = random.Random(f"{seed}-{slug}")
    parts = [f"---\nslug: {slug}\ntitle: 合成题集 {slug}\ndescription: 基准测试用的合成题目。\norder: {order}\n---\n"]
    for i in range(count):
        difficulty = ("easy", "medium", "hard")[i % 3]
        tag_list = ", ".join(f'"{t}"' for t in rng.sample(tags, 2))
        key_points = "\n".join(f"- {p}".replace("{", "(").replace("}", ")") for p in rng.sample(points, 4))
        answer = "".join(rng.choice(sentences) for _ in range(rng.randint(3, 6)))
        bullets = "\n".join(f"- {rng.choice(sentences)}" for _ in range(rng.randint(2, 5)))
        title = rng.choice(titles).replace("{", "(").replace("}", ")")
        parts.append(
            f"## {title} {{#{slug}-q{i:05d}}}\ndifficulty: {difficulty}\ntags: [{tag_list}]\n\n"
            f"### 回答重点\n\n{answer}\n\n### 扩展知识\n\n{bullets}\n\n### 关键点\n\n{key_points}\n\n"
            f"### 追问\n\n- {rng.choice(titles)}\n"
        )
    return "\n".join(parts)
