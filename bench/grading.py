"""Benchmark of grading: overhead of the queue and worker around a fake LLM that answers after a
fixed delay, with Redis and with the embedded filesystem broker; 200 concurrent gradings;
prompt size per grading for the bundled sets; offline grader speed.

    .venv/bin/python bench/grading.py [--sequential 40] [--burst 200] [--llm-delay 1.0]

Each broker gets its own temporary SQLite database, a real `celery worker` process (thread pool)
and, for Redis, Debian's redis-server on a loopback port. Overhead = (grade stored - answer
stored) - LLM delay, from the rows' own timestamps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, free_port, percentile

from tests.fault_stack import worker_command


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def run_broker(name: str, broker_url: str, work: Path, fake_url: str, args) -> dict:
    """Runs in a child process per broker (Django settings are read once per process)."""
    env = {
        **os.environ,
        "QUIZBANK_VAR_DIR": str(work),
        "QUIZBANK_DB_PATH": str(work / "db.sqlite3"),
        "QUIZBANK_INDEX_DIR": str(work / "index"),
        "DJANGO_SETTINGS_MODULE": "quizbank.settings",
        "OPENAI_API_KEY": "bench",
        "OPENAI_BASE_URL": fake_url,
        "QUIZBANK_GRADER_MODEL": "fake-model",
        "QUIZBANK_GRADINGS_PER_HOUR": "100000",
        "CELERY_BROKER_URL": broker_url,
    }
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            name,
            "--sequential",
            str(args.sequential),
            "--burst",
            str(args.burst),
            "--llm-delay",
            str(args.llm_delay),
            "--concurrency",
            str(args.concurrency),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from quizbank.bank.models import Question, QuestionSet
    from quizbank.grading.models import Attempt
    from quizbank.grading.services import submit_attempt
    from tests.practice_factories import make_user

    call_command("migrate", verbosity=0)
    connection.close()
    qs = QuestionSet.objects.create(slug="bench", title="Bench", order=1)
    question = Question.objects.create(
        id="bench-q",
        question_set=qs,
        title="为什么要除以根号 dk？",
        difficulty="medium",
        answer_md="参考答案",
        answer_html="<p>参考答案</p>",
        content_hash="x",
        key_points=[
            {"text": "方差随 d_k 增大", "weight": 2, "aliases": ["方差"]},
            {"text": "softmax 饱和", "weight": 1},
        ],
    )
    user = make_user("bench")
    worker = subprocess.Popen(
        worker_command("threads", args.concurrency, "--loglevel", "warning"),
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    from quizbank.grading import services

    def submit(i: int) -> Attempt:
        attempt = submit_attempt(user=user, question=question, text=f"方差变大导致 softmax 饱和（第 {i} 次）")
        services.queue(attempt)
        return attempt

    def wait_graded(ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while Attempt.objects.filter(pk__in=ids).exclude(status="graded").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("grading timed out")
            time.sleep(0.005)

    try:
        first = submit(-1)  # warm-up: worker start, jieba, first connection
        wait_graded([first.pk], 120)
        overheads = []
        for i in range(args.sequential):
            attempt = submit(i)
            wait_graded([attempt.pk], 60)
            attempt.refresh_from_db()
            stored = attempt.grade.created_at
            overheads.append((stored - attempt.created_at).total_seconds() - args.llm_delay)
        started = time.perf_counter()
        burst = [submit(10_000 + i).pk for i in range(args.burst)]
        wait_graded(burst, 600)
        burst_seconds = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    print(
        json.dumps(
            {
                "overhead_p50_ms": round(1000 * percentile(overheads, 50), 1),
                "overhead_p99_ms": round(1000 * percentile(overheads, 99), 1),
                "burst": args.burst,
                "burst_seconds": round(burst_seconds, 2),
                "burst_ideal_seconds": round(args.llm_delay * -(-args.burst // args.concurrency), 2),
                "worker": f"celery worker --pool threads --concurrency {args.concurrency}",
            }
        )
    )


def prompt_sizes() -> dict:
    """Prompt size of one grading for every bundled question (answer: its own core answer's first
    200 characters). No tokenizer can be downloaded here, so tokens are estimated: one per CJK
    character, one per four other characters (the usual rule of thumb for BPE vocabularies)."""
    from quizbank.bank.markup import parse_set
    from quizbank.grading.llm import build_messages

    sizes = []
    for path in sorted((ROOT / "content").glob("*.md")):
        for q in parse_set(path.read_text(encoding="utf-8"), str(path)).questions:
            messages = build_messages(
                question="\n\n".join(filter(None, [q.title, q.body])),
                reference="\n\n".join(filter(None, [q.answer, q.extended])),
                key_points=[{"text": k.text, "weight": k.weight} for k in q.key_points],
                answer=q.answer[:200],
            )
            text = "".join(m["content"] for m in messages)
            cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
            sizes.append(cjk + (len(text) - cjk) / 4)
    return {
        "questions": len(sizes),
        "estimated_prompt_tokens_median": round(statistics.median(sizes)),
        "estimated_prompt_tokens_p95": round(percentile(sizes, 95)),
    }


def offline_speed() -> dict:
    """The offline grader as the app runs it (glossary, bank weights, a rubric prepared once per
    question) on the 712 answers of tests/data/written_answers, against jieba's segmentation of
    the same answers measured in the same run (the grader segments every answer once)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizbank.settings")
    import csv

    import django

    django.setup()
    import jieba

    from quizbank.bank.glossary import load_glossary
    from quizbank.bank.markup import parse_set
    from quizbank.bank.rubric import alias_shares
    from quizbank.bank.search import warm_up
    from quizbank.grading import offline
    from quizbank.grading import text as tx

    warm_up()
    started = time.perf_counter()
    glossary = load_glossary(ROOT / "content" / "glossary")
    glossary_s = time.perf_counter() - started
    questions, shares = {}, {}
    for path in sorted((ROOT / "content").glob("*.md")):
        data = parse_set(path.read_text(encoding="utf-8"), str(path))
        shares.update(alias_shares(data.questions))
        questions.update({q.id: q for q in data.questions})
    started = time.perf_counter()
    docs = [
        tx.analyse("\n".join([q.title, q.answer, q.extended] + [k.text for k in q.key_points]), glossary).keys
        for q in questions.values()
    ]
    weights = tx.idf_weights(docs)
    weights_s = time.perf_counter() - started
    rows = []
    for path in sorted((ROOT / "tests" / "data" / "written_answers").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f))
    started = time.perf_counter()
    rubrics = {}
    for qid in {r["question_id"] for r in rows}:
        q = questions[qid]
        points = [{"text": k.text, "weight": k.weight, "aliases": list(k.aliases)} for k in q.key_points]
        rubrics[qid] = offline.prepare(
            points,
            reference=f"{q.answer}\n\n{q.extended}",
            glossary=glossary,
            weights=weights,
            alias_shares=shares[qid],
        )
    prepare_s = (time.perf_counter() - started) / len(rubrics)
    rounds, grade_times, cut_times = 3, [], []
    for _ in range(rounds):
        for r in rows:
            t0 = time.perf_counter()
            offline.grade(r["answer"], rubrics[r["question_id"]])
            t1 = time.perf_counter()
            list(jieba.cut(r["answer"]))
            cut_times.append(time.perf_counter() - t1)
            grade_times.append(t1 - t0)
    lengths = [len(r["answer"]) for r in rows]
    return {
        "answers": len(rows),
        "answer_chars_median": statistics.median(lengths),
        "glossary_load_ms": round(glossary_s * 1000),
        "bank_weights_ms": round(weights_s * 1000),
        "prepare_rubric_ms": round(prepare_s * 1000, 1),
        "grade_ms_p50": round(statistics.median(grade_times) * 1000, 2),
        "grade_ms_p99": round(percentile(grade_times, 99) * 1000, 2),
        "answers_per_second": round(len(grade_times) / sum(grade_times)),
        "jieba_cut_ms_p50": round(statistics.median(cut_times) * 1000, 3),
        "ratio_to_jieba_p50": round(statistics.median(grade_times) / statistics.median(cut_times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--sequential", type=int, default=40)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--llm-delay", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--offline-only", action="store_true", help="only the offline grader's speed")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.offline_only:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        print(json.dumps({"machine": machine, "offline_grader": offline_speed()}, indent=2, ensure_ascii=False))
        return
    from tests.fake_llm import FakeLLM, completion, grade_json

    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "llm_delay_s": args.llm_delay,
    }
    with FakeLLM() as fake:
        fake.reply(
            (200, completion(grade_json(80, ("covered", "covered"), ("方差变大", "softmax 饱和"))), args.llm_delay)
        )
        redis_bin = shutil.which("redis-server")
        port = free_port()
        redis = subprocess.Popen(
            [redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_port(port)
            report["redis"] = run_broker(
                "redis",
                f"redis://127.0.0.1:{port}/0",
                Path(tempfile.mkdtemp(prefix="qb-grade-redis-")),
                fake.base_url,
                args,
            )
        finally:
            redis.terminate()
            redis.wait(10)
        report["embedded_filesystem"] = run_broker(
            "filesystem", "filesystem://", Path(tempfile.mkdtemp(prefix="qb-grade-fs-")), fake.base_url, args
        )
    report["prompt"] = prompt_sizes()
    report["offline_grader"] = offline_speed()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
