"""Benchmark of the foundation: load, re-load, index build and search latency at N questions,
with SQLite FTS5 over the same jieba-segmented text measured in the same run as a reference.

    .venv/bin/python bench/foundation.py [--questions 10000] [--repeat 20]

Works in a temporary directory (its own SQLite database and index); prints a JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from common import django_in, percentile

QUERIES = [
    "LoRA 的秩怎么选",
    "KV cache",
    "为什么要除以根号dk",
    "MCP 传输方式",
    "GPTQ 和 AWQ 区别",
    "attention softmax",
    "量化 int8",
    "检索 召回 排序",
    "rerank",
    "显存 优化器",
    "位置编码 rope",
    "向量 hnsw",
    "分词",
    "蒸馏 对齐 奖励",
    "流水线 并行",
    "json rpc",
    "梯度 归一化",
    "faiss milvus",
    "专家 路由",
    "幻觉 评估",
]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def query_times_ms(search_fn, repeat: int, before=None) -> list[float]:
    """Each query of QUERIES timed `repeat` times over, in passes; `before` runs untimed ahead
    of each search."""
    samples = []
    for _ in range(repeat):
        for q in QUERIES:
            if before is not None:
                before()
            started = time.perf_counter()
            search_fn(q)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the query set")
    args = parser.parse_args()

    load_average = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="quizbank-bench-"))
    django_in(work)
    from quizbank.bank import search
    from quizbank.bank.loader import load_questions
    from quizbank.bank.models import Question
    from quizbank.bank.synthetic import synthetic_set

    content = work / "content"
    content.mkdir()
    files = max(1, args.questions // args.per_file)
    for i in range(files):
        n = args.questions // files + (1 if i < args.questions % files else 0)
        (content / f"set{i:03d}.md").write_text(synthetic_set(f"set{i:03d}", n, seed=i), encoding="utf-8")

    jieba_load = timed(search.warm_up)
    load_s = timed(lambda: load_questions([content], update_index=False))
    reload_s = timed(lambda: load_questions([content], update_index=False))
    index_s = timed(search.rebuild_index)
    index_mb = sum(f.stat().st_size for f in search.default_index().path.iterdir()) / 2**20
    assert Question.objects.count() == args.questions

    index = search.default_index()
    for q in QUERIES:  # warm: open the searcher, fill OS caches
        index.search(q, limit=10)
    whoosh_ms = query_times_ms(lambda q: index.search(q, limit=10), args.repeat)
    # The same with nothing kept between searches: each term's postings read from the index
    # again (a process's first searches, or terms not searched lately).
    cold_ms = query_times_ms(lambda q: index.search(q, limit=10), args.repeat, before=index.forget_postings)

    # Reference: SQLite FTS5 over the same fields, segmented by the same jieba analyser.
    fts = sqlite3.connect(":memory:")
    fts.execute("CREATE VIRTUAL TABLE q USING fts5(id UNINDEXED, title, body)")
    fts_build_started = time.perf_counter()
    rows = []
    for question in search.indexable_questions():
        doc = search.document(question)
        rows.append((doc["id"], *(" ".join(search.terms(doc[f], for_index=True)) for f in ("title", "body"))))
    fts.executemany("INSERT INTO q VALUES (?, ?, ?)", rows)
    fts.commit()
    fts_build_s = time.perf_counter() - fts_build_started

    def fts_search(text: str):
        words = list(dict.fromkeys(search.terms(text)))
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        return fts.execute(
            "SELECT id FROM q WHERE q MATCH ? ORDER BY bm25(q, 0, 3.0, 1.0) LIMIT 10", (match,)
        ).fetchall()

    for q in QUERIES:
        fts_search(q)
    fts_ms = query_times_ms(fts_search, args.repeat)

    report = {
        "load_average_at_start": load_average,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "questions": args.questions,
        "files": files,
        "jieba_load_s": round(jieba_load, 2),
        "load_s": round(load_s, 2),
        "reload_unchanged_s": round(reload_s, 3),
        "index_build_s": round(index_s, 2),
        "index_size_mb": round(index_mb, 1),
        "fts5_build_s": round(fts_build_s, 2),
        "queries": len(whoosh_ms),
        "whoosh_p50_ms": round(percentile(whoosh_ms, 50), 2),
        "whoosh_p99_ms": round(percentile(whoosh_ms, 99), 2),
        "whoosh_nothing_kept_p50_ms": round(percentile(cold_ms, 50), 2),
        "whoosh_nothing_kept_p99_ms": round(percentile(cold_ms, 99), 2),
        "fts5_p50_ms": round(percentile(fts_ms, 50), 2),
        "fts5_p99_ms": round(percentile(fts_ms, 99), 2),
        "ratio_p50": round(statistics.median(whoosh_ms) / statistics.median(fts_ms), 2),
        "ratio_p99": round(percentile(whoosh_ms, 99) / percentile(fts_ms, 99), 2),
        "ratio_nothing_kept_p50": round(statistics.median(cold_ms) / statistics.median(fts_ms), 2),
        "ratio_nothing_kept_p99": round(percentile(cold_ms, 99) / percentile(fts_ms, 99), 2),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
