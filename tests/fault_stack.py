"""The real servers of the end-to-end tests and the fault benchmark, on loopback ports: Debian's
redis-server and PostgreSQL (scripts/pg), a Celery worker with beat, gunicorn as scripts/serve
runs it. Each can be stopped, killed and started again, which is what the fault scenarios do."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def wait_for(condition, timeout=30.0, what="condition", every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Redis:
    """No persistence, as in the tests: a restart loses every queued and unacknowledged task."""

    def __init__(self, tmp: Path):
        self.port, self.tmp, self.proc = free_port(), tmp, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([REDIS, *args, "--dir", str(self.tmp)], stdout=subprocess.DEVNULL)
        wait_for(lambda: listening(self.port), 10, "redis")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Postgres:
    """A throwaway cluster (scripts/pg) in `directory`; stop and start keep its data."""

    def __init__(self, directory: Path):
        self.directory, self.port, self.url = directory, free_port(), ""

    def start(self) -> str:
        out = subprocess.run(
            [str(ROOT / "scripts/pg"), "start", str(self.directory), str(self.port)],
            check=True,
            capture_output=True,
            text=True,
        )
        self.url = out.stdout.strip().splitlines()[-1]
        return self.url

    def stop(self):
        subprocess.run([str(ROOT / "scripts/pg"), "stop", str(self.directory)], check=True, capture_output=True)


def worker_command(pool: str, concurrency: int, *options: str) -> list[str]:
    """`celery worker` in this Python, without the cluster chatter a single worker does not need."""
    return [
        *(sys.executable, "-m", "celery", "-A", "quizbank", "worker", "--pool", pool),
        *("--concurrency", str(concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle"),
        *options,
    ]


class Worker:
    """`celery worker --beat`, as scripts/serve starts it (prefork, or `pool` for the tests)."""

    def __init__(self, env: dict, tmp: Path, *, pool: str = "prefork", concurrency: int = 2):
        self.env, self.tmp, self.proc = env, tmp, None
        self.pool, self.concurrency = pool, concurrency

    @property
    def log(self) -> Path:
        return self.tmp / "worker.log"

    def start(self):
        self.proc = subprocess.Popen(
            worker_command(
                self.pool, self.concurrency, "--beat", "--schedule", str(self.tmp / "beat"), "--loglevel", "info"
            ),
            cwd=ROOT,
            env=self.env,
            stdout=open(self.log, "a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        """SIGKILL the worker and its pool processes at once (an OOM kill, a lost node)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        _stop_group(self.proc)


class Web:
    """gunicorn with gunicorn.conf.py (gthread workers, --preload), as scripts/serve runs it."""

    def __init__(self, env: dict, tmp: Path):
        self.env, self.tmp, self.port, self.proc = env, tmp, free_port(), None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.tmp / "web.log", "a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: listening(self.port), 90, "gunicorn", every=0.3)

    def stop(self):
        _stop_group(self.proc)


def _stop_group(proc) -> None:
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


# -- the grading stack of the tests: this process submits, a real worker grades ----------------
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
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return {"DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    return {"QUIZBANK_DB_PATH": db["NAME"]}


@contextmanager
def grading_stack(tmp: Path, settings, *, pool: str = "solo", concurrency: int = 1, **env):
    """Redis, the fake LLM and a worker with beat (short timeouts, overridable by `env`), this
    process publishing to that Redis; yields {"redis", "worker", "fake", "tmp"}."""
    import pytest

    from quizbank.celery import app
    from tests.fake_llm import FakeLLM

    if not os.path.exists(REDIS):
        pytest.fail("redis-server is missing: scripts/test installs Debian's redis-server package")
    redis = Redis(tmp)
    redis.start()
    with FakeLLM() as fake:
        settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, settings.QUIZBANK_GRADER_MODEL = (
            "k",
            fake.base_url,
            "fake-model",
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "quizbank.settings",
            **worker_database(),
            "QUIZBANK_VAR_DIR": str(tmp),
            "CELERY_BROKER_URL": redis.url,
            "CELERY_VISIBILITY_TIMEOUT": "4",
            "QUIZBANK_GRADING_STUCK_SECONDS": "5",
            "QUIZBANK_GRADER_DEADLINE": "4",
            "QUIZBANK_SWEEP_SECONDS": "2",
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": fake.base_url,
            "QUIZBANK_GRADER_MODEL": "fake-model",
            "QUIZBANK_GRADER_TIMEOUT": "20",
            **env,
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
        worker = Worker(env, tmp, pool=pool, concurrency=concurrency)
        worker.start()
        try:
            yield {"redis": redis, "worker": worker, "fake": fake, "tmp": tmp}
        finally:
            worker.stop()
            redis.stop()
            use_broker(app, task_always_eager=True, **saved)
