"""Benchmark of a mock-interview turn, in process, on the bundled bank (SQLite, offline grader).

    .venv/bin/python bench/interview.py [--interviews 30]

For each of N interviews (track rag-engineer-round1, the simulated weak candidate, so most
answers get a follow-up): the time of `services.answer` (save the attempt, charge it, judge it
offline for the follow-up decision, ask the next turn), of GET on the turn page and, at the
end, of GET on the report card (Django test client, full middleware and templates). Reference
in the same run: GET on a question page (one row, stored HTML) and one offline grading.
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
    parser.add_argument("--interviews", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        django_in(Path(tmp))
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        from quizbank.bank.loader import load_questions
        from quizbank.grading import rubrics
        from quizbank.interviews import candidates, services, turns
        from quizbank.interviews.loader import load_tracks
        from quizbank.interviews.models import Track

        settings.QUIZBANK_GRADINGS_PER_HOUR = 10**6
        load_questions([settings.QUIZBANK_CONTENT_DIR])
        load_tracks()
        track = Track.objects.get(slug="rag-engineer-round1")
        user = get_user_model().objects.create_user("bench", password="bench-password-1")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        rubrics.bank_weights()
        times: dict[str, list[float]] = {
            "answer": [],
            "turn_page": [],
            "report_page": [],
            "question_page": [],
            "grade": [],
        }
        follow_ups = 0

        def timed(key, fn, *args, **kwargs):
            started = time.perf_counter()
            result = fn(*args, **kwargs)
            times[key].append((time.perf_counter() - started) * 1000)
            return result

        for seed in range(args.interviews):
            interview = services.start(user, services.Setup.from_track(track, seed=seed, weak_spots=False))
            while (turn := turns.current_turn(interview)) is not None:
                response = timed("turn_page", client.get, f"/interview/{interview.pk}/")
                assert response.status_code == 200, response.status_code
                points = turn.follow_up["key_points"] if turn.follow_up else turn.question.key_points
                reference = turn.follow_up["answer"] if turn.follow_up else turn.question.answer_md
                text = candidates.reply("weak", answer_md=reference, key_points=points)
                timed("answer", services.answer, interview, turn.number, text, queue=False)
                follow_ups += turn.parent_id is not None
                q = turn.question
                timed("question_page", client.get, f"/questions/{q.id}/")
                timed("grade", rubrics.grade, q, text)
                interview.refresh_from_db()
            response = timed("report_page", client.get, f"/interview/{interview.pk}/report/")
            assert response.status_code == 200
        summary = {
            key: {"n": len(v), "p50_ms": round(percentile(v, 50), 2), "p99_ms": round(percentile(v, 99), 2)}
            for key, v in times.items()
        }
        ref = summary["question_page"]["p50_ms"]
        result = {
            "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_version()}".strip(),
            "interviews": args.interviews,
            "follow_up_turns": follow_ups,
            "timings": summary,
            "ratio_to_question_page_p50": {k: round(v["p50_ms"] / ref, 2) for k, v in summary.items()},
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
