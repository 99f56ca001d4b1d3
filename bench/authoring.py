"""Benchmark of the editor, in process, on the bundled bank (SQLite, offline grader).

    .venv/bin/python bench/authoring.py [--rounds 40]

Each round takes a bundled question, adds three sample answers (its key points said as
sentences as the strong one, half of them as the partial one, an unrelated claim as the wrong
one) and measures, through the Django test client with full middleware and templates: the live
preview (parse, validate against the bank, render, similar titles by search, the rubric test of
three samples), a save (of a one-word edit, without the samples), a submit and a publish (new
version, revision, index update). Reference in the same run: GET on a question page (one row,
stored HTML).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from common import django_in, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        django_in(Path(tmp))
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        from quizbank.authoring import services
        from quizbank.authoring.models import Draft
        from quizbank.bank.loader import load_questions
        from quizbank.bank.models import Question
        from quizbank.grading import rubrics

        load_questions([settings.QUIZBANK_CONTENT_DIR])
        boss = get_user_model().objects.create_user("boss", password="bench-password-1", is_staff=True)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(boss)
        rubrics.bank_weights()
        times: dict[str, list[float]] = {"preview": [], "save": [], "submit": [], "publish": [], "question_page": []}

        def timed(key, fn, *a, **kw):
            started = time.perf_counter()
            result = fn(*a, **kw)
            times[key].append((time.perf_counter() - started) * 1000)
            return result

        questions = list(Question.objects.active().filter(qtype="free").order_by("id")[: args.rounds])
        for q in questions:
            draft = services.start_edit(user=boss, question=q)
            half = "；".join(k["text"] for k in q.key_points[: max(1, len(q.key_points) // 2)])
            strong = "。".join(k["text"] for k in q.key_points)
            wrong = "这个问题和模型训练无关，主要看硬件。"
            samples = f"\n### 样例答案\n\n- strong: {strong}\n- partial: {half}\n- wrong: {wrong}\n"
            source = draft.source.rstrip("\n") + "\n" + samples
            data = {"source": source, "question_set": q.question_set.slug, "draft": draft.pk}
            response = timed("preview", client.post, "/author/preview/", data)
            assert response.status_code == 200, response.status_code
            # samples kept from bare key points read as verbatim (flagged): the saved edit has none
            edited = draft.source.replace("### 回答重点\n\n", "### 回答重点\n\n（修订）", 1)
            timed("save", client.post, f"/author/drafts/{draft.pk}/", {"source": edited})
            timed("submit", client.post, f"/author/drafts/{draft.pk}/submit/")
            draft = Draft.objects.get(pk=draft.pk)
            if draft.state == "review":
                timed("publish", client.post, f"/author/drafts/{draft.pk}/publish/", {"revision": draft.revision})
            timed("question_page", client.get, f"/questions/{q.id}/")
        summary = {
            key: {"n": len(v), "p50_ms": round(percentile(v, 50), 2), "p99_ms": round(percentile(v, 99), 2)}
            for key, v in times.items()
            if v
        }
        ref = summary["question_page"]["p50_ms"]
        print(
            json.dumps(
                {
                    "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_version()}".strip(),
                    "rounds": len(questions),
                    "timings": summary,
                    "ratio_to_question_page_p50": {k: round(v["p50_ms"] / ref, 2) for k, v in summary.items()},
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
