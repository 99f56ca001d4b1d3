"""Faults, and what happens to the data: the real stack on loopback, scripted users who keep
submitting typed answers and loading pages, and one fault after another with a recovery check
between them.

    .venv/bin/python bench/faults.py [--minute 60] [--users 4] [--only kill,redis,...] [--json OUT]

The stack: a throwaway PostgreSQL (scripts/pg), redis-server as the Celery broker, gunicorn as
scripts/serve runs it, `celery worker --beat` as scripts/serve runs it (prefork, 2 processes) with
a short sweep, and the fake OpenAI-compatible server (tests/fake_llm.py) as the grader endpoint,
so every grading goes through the LLM path with the real `openai` client. Scenarios: kill (SIGKILL
the worker while gradings are in flight, start it again), redis (stopped ~20 s), postgres
(restarted), and the endpoint answering 500, hanging, truncated JSON or garbage for a "minute".

Per scenario: submissions attempted / saved (the user got the card with the attempt) / refused
(with the message the user read), lost (saved for the user but not in the database, or with other
text), graded twice (more than one grade row, or a second grading discarded: the worker logs it),
the pages that answered 5xx, the seconds from the end of the fault until every saved answer had a
final state, and who graded them (LLM, offline fallback, failed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from common import ROOT, percentile

from tests.fake_llm import FakeLLM
from tests.fault_stack import Postgres, Redis, Web, Worker, wait_for

SETTINGS = {
    "QUIZBANK_GRADER_TIMEOUT": "4",  # seconds per LLM request: a hang is longer than this
    "QUIZBANK_GRADER_DEADLINE": "12",  # seconds per grading run
    "QUIZBANK_GRADING_STUCK_SECONDS": "20",  # pending or grading this long: the sweep re-queues it
    "QUIZBANK_SWEEP_SECONDS": "4",
    "CELERY_VISIBILITY_TIMEOUT": "30",
    "QUIZBANK_GRADINGS_PER_HOUR": "100000",
}
GRADE_ID = re.compile(r'id="grade-(\d+)"')


# -- the stack ------------------------------------------------------------------------------
class Stack:
    def __init__(self, work: Path, fake: FakeLLM):
        self.work, self.fake = work, fake
        self.pg = Postgres(work / "pg")
        self.redis = Redis(work)
        self.env: dict = {}
        self.web = self.worker = None

    def start(self) -> None:
        url = self.pg.start()
        self.redis.start()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "quizbank.settings",
            "DATABASE_URL": url,
            "QUIZBANK_VAR_DIR": str(self.work / "var"),
            "QUIZBANK_INDEX_DIR": str(self.work / "var" / "index"),
            "CELERY_BROKER_URL": self.redis.url,
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": self.fake.base_url,
            "QUIZBANK_GRADER_MODEL": "fake-model",
            "PYTHONPATH": str(ROOT),
            **SETTINGS,
        }
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_questions", verbosity=0)  # the bundled bank, indexed
        self.worker = Worker(self.env, self.work)
        self.worker.start()
        self.web = Web(self.env, self.work)
        self.web.start()

    def stop(self) -> None:
        for part in (self.web, self.worker, self.redis):
            if part:
                part.stop()
        self.pg.stop()


def make_users(n: int) -> list[dict]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from quizbank.bank.models import Question, QuestionSet
    from quizbank.practice.models import Deck

    free = list(Question.objects.filter(qtype="free", retired_at__isnull=True).values_list("id", flat=True))
    users = []
    for i in range(n):
        user = get_user_model().objects.create_user(f"faults{i}", password="bench-password-123")
        deck = Deck.objects.create(user=user, name="faults", mode="typed")
        deck.topics.set(QuestionSet.objects.all())
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        users.append({"name": user.username, "session": session.session_key, "deck": deck.pk, "questions": free})
    return users


# -- scripted users -------------------------------------------------------------------------
class Journal:
    """What the users saw: every submission and every page, with the scenario it fell in."""

    def __init__(self):
        self.lock = threading.Lock()
        self.scenario = "warm-up"
        self.submits: list[dict] = []  # {scenario, text, outcome: saved|refused|no-response, attempt, status, message}
        self.pages: Counter = Counter()  # (scenario, page, status)

    def page(self, page: str, status: int | str) -> None:
        with self.lock:
            self.pages[(self.scenario, page, status)] += 1

    def submit(self, **row) -> None:
        with self.lock:
            self.submits.append({"scenario": self.scenario, "at": time.monotonic(), **row})


class User(threading.Thread):
    """Loads the study page and a question page, submits a typed answer, polls its grade; one
    round every `period` seconds."""

    def __init__(self, port: int, user: dict, journal: Journal, period: float, stop: threading.Event, offset: float):
        super().__init__(daemon=True)
        self.port, self.user, self.journal, self.period, self.stop = port, user, journal, period, stop
        self.offset = offset
        self.csrf = secrets.token_hex(16)
        self.n = 0
        self.conn = None

    def request(self, method: str, path: str, body: str | None = None, htmx: bool = False):
        headers = {"Cookie": f"sessionid={self.user['session']}; csrftoken={self.csrf}", "X-CSRFToken": self.csrf}
        if htmx:
            headers["HX-Request"] = "true"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2 or method == "POST":  # a POST is never sent twice behind the user's back
                    return "no-response", ""
        return "no-response", ""

    def run(self) -> None:
        from urllib.parse import urlencode

        last = None
        self.stop.wait(self.offset)  # users out of step, so that a fault of a few seconds meets some of them
        while not self.stop.is_set():
            started = time.monotonic()
            self.n += 1
            question = self.user["questions"][(self.n * 7 + hash(self.user["name"])) % len(self.user["questions"])]
            status, _ = self.request("GET", f"/practice/decks/{self.user['deck']}/")
            self.journal.page("study", status)
            status, _ = self.request("GET", f"/questions/{question}/")
            self.journal.page("question", status)
            text = f"[{self.user['name']}-{self.n}] 点积的方差随 d_k 增大，softmax 会饱和，所以要除以根号 d_k 来缩放。"
            body = urlencode({"question": question, "token": "new", "text": text, "duration_ms": 60000})
            sent = time.monotonic()
            status, html = self.request("POST", f"/practice/decks/{self.user['deck']}/answer/", body, htmx=True)
            ms = round((time.monotonic() - sent) * 1000)
            self.journal.page("answer", status)
            found = GRADE_ID.search(html) if status == 200 else None
            if found:
                last = int(found.group(1))
                self.journal.submit(text=text, outcome="saved", attempt=last, status=status, ms=ms)
            else:
                outcome = "no-response" if status == "no-response" else "refused"
                self.journal.submit(text=text, outcome=outcome, attempt=None, status=status, ms=ms, message=html[:200])
            if last:
                status, _ = self.request("GET", f"/practice/attempts/{last}/grade/", htmx=True)
                self.journal.page("grade", status)
            self.stop.wait(max(0.0, self.period - (time.monotonic() - started)))


# -- checking the data ----------------------------------------------------------------------
def final_states(ids: list[int]) -> dict[int, str]:
    from django.db import close_old_connections

    from quizbank.grading.models import Attempt

    close_old_connections()
    try:
        return dict(Attempt.objects.filter(pk__in=ids).values_list("pk", "status"))
    except Exception:  # noqa: BLE001 — the database is the fault being measured
        from django.db import connection

        connection.close()
        return {}


def wait_caught_up(journal: Journal, since_index: int, fault_end: float, limit: float) -> float | None:
    """Seconds from the fault's end until every answer saved so far is graded or failed."""
    with journal.lock:
        ids = [row["attempt"] for row in journal.submits if row["outcome"] == "saved"]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        states = final_states(ids)
        if len(states) == len(ids) and all(s in ("graded", "failed") for s in states.values()):
            return round(time.monotonic() - fault_end, 1)
        time.sleep(0.5)
    return None


def report(journal: Journal, scenario: str | None, worker_log: Path, fake: FakeLLM) -> dict:
    """What happened to the answers submitted in one window (None: the whole run)."""
    from django.db.models import Count

    from quizbank.grading.models import Attempt, Grade

    rows = [r for r in journal.submits if scenario in (None, r["scenario"])]
    saved = [r for r in rows if r["outcome"] == "saved"]
    attempts = {a.pk: a for a in Attempt.objects.filter(pk__in=[r["attempt"] for r in saved])}
    lost = [r for r in saved if r["attempt"] not in attempts or attempts[r["attempt"]].text != r["text"]]
    doubles = Grade.objects.filter(attempt__in=attempts).values("attempt").annotate(n=Count("id")).filter(n__gt=1)
    log = worker_log.read_text(errors="replace")
    discarded = sum(1 for a in attempts if f"attempt {a}: already graded, a second grading was discarded" in log)
    grades = Counter(Grade.objects.filter(attempt__in=attempts).values_list("grader", flat=True))
    failed = Counter(a.failure for a in attempts.values() if a.status == "failed")
    served_twice = sum(1 for r in saved if fake.served[r["text"]] > 1)
    refused = [r for r in rows if r["outcome"] != "saved"]
    return {
        "submissions": len(rows),
        "submit_ms_p50_max": [round(percentile([r["ms"] for r in rows], 50)), max(r["ms"] for r in rows)]
        if rows
        else [],
        "saved": len(saved),
        "refused": Counter(str(r["status"]) for r in refused),
        "refused_messages": sorted({r.get("message", "")[:80] for r in refused})[:4],
        "lost": len(lost),
        "graded_twice": doubles.count() + discarded,
        "llm_graded_twice": served_twice,
        "runs_over_1": sum(1 for a in attempts.values() if a.runs > 1),
        "graded_by": dict(grades),
        "failed": dict(failed),
        "pages_5xx": {
            f"{page} {status}": n
            for (sc, page, status), n in journal.pages.items()
            if scenario in (None, sc) and (status == "no-response" or int(status) >= 500)
        },
        "pages_ok": sum(n for (sc, _, status), n in journal.pages.items() if scenario in (None, sc) and status == 200),
    }


# -- the scenarios ---------------------------------------------------------------------------
def scenarios(stack: Stack, minute: float, redis_down: float, pg_down: float):
    fake = stack.fake

    def kill():
        fake.fault("ok", delay=3.0)  # slow: gradings are in flight when the worker dies
        wait_for(in_flight, 120, "a grading in flight")
        time.sleep(1)
        stack.worker.kill()
        fake.fault("ok", delay=0.2)
        time.sleep(1)  # scripts/serve starts a dead worker again after 1 s
        stack.worker.start()

    def redis():
        stack.redis.stop()
        time.sleep(redis_down)
        stack.redis.start()

    def postgres():
        stack.pg.stop()
        time.sleep(pg_down)
        stack.pg.start()

    def endpoint(mode):
        def fault():
            fake.fault(mode, hang=SETTINGS_FLOAT("QUIZBANK_GRADER_TIMEOUT") * 4)
            time.sleep(minute)
            fake.fault("ok", delay=0.2)

        return fault

    return {
        "kill": kill,
        "redis": redis,
        "postgres": postgres,
        "llm-500": endpoint("500"),
        "llm-hang": endpoint("hang"),
        "llm-truncated": endpoint("truncated"),
        "llm-garbage": endpoint("garbage"),
    }


def SETTINGS_FLOAT(name: str) -> float:  # noqa: N802
    return float(SETTINGS[name])


def graded_any() -> bool:
    from quizbank.grading.models import Grade

    return Grade.objects.exists()


def in_flight() -> bool:
    from quizbank.grading.models import Attempt

    return Attempt.objects.filter(status="grading").exists()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minute", type=float, default=60, help="how long an endpoint fault lasts (seconds)")
    parser.add_argument("--redis-down", type=float, default=20)
    parser.add_argument("--pg-down", type=float, default=5, help="seconds between stopping and starting PostgreSQL")
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--period", type=float, default=4.0, help="seconds per user round (4 requests)")
    parser.add_argument("--calm", type=float, default=5, help="seconds of normal load before each fault")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--json", default="", help="write the report here too")
    args = parser.parse_args()
    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="quizbank-faults-"))
    work.chmod(0o755)  # as root, scripts/pg runs the server as `postgres`, which must reach its folder
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in load],
        "settings": SETTINGS,
        "users": args.users,
        "period": args.period,
        "minute": args.minute,
        "scenarios": {},
    }
    with FakeLLM() as fake:
        fake.fault("ok", delay=0.2)
        stack = Stack(work, fake)
        stop = threading.Event()
        try:
            stack.start()
            journal = Journal()
            users = [
                User(stack.web.port, u, journal, args.period, stop, offset=i * args.period / args.users)
                for i, u in enumerate(make_users(args.users))
            ]
            for user in users:
                user.start()
            # the worker's pool processes read the bank's word weights when they start
            began = time.monotonic()
            wait_for(graded_any, 600, "the first grade", every=0.5)
            out["first_grade_after_start_s"] = round(time.monotonic() - began, 1)
            out["warm_up_caught_up_s"] = wait_caught_up(journal, 0, time.monotonic(), 300)
            chosen = scenarios(stack, args.minute, args.redis_down, args.pg_down)
            names = [n for n in chosen if not args.only or n in args.only.split(",")]
            timings = {}
            for name in names:
                with journal.lock:
                    journal.scenario = name
                time.sleep(args.calm)
                began = time.monotonic()
                print(f"[{time.strftime('%H:%M:%S')}] {name}: fault", file=sys.stderr, flush=True)
                chosen[name]()
                fault_end = time.monotonic()
                with journal.lock:  # what users submit from now on belongs to the recovery
                    journal.scenario = f"{name} (recovery)"
                caught_up = wait_caught_up(journal, 0, fault_end, 300)
                timings[name] = {"fault_seconds": round(fault_end - began, 1), "caught_up_s": caught_up}
                print(f"  {name}: {timings[name]}", file=sys.stderr, flush=True)
            stop.set()
            for user in users:
                user.join(40)
            out["all_final_after_s"] = wait_caught_up(journal, 0, time.monotonic(), 300)
            for name in names:
                for window in (name, f"{name} (recovery)"):
                    out["scenarios"][window] = {
                        **timings.get(window, {}),
                        **report(journal, window, stack.worker.log, fake),
                    }
            out["scenarios"]["total"] = report(journal, None, stack.worker.log, fake)
        finally:
            stop.set()
            stack.stop()
    text = json.dumps(out, indent=2, ensure_ascii=False, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
