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
import platform
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, django_in, free_port, percentile

BENCH = Path(__file__).resolve().parent

SETTINGS = """
from quizbank.settings import *  # noqa: F401,F403
ROOT_URLCONF = "bench_urls"
MIDDLEWARE = ["bench_urls.ServerTiming", *MIDDLEWARE]  # noqa: F405
"""
URLS = """
import time
from django.http import HttpResponse
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


urlpatterns = [path("bench/minimal/", minimal), path("", include("quizbank.urls"))]
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
        return {"session": session.session_key, "deck": deck.pk}

    users["solo"] = [make_user("solo", 10_000, reviews_per_day=100_000)]
    users["many"] = [make_user(f"user{i:03d}", 1_000) for i in range(100)]
    return users


class Client:
    def __init__(self, port: int, user: dict):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.csrf = secrets.token_hex(16)
        self.user = user
        self.headers = {
            "Cookie": f"sessionid={user['session']}; csrftoken={self.csrf}",
            "HX-Request": "true",
            "X-CSRFToken": self.csrf,
            "Host": "127.0.0.1",
        }

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, float]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        timing = response.getheader("Server-Timing", "app;dur=nan")
        return response.status, text, float(timing.split("dur=")[1])


CARD_RE = re.compile(r'data-question="([^"]+)"')
TOKEN_RE = re.compile(r"token=([0-9a-z]+)")


def run_clients(port: int, users: list[dict], seconds: float, clients: int, kind: str) -> dict:
    """kind 'practice': GET next card then POST a rating, in a loop; kind 'minimal': GET a minimal view."""
    samples = {"next": [], "rate": [], "minimal": []}
    errors = []
    stop = time.perf_counter() + seconds
    count = [0]
    lock = threading.Lock()

    def worker(index: int):
        local = {"next": [], "rate": [], "minimal": []}
        n = 0
        mine = users[index::clients] or users  # each client studies as its own users, in turn
        turn = 0
        client = Client(port, mine[0])
        deck = client.user["deck"]
        while time.perf_counter() < stop:
            if kind == "minimal":
                status, _, dur = client.request("GET", "/bench/minimal/")
                local["minimal"].append(dur)
                n += 1
                continue
            status, html, dur = client.request("GET", f"/practice/decks/{deck}/")
            local["next"].append(dur)
            n += 1
            question, token = CARD_RE.search(html), TOKEN_RE.search(html)
            if status == 200 and not question:  # this user is done for today: the next one studies
                turn += 1
                if turn >= len(mine):
                    errors.append("every user ran out of cards")
                    break
                client = Client(port, mine[turn])
                deck = client.user["deck"]
                continue
            if status != 200 or not token:
                errors.append(f"next {status}")
                break
            body = f"question={question.group(1)}&token={token.group(1)}&rating=3&duration_ms=5000"
            status, html, dur = client.request("POST", f"/practice/decks/{deck}/rate/", body)
            local["rate"].append(dur)
            n += 1
            if status != 200:
                errors.append(f"rate {status}")
        with lock:
            for key, values in local.items():
                samples[key].extend(values)
            count[0] += n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    result = {"requests": count[0], "rps": round(count[0] / elapsed, 1), "errors": errors[:5]}
    for key, values in samples.items():
        if values:
            result[f"{key}_p50_ms"] = round(percentile(values, 50), 2)
            result[f"{key}_p99_ms"] = round(percentile(values, 99), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="quizbank-practice-bench-"))
    (work / "bench_settings.py").write_text(SETTINGS)
    (work / "bench_urls.py").write_text(URLS)
    users = setup_data(work)
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": f"{work}:{ROOT}"}
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
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        run_clients(port, users["many"], 2, args.clients, "minimal")  # warm-up
        # One user studies in one tab (one client); 100 users study at once (N clients). Each is
        # compared with the minimal view under the same number of clients.
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
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
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
