"""What a process that starts (a restarted Celery worker, each of its pool processes, each web
worker) spends before it can grade offline: the bank's word weights, computed or read from the
cache (`grading.rubrics.bank_weights`), each in a fresh process on the bundled bank.

    .venv/bin/python bench/warm_start.py [--repeat 3] [--cache-url redis://127.0.0.1:6379/5]

Without --cache-url the embedded cache (files under the var folder), as a first run has it.
Reference in the same run: a fresh process that sets Django up and counts the questions.
Prints a JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, django_in, machine

CHILD = """
import json, sys, time
import django
django.setup()
from django.core.cache import cache
from quizbank.bank.models import Question
from quizbank.grading import rubrics
what = sys.argv[1]
if what == "computed":
    cache.clear()
started = time.perf_counter()
if what == "reference":
    Question.objects.count()
else:
    rubrics.bank_weights()
print(json.dumps({"s": time.perf_counter() - started, "units": len(rubrics._weights.get("value") or {})}))
"""


def child(env: dict, what: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache-url", help="a Redis URL (QUIZBANK_CACHE_URL); default: the embedded file cache")
    args = parser.parse_args()
    print(json.dumps(machine()))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.cache_url:
            os.environ["QUIZBANK_CACHE_URL"] = args.cache_url
        django_in(work)
        from django.conf import settings

        from quizbank.bank.loader import load_questions

        load_questions([settings.QUIZBANK_CONTENT_DIR], update_index=False)
        env = {**os.environ}
        runs: dict[str, list[float]] = {"reference": [], "computed": [], "from the cache": []}
        units = 0
        for _ in range(args.repeat):  # interleaved: a noisy machine weighs on all three alike
            runs["reference"].append(child(env, "reference")["s"])
            computed = child(env, "computed")  # clears the cache first
            runs["computed"].append(computed["s"])
            units = computed["units"]
            runs["from the cache"].append(child(env, "cached")["s"])
        report = {
            "cache": "redis" if args.cache_url else "files",
            "units": units,
            "load_average_after": os.getloadavg(),
            **{f"{k}_s_median": round(statistics.median(v), 3) for k, v in runs.items()},
            **{f"{k}_s_all": [round(x, 3) for x in v] for k, v in runs.items()},
        }
        report["computed_vs_cache"] = round(report["computed_s_median"] / report["from the cache_s_median"], 1)
        print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
