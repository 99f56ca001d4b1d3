"""End to end: a real Celery worker, a real Redis (Debian's redis-server, started here on a
loopback port) and the fake OpenAI-compatible server. Submit -> worker -> grade on the page;
a worker killed mid-task -> graded exactly once after restart; broker down at submit -> the
answer kept and graded once the broker is back."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import ANY

import pytest
from django.db import connection
from django.urls import reverse

from quizbank.bank.models import Question
from quizbank.grading.models import Attempt, Grade
from tests.fake_llm import FakeLLM, Raw, completion, grade_json
from tests.practice_factories import make_deck, make_set, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
GOOD = completion(grade_json(80, ("covered",), ("方差变大",)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Redis:
    def __init__(self, tmp: Path):
        self.port, self.tmp, self.proc = free_port(), tmp, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._up, 10, "redis")

    def _up(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Worker:
    def __init__(self, env: dict, tmp: Path):
        self.env, self.tmp, self.proc = env, tmp, None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "quizbank",
                "worker",
                "--pool",
                "solo",
                "--beat",
                "--schedule",
                str(self.tmp / "beat"),
                "--loglevel",
                "info",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.tmp / "worker.log", "a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def use_broker(app, **conf) -> None:
    """Point this process's Celery app at another broker: new settings, and its connection and
    producer pools dropped so the next publish connects anew."""
    from kombu import pools

    app.conf.update(**conf)
    app.pool.force_close_all()
    pools.reset()  # kombu's own registry would hand back the closed pools
    app._pool = None
    app.amqp._producer_pool = None


def worker_database() -> dict:
    """What points a worker process at the test database (SQLite file or PostgreSQL)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return {"DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    return {"QUIZBANK_DB_PATH": db["NAME"]}


@pytest.fixture
def stack(tmp_path, settings):
    if not os.path.exists(REDIS):
        pytest.fail("redis-server is missing: scripts/test installs Debian's redis-server package")
    from quizbank.celery import app

    redis = Redis(tmp_path)
    redis.start()
    with FakeLLM() as fake:
        fake.reply(GOOD)
        settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, settings.QUIZBANK_GRADER_MODEL = (
            "k",
            fake.base_url,
            "fake-model",
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "quizbank.settings",
            **worker_database(),
            "QUIZBANK_VAR_DIR": str(tmp_path),
            "CELERY_BROKER_URL": redis.url,
            "CELERY_VISIBILITY_TIMEOUT": "4",
            "QUIZBANK_GRADING_STUCK_SECONDS": "5",
            "QUIZBANK_GRADER_DEADLINE": "4",
            "QUIZBANK_SWEEP_SECONDS": "2",
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": fake.base_url,
            "QUIZBANK_GRADER_MODEL": "fake-model",
            "QUIZBANK_GRADER_TIMEOUT": "20",
        }
        saved = {
            "broker_url": app.conf.broker_url,
            "broker_transport": app.conf.broker_transport,
            "broker_transport_options": app.conf.broker_transport_options,
        }
        # the embedded broker's transport class would otherwise win over the redis:// URL, and
        # this process would publish to a filesystem queue nobody reads (only the sweep rescued it)
        use_broker(
            app,
            task_always_eager=False,
            broker_url=redis.url,
            broker_transport=None,
            broker_transport_options={"visibility_timeout": 4},
        )
        assert app.connection_for_write().transport_cls == "redis"
        worker = Worker(env, tmp_path)
        worker.start()
        try:
            yield {"redis": redis, "worker": worker, "fake": fake, "tmp": tmp_path}
        finally:
            worker.stop()
            redis.stop()
            use_broker(app, task_always_eager=True, **saved)


@pytest.fixture
def learner(client):
    user = make_user()
    client.force_login(user)
    make_set("s", 1)
    question = Question.objects.get(id="s-00001")
    question.key_points = [{"text": "方差随 d_k 增大", "weight": 1, "aliases": ["方差"]}]
    question.save()
    return user, make_deck(user, question.question_set), question


def submit(client, deck, question, text="方差变大导致 softmax 饱和"):
    response = client.post(
        reverse("practice:answer", args=[deck.pk]),
        {"question": question.id, "token": "new", "text": text},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return Attempt.objects.latest("id")


def graded(attempt):
    attempt.refresh_from_db()
    return attempt.status == "graded"


def test_submit_then_the_worker_grades_and_the_page_shows_it(client, stack, learner):
    _, deck, question = learner
    attempt = submit(client, deck, question)
    wait_for(lambda: graded(attempt), 30, "grading")
    page = client.get(reverse("practice:attempt_grade", args=[attempt.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 286 and "80" in page.content.decode() and "fake-model" in page.content.decode()
    assert Grade.objects.get(attempt=attempt).grader == "llm"


def test_a_worker_killed_mid_task_grades_exactly_once_after_restart(client, stack, learner):
    _, deck, question = learner
    stack["fake"].reply((200, GOOD, 3.0))  # slow enough to kill the worker while it waits
    attempt = submit(client, deck, question)
    wait_for(lambda: len(stack["fake"].requests) >= 1, 30, "the worker to call the LLM")
    stack["worker"].kill()
    attempt.refresh_from_db()
    assert attempt.status == "grading" and attempt.text == "方差变大导致 softmax 饱和"
    stack["fake"].reply(GOOD)
    stack["worker"].start()
    wait_for(lambda: graded(attempt), 60, "grading after restart")
    time.sleep(3)  # let any duplicate delivery arrive
    assert Grade.objects.filter(attempt=attempt).count() == 1


def test_broker_down_at_submit_keeps_the_answer_and_grades_it_when_back(client, stack, learner):
    _, deck, question = learner
    stack["redis"].stop()
    attempt = submit(client, deck, question)
    attempt.refresh_from_db()
    assert attempt.status == "pending" and attempt.text
    stack["redis"].start()
    wait_for(lambda: graded(attempt), 60, "grading after the broker came back")
    assert Grade.objects.filter(attempt=attempt).count() == 1


def test_healthz_follows_the_real_broker_down_and_back(client, stack, bundled):
    assert client.get("/healthz").json()["checks"]["broker"] == {"ok": True, "detail": "redis", "ms": ANY}
    stack["redis"].stop()
    down = client.get("/healthz")
    assert down.status_code == 503 and not down.json()["checks"]["broker"]["ok"]
    assert down.json()["checks"]["database"]["ok"]
    stack["redis"].start()
    wait_for(lambda: client.get("/healthz").status_code == 200, 30, "healthz after the broker came back")


BROKEN = {
    "html": (200, Raw(b"<html><body>502 Bad Gateway</body></html>", "text/html"), 0),
    "empty 200": (200, Raw(b""), 0),
    "truncated JSON": (200, Raw(b'{"id": "x", "choices": [{"message": {"content": "{\\"sco'), 0),
    "no choices": (200, Raw(b'{"id": "x", "object": "chat.completion"}'), 0),
    "a hang": (200, GOOD, 60),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_whatever_the_endpoint_returns_the_answer_ends_failed_with_a_reason(client, stack, learner, kind):
    """Within the documented bound (deadline per run, MAX_RUNS runs), with no grade and a bounded
    number of LLM calls; the answer is kept."""
    _, deck, question = learner
    stack["fake"].reply(BROKEN[kind])
    started = time.monotonic()
    attempt = submit(client, deck, question)
    wait_for(lambda: ended(attempt), 40, "the grading to end")
    elapsed = time.monotonic() - started
    attempt.refresh_from_db()
    assert attempt.status == "failed" and attempt.failure and attempt.text == "方差变大导致 softmax 饱和"
    assert Grade.objects.filter(attempt=attempt).count() == 0
    time.sleep(6)  # past the sweep's timeout: a failed attempt is not run again
    attempt.refresh_from_db()
    assert attempt.status == "failed" and attempt.runs == 1 and len(stack["fake"].requests) <= 4
    assert elapsed < 4 + 10  # the deadline plus queueing
    page = client.get(reverse("practice:attempt_grade", args=[attempt.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 286 and "评分失败" in page.content.decode() and "重新评分" in page.content.decode()


def ended(attempt):
    attempt.refresh_from_db()
    return attempt.status in ("graded", "failed")


def test_an_interview_answer_is_graded_and_its_follow_up_written_by_the_real_worker(stack):
    """Mock interview on the real stack: the worker writes the follow-up with the LLM (the page
    waits for it) and grades the answer, both through Redis."""
    import json

    from quizbank.interviews import services, turns
    from tests.interview_factories import WEAK, make_interview_set, start

    question = "如果不做缩放，d_k 很大时训练会出现什么问题？"
    stack["fake"].reply(completion(json.dumps({"question": question}, ensure_ascii=False)), GOOD)
    make_interview_set()
    interview = start(make_user())
    first = turns.current_turn(interview)
    answered = services.answer(interview, first.number, WEAK)

    def written():
        turn = turns.current_turn(interview)
        return turn is not None and turn.parent_id == first.pk and turn.prompt

    wait_for(written, 30, "the follow-up written by the worker")
    follow_up = turns.current_turn(interview)
    assert follow_up.prompt == question and follow_up.generated
    wait_for(lambda: graded(answered.attempt), 30, "grading of the interview answer")
    assert Grade.objects.get(attempt=answered.attempt).grader == "llm"
