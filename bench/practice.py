"""Benchmark of practice: "next card" and "rate" through a real server (gunicorn, 2 gthread workers),
with a minimal Django view measured in the same run as the ceiling.

    .venv/bin/python bench/practice.py [--seconds 20] [--clients 4]

Two scenarios: one user with 10,000 due cards, and 100 users with 1,000 due cards each.
A Python load client on loopback (keep-alive connections, one thread per client, each client a
different signed-in user) loops: GET the next card (htmx partial), POST a rating, which answers
with the next card. Server time is what Django reports in a Server-Timing header (middleware
around the whole request); throughput is completed requests per second for the same clients.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from common import ROOT, analyze_tables, django_in, free_port, machine, percentile

BENCH = Path(__file__).resolve().parent

SETTINGS = f"""
from quizbank.settings import *  # noqa: F401,F403
ROOT_URLCONF = "bench_urls"
MIDDLEWARE = ["bench_urls.ServerTiming", *MIDDLEWARE]  # noqa: F405
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], {str(BENCH / "templates")!r}]  # noqa: F405
"""
URLS = """
import time
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path


class ServerTiming:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
        return response


def minimal(request):
    return HttpResponse("ok")


def plain(request):
    # the ceiling of bench/load.py: a real template (7.6 KB of HTML) over one real query
    from quizbank.bank.models import QuestionSet

    return render(request, "bench/plain.html", {"sets": list(QuestionSet.objects.order_by("order", "slug"))})


urlpatterns = [
    path("bench/minimal/", minimal),
    path("bench/plain/", plain),
    path("", include("quizbank.urls")),
]
"""


def setup_data(work: Path) -> dict:
    django_in(work)
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from quizbank.practice.models import Deck, PracticeSettings
    from tests.practice_factories import make_review_cards, make_set

    now = timezone.now()
    qs = make_set("bench", 10_000)
    users = {}

    def make_user(name: str, n_cards: int, reviews_per_day: int = 200) -> dict:
        user = get_user_model().objects.create_user(name, password="bench-password-123")
        PracticeSettings.objects.create(user=user, new_per_day=0, reviews_per_day=reviews_per_day)
        deck = Deck.objects.create(user=user, name="bench")
        deck.topics.set([qs])
        make_review_cards(user, qs, now, overdue_days=2, limit=n_cards)
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return {"name": name, "session": session.session_key, "deck": deck.pk}

    users["solo"] = [make_user("solo", 10_000, reviews_per_day=100_000)]
    users["many"] = [make_user(f"user{i:03d}", 1_000) for i in range(100)]
    analyze_tables()
    return users


# gunicorn closes a keep-alive connection idle for 2 s (its `keepalive`, not set in gunicorn.conf.py)
IDLE_KEPT = 1.5


class Client:
    """One user's keep-alive connection. `think`: a pause before each request, drawn at random
    around that many seconds (a person reading the card); 0 sends the next request at once."""

    def __init__(self, port: int, user: dict, think: float = 0.0):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.think, self.done_at = think, time.perf_counter()
        self.csrf = user.get("csrf") or secrets.token_hex(16)
        self.user = user
        self.headers = {
            "Cookie": f"sessionid={user['session']}; csrftoken={self.csrf}",
            "HX-Request": "true",
            "X-CSRFToken": self.csrf,
            "Host": "127.0.0.1",
        }

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, float]:
        if self.think:
            time.sleep(random.expovariate(1 / self.think))
            if time.perf_counter() - self.done_at > IDLE_KEPT:
                self.conn.close()  # the server has closed it (a browser opens a new one too)
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        self.response = response = self.conn.getresponse()
        text = response.read().decode()
        self.done_at = time.perf_counter()
        self.client_ms = (self.done_at - started) * 1000
        timing = response.getheader("Server-Timing", "app;dur=nan")
        return response.status, text, float(timing.split("dur=")[1])


CARD_RE = re.compile(r'data-question="([^"]+)"')
TOKEN_RE = re.compile(r"token=([0-9a-z]+)")
ATTEMPT_RE = re.compile(r'name="attempt" value="([0-9]+)"')


class Samples:
    """Per action: server time (the Server-Timing header) and client-side time; requests; errors."""

    def __init__(self):
        self.server: dict[str, list[float]] = {}
        self.client: dict[str, list[float]] = {}
        self.requests = 0
        self.errors: list[str] = []

    def add(self, action: str, client: Client, server_ms: float, status: int, expected: int = 200) -> None:
        self.server.setdefault(action, []).append(server_ms)
        self.client.setdefault(action, []).append(client.client_ms)
        self.requests += 1
        if status != expected:
            self.errors.append(f"{action} {status}")

    def merge(self, other: Samples) -> None:
        for mine, theirs in ((self.server, other.server), (self.client, other.client)):
            for action, values in theirs.items():
                mine.setdefault(action, []).extend(values)
        self.requests += other.requests
        self.errors.extend(other.errors)

    def summary(self, elapsed: float) -> dict:
        result = {"requests": self.requests, "rps": round(self.requests / elapsed, 1)}
        result["load_average_after"] = round(os.getloadavg()[0], 2)
        result["errors"] = len(self.errors)
        if self.errors:
            result["first_errors"] = self.errors[:5]
        for action, values in self.server.items():
            client = self.client[action]
            result[action] = {
                "n": len(values),
                "server_p50_ms": round(percentile(values, 50), 2),
                "server_p99_ms": round(percentile(values, 99), 2),
                "client_p50_ms": round(percentile(client, 50), 2),
                "client_p99_ms": round(percentile(client, 99), 2),
            }
        return result


def run_threads(clients: int, seconds: float, loop) -> dict:
    """Run `loop(index, samples, stop_at)` in `clients` threads; the merged samples' summary."""
    total, lock = Samples(), threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(index: int):
        local = Samples()
        try:
            loop(index, local, stop_at)
        except (OSError, AttributeError, IndexError) as exc:  # a timeout, a page without what it should have
            local.errors.append(f"client {index}: {type(exc).__name__}: {exc}")
        with lock:
            total.merge(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total.summary(time.perf_counter() - started)


def next_and_rate(client: Client, samples: Samples, typed: str = "") -> bool | None:
    """GET the next card, POST "Good" on it (after a typed answer to it, if `typed`). False if the
    user has no card left; None on an error."""
    deck = client.user["deck"]
    status, html, dur = client.request("GET", f"/practice/decks/{deck}/")
    samples.add("next", client, dur, status)
    question, token = CARD_RE.search(html), TOKEN_RE.search(html)
    if status == 200 and not question:
        return False
    if status != 200 or not token:
        return None
    fields = f"question={question.group(1)}&token={token.group(1)}&duration_ms=5000"
    if typed:
        status, html, dur = client.request("POST", f"/practice/decks/{deck}/answer/", f"{fields}&text={quote(typed)}")
        samples.add("answer", client, dur, status)
        attempt = ATTEMPT_RE.search(html)
        if status != 200 or not attempt:
            return None
        fields += f"&attempt={attempt.group(1)}"
    status, html, dur = client.request("POST", f"/practice/decks/{deck}/rate/", f"{fields}&rating=3")
    samples.add("rate", client, dur, status)
    return status == 200


def run_clients(port: int, users: list[dict], seconds: float, clients: int, kind: str, think: float = 0.0) -> dict:
    """kind 'practice': GET next card then POST a rating, in a loop; kind 'minimal' or 'plain': GET
    the minimal view or the plain page (bench/load.py's ceiling)."""

    def loop(index: int, samples: Samples, stop_at: float) -> None:
        mine = users[index::clients] or users  # each client studies as its own users, in turn
        turn = 0
        client = Client(port, mine[0], think)
        while time.perf_counter() < stop_at:
            if kind != "practice":
                status, _, dur = client.request("GET", f"/bench/{kind}/")
                samples.add(kind, client, dur, status)
                continue
            done = next_and_rate(client, samples)
            if done is None:
                break
            if done is False:  # this user is done for today: the next one studies
                turn += 1
                if turn >= len(mine):
                    samples.errors.append("every user ran out of cards")
                    break
                client = Client(port, mine[turn], think)

    return run_threads(clients, seconds, loop)


def write_bench_app(work: Path) -> None:
    """The benchmark's settings and URLconf (Server-Timing, the minimal view, the plain page) in `work`."""
    (work / "bench_settings.py").write_text(SETTINGS)
    (work / "bench_urls.py").write_text(URLS)


def start_server(work: Path, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """gunicorn as scripts/serve runs it, on a free loopback port, with the benchmark's URLconf."""
    port = free_port()
    env = {
        **os.environ,
        **(env or {}),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{work}:{ROOT}",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),  # what scripts/serve runs: 2 gthread workers, --preload
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        cwd=str(ROOT),
        stdout=(work / "gunicorn.log").open("w"),  # the access log
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = time.perf_counter()
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited") from None
            time.sleep(0.1)
    # a worker accepts connections once warmed up (gunicorn.conf.py's post_worker_init): the first
    # answer says one is; the other started at the same time, so give it as long again
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", "/bench/minimal/", headers={"Host": "127.0.0.1"})
    connection.getresponse().read()
    connection.close()
    time.sleep(time.perf_counter() - started)
    return server, port


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (gunicorn and its workers, celery and its pool), then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="quizbank-practice-bench-"))
    write_bench_app(work)
    users = setup_data(work)
    server, port = start_server(work)
    try:
        run_clients(port, users["many"], 2, args.clients, "minimal")  # warm-up
        # One user studies in one tab (one client); 100 users study at once (N clients). Each is
        # compared with the minimal view under the same number of clients.
        report = {
            **machine(),
            "server": "gunicorn (gunicorn.conf.py): gthread, {} workers x {} threads, --preload, SQLite (WAL)".format(
                os.environ.get("WEB_CONCURRENCY", "2"), os.environ.get("WEB_THREADS", "4")
            ),
            "seconds_per_run": args.seconds,
            "minimal_view_1_client": run_clients(port, users["many"], args.seconds, 1, "minimal"),
            "one_user_10k_cards_1_client": run_clients(port, users["solo"], args.seconds, 1, "practice"),
            f"minimal_view_{args.clients}_clients": run_clients(
                port, users["many"], args.seconds, args.clients, "minimal"
            ),
            f"100_users_1k_cards_{args.clients}_clients": run_clients(
                port, users["many"], args.seconds, args.clients, "practice"
            ),
        }
        for key, ceiling in (
            ("one_user_10k_cards_1_client", "minimal_view_1_client"),
            (f"100_users_1k_cards_{args.clients}_clients", f"minimal_view_{args.clients}_clients"),
        ):
            report[key]["throughput_vs_minimal"] = round(report[key]["rps"] / report[ceiling]["rps"], 2)
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        stop(server)


if __name__ == "__main__":
    main()
