"""Load benchmark of the whole stack: gunicorn + PostgreSQL + Redis + a Celery worker on loopback,
scripted users, and a plain page measured in the same run as the ceiling.

    .venv/bin/python bench/load.py [--seconds 20] [--clients 1,4,8]

Starts its own servers and stops them: a throwaway PostgreSQL (scripts/pg), Debian's redis-server
(broker and cache), `celery worker` as scripts/serve runs it (offline grader), gunicorn with
gunicorn.conf.py and the benchmark's URLconf (bench/practice.py: Server-Timing middleware, the
plain page). Loads the real bank (content/) and its tracks, plus bench/practice.py's synthetic
data: 10,000 questions, 100 users with 1,000 due cards each, one user with 10,000.

Each scripted user signs in through the login form (real CSRF), then loops: next card, a typed
answer (graded by the worker in the background), rate, search, open a question, one mock
interview turn. For every number of clients the same server serves, in turn, the plain page,
"next card + rate" alone, and the whole script; every typed answer must end up graded.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from common import ROOT, free_port, machine
from foundation import QUERIES
from grading import wait_port
from practice import (
    Client,
    Samples,
    next_and_rate,
    run_clients,
    run_threads,
    setup_data,
    start_server,
    stop,
    write_bench_app,
)

PASSWORD = "bench-password-123"  # bench/practice.py's users
TRACK = "rag-engineer-round1"
CSRF_FIELD_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TURN_RE = re.compile(r'name="turn" value="([0-9]+)"')
ANSWER = "缩放是为了让点积的方差不随维度变大，softmax 不会饱和，梯度更稳定。要点：方差、饱和。"


def cookies_of(response) -> dict[str, str]:
    return {
        value.split("=", 1)[0]: value.split("=", 1)[1].split(";", 1)[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie"
    }


def sign_in(port: int, user: dict, samples: Samples) -> Client:
    """Django's login form, as a browser sends it: GET for the CSRF cookie and field, then POST."""
    client = Client(port, {"session": "", "deck": user["deck"]})
    del client.headers["HX-Request"]
    client.headers["Cookie"] = ""
    status, html, dur = client.request("GET", "/accounts/login/")
    samples.add("login_form", client, dur, status)
    csrf = cookies_of(client.response)["csrftoken"]
    client.headers["Cookie"] = f"csrftoken={csrf}"
    body = urlencode(
        {"csrfmiddlewaretoken": CSRF_FIELD_RE.search(html).group(1), "username": user["name"], "password": PASSWORD}
    )
    status, _, dur = client.request("POST", "/accounts/login/", body)
    samples.add("login", client, dur, status, expected=302)
    cookies = {"csrftoken": csrf, **cookies_of(client.response)}  # Django rotates the token at login
    return Client(port, {**user, "session": cookies["sessionid"], "csrf": cookies["csrftoken"]})


def sign_in_all(port: int, users: list[dict], clients: int) -> tuple[list[dict], dict]:
    """Every user signs in once (spread over the clients); their sessions for the runs after."""
    signed: list[dict] = []

    def loop(index: int, samples: Samples, _stop_at: float) -> None:
        for user in users[index::clients]:
            signed.append(sign_in(port, user, samples).user)

    summary = run_threads(clients, 0, loop)
    return sorted(signed, key=lambda u: u["name"]), summary


def interview_turn(client: Client, samples: Samples, state: dict) -> None:
    """One answered turn of a mock interview; starts one (or resumes the open one) when needed."""
    if not state.get("interview"):
        body = urlencode({"track": TRACK, "length": "track", "level": "mid", "style": "standard", "mode": "exam"})
        status, _, dur = client.request("POST", "/interview/", body)
        samples.add("interview_start", client, dur, status, expected=302)
        state["interview"] = client.response.getheader("Location", "").rstrip("/").rsplit("/", 1)[-1]
        state["turn"] = None
    path = f"/interview/{state['interview']}/"
    if state.get("turn") is None:
        status, html, dur = client.request("GET", path)
        samples.add("interview_page", client, dur, status)
        state["turn"] = TURN_RE.search(html).group(1)
    body = urlencode({"turn": state["turn"], "action": "answer", "text": ANSWER, "duration_ms": 60_000})
    status, html, dur = client.request("POST", path + "answer/", body)
    over = status == 204 and client.response.getheader("HX-Redirect")
    samples.add("interview_turn", client, dur, 200 if over else status)
    turn = TURN_RE.search(html)
    state["turn"] = turn.group(1) if turn else None
    if over:
        state["interview"] = None


def run_script(
    port: int, users: list[dict], seconds: float, clients: int, question_ids: list[str], think: float = 0.0
) -> dict:
    """The whole script per scripted user, in a loop, each client studying as its own users in turn."""

    def loop(index: int, samples: Samples, stop_at: float) -> None:
        mine = users[index::clients]
        turn, i = 0, 0
        client = Client(port, mine[0], think)
        while time.perf_counter() < stop_at:
            i += 1
            done = next_and_rate(client, samples, typed=f"{ANSWER}（第 {index}-{i} 次）")
            if done is None:
                break
            if done is False:
                turn += 1
                if turn >= len(mine):
                    samples.errors.append("every user ran out of cards")
                    break
                client = Client(port, mine[turn], think)
                continue
            status, _, dur = client.request("GET", f"/search/?q={quote(QUERIES[i % len(QUERIES)])}")
            samples.add("search", client, dur, status)
            question = question_ids[(index * 7919 + i) % len(question_ids)]
            status, _, dur = client.request("GET", f"/questions/{question}/")
            samples.add("question", client, dur, status)
            interview_turn(client, samples, client.user.setdefault("interview_state", {}))

    return run_threads(clients, seconds, loop)


def wait_graded(since_id: int, timeout: float = 300) -> dict:
    """Every answer typed since `since_id` graded by the worker? (Counts; waits for the backlog.)"""
    from django.db.models import Count

    from quizbank.grading.models import Attempt

    started = time.perf_counter()
    attempts = Attempt.objects.filter(pk__gt=since_id)
    while attempts.filter(status__in=("pending", "grading")).exists() and time.perf_counter() - started < timeout:
        time.sleep(0.2)
    counts = {row["status"]: row["n"] for row in attempts.values("status").annotate(n=Count("id"))}
    drained = round(time.perf_counter() - started, 1)
    return {"typed_answers": sum(counts.values()), **counts, "backlog_drained_s": drained}


def start_postgres(data: Path) -> str:
    out = subprocess.run(
        [str(ROOT / "scripts/pg"), "start", str(data), str(free_port())], check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def start_redis() -> tuple[subprocess.Popen, int]:
    port = free_port()
    redis = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_port(port)
    return redis, port


def start_worker(work: Path) -> subprocess.Popen:
    """The Celery worker as scripts/serve starts it (prefork, 2 processes, with beat)."""
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "quizbank", "worker", "--beat", "--loglevel", "warning"]
        + ["--concurrency", "2", "--schedule", str(work / "beat-schedule")],
        cwd=ROOT,
        stdout=(work / "celery-worker.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def load_bank() -> list[str]:
    """The real bank and its tracks (as scripts/run loads them); the ids of its questions."""
    from django.core.management import call_command
    from django.db import connection

    from quizbank.bank.models import Question

    call_command("load_questions", verbosity=0, stdout=io.StringIO())
    call_command("load_tracks", verbosity=0, stdout=io.StringIO())
    ids = list(Question.objects.active().exclude(question_set__slug="bench").values_list("id", flat=True))
    connection.close()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20, help="per run")
    parser.add_argument("--clients", default="1,4,8", help="numbers of concurrent scripted users")
    parser.add_argument("--users", type=int, default=24, help="how many of the 100 users sign in and study")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a user pauses before each request (0: none, every client always has one in flight)",
    )
    parser.add_argument("--logs", type=Path, help="copy gunicorn's and the worker's logs to this folder at the end")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on `kill` too
    report = {**machine(), "seconds_per_run": args.seconds, "think_s": args.think}
    work = Path(tempfile.mkdtemp(prefix="quizbank-load-bench-"))
    work.chmod(0o755)  # scripts/pg runs PostgreSQL as the postgres user when we are root
    pg_data = work / "pg"
    database_url = start_postgres(pg_data)
    redis, redis_port = start_redis()
    worker = server = None
    try:
        os.environ.pop("OPENAI_API_KEY", None)  # the offline grader
        os.environ.update(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
            QUIZBANK_CACHE_URL=f"redis://127.0.0.1:{redis_port}/1",
            # scripted users answer far more than the 60 gradings an hour a person may ask for
            QUIZBANK_GRADINGS_PER_HOUR="1000000",
        )
        write_bench_app(work)
        started = time.perf_counter()
        users = setup_data(work)  # migrates; 10,000 questions, 100 users x 1,000 cards, 1 x 10,000
        question_ids = load_bank()
        from django.db import connection

        from quizbank.practice.models import PracticeSettings

        report["setup_s"] = round(time.perf_counter() - started, 1)
        worker = start_worker(work)
        server, port = start_server(work)
        time.sleep(10)  # the Celery worker's processes warm up too (grading/tasks.py): let them finish
        report["load_average_at_first_run"] = [round(x, 2) for x in os.getloadavg()]
        report["server"] = "gunicorn (gunicorn.conf.py): gthread, {} workers x {} threads, --preload".format(
            os.environ.get("WEB_CONCURRENCY", "2"), os.environ.get("WEB_THREADS", "4")
        )
        report["stack"] = "PostgreSQL (scripts/pg), Redis (broker, cache), celery worker (2 processes, offline grader)"
        run_clients(port, users["many"], 2, 4, "plain")  # warm-up
        # each login costs Django's password hash (about a second of CPU here): 24 users sign in,
        # and may review all their 1,000 cards a day
        for prefs in PracticeSettings.objects.filter(user__username__startswith="user"):
            prefs.reviews_per_day = 1000
            prefs.save()  # not update(): the save tells the cache (quizbank.practice.kept)
        connection.close()
        signed, report["sign_in"] = sign_in_all(port, users["many"][: args.users] + users["solo"], 4)
        solo = [u for u in signed if u["name"] == "solo"]
        many = [u for u in signed if u["name"] != "solo"]
        for clients in [int(c) for c in args.clients.split(",")]:
            studying = solo if clients == 1 else many  # one user with 10,000 cards studies alone
            run = {
                "plain_page": run_clients(port, many, args.seconds, clients, "plain", args.think),
                "next_card_and_rate": run_clients(port, studying, args.seconds, clients, "practice", args.think),
                "whole_script": run_script(port, many, args.seconds, clients, question_ids, args.think),
            }
            run["next_card_and_rate_vs_plain"] = round(run["next_card_and_rate"]["rps"] / run["plain_page"]["rps"], 2)
            report[f"{clients}_clients"] = run
        report["grading"] = wait_graded(0)
    finally:
        for process in (server, worker):
            if process is not None:
                stop(process)
        redis.terminate()
        redis.wait(10)
        subprocess.run([str(ROOT / "scripts/pg"), "stop", str(pg_data)], check=False)
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in ("gunicorn.log", "celery-worker.log"):
                if (work / log).exists():
                    shutil.copy(work / log, args.logs / log)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
