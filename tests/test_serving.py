"""The real server: idle connections do not freeze it, and stopping scripts/serve stops everything.

These start gunicorn and Celery as separate processes (no database needed: the login page and
/favicon.ico are served without one)."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOCKET_TIMEOUT = 20  # generous; sync workers held by two idle connections answer only after 30 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "quizbank.settings",
        "QUIZBANK_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
    }


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    for _ in range(600):
        assert process.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def is_open(sock: socket.socket) -> bool:
    """The server has not closed this connection (it sent nothing and no end of stream)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.update(children)
            todo.extend(children)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_idle_connections_do_not_block_a_request(env):
    port = int(env["PORT"])
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for_port(port, server)
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(int(env["WEB_CONCURRENCY"]))]
        try:
            response = get(port, "/accounts/login/")
            # Served while both were still open, not after the server gave up on them (what sync
            # workers do, one idle connection at a time).
            still_open = [is_open(s) for s in idle]
        finally:
            for s in idle:
                s.close()
        assert response.startswith(b"HTTP/1.1 200") and b"QuizBank" in response
        assert still_open == [True] * len(idle)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_stopping_serve_stops_web_worker_and_beat(env, sig):
    port = int(env["PORT"])
    serve = subprocess.Popen([str(ROOT / "scripts/serve")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, serve)
        assert get(port, "/favicon.ico").startswith(b"HTTP/1.1 200")
        # gunicorn (master + 2 workers) and celery (worker, beat, 2 pool processes) are all up
        for _ in range(600):
            children = descendants(serve.pid)
            if len(children) >= 7:
                break
            time.sleep(0.1)
        assert len(children) >= 7, children
        serve.send_signal(sig)  # only the script: as `kill <pid>` does
        serve.wait(timeout=120)
        for _ in range(300):
            if not any(alive(pid) for pid in children):
                break
            time.sleep(0.1)
        assert not [pid for pid in children if alive(pid)]
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        if serve.poll() is None:
            for pid in descendants(serve.pid) | {serve.pid}:
                os.kill(pid, signal.SIGKILL)


def celery_main(serve_pid: int) -> int | None:
    """The Celery worker's main process: the direct child of scripts/serve that runs celery."""
    for task in Path(f"/proc/{serve_pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            try:
                if b"celery" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
            except OSError:
                continue
    return None


def test_a_worker_that_dies_is_started_again_and_the_site_stays_up(env):
    port = int(env["PORT"])
    serve = subprocess.Popen(
        [str(ROOT / "scripts/serve")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, serve)
        for _ in range(600):
            first = celery_main(serve.pid)
            left_behind = descendants(first) if first else set()
            if len(left_behind) >= 3:  # the beat and two pool processes
                break
            time.sleep(0.1)
        assert first and len(left_behind) >= 3
        os.kill(first, signal.SIGKILL)  # as a crash would end it
        for _ in range(600):
            second = celery_main(serve.pid)
            if second and second != first:
                break
            time.sleep(0.1)
        assert second and second != first and alive(second)
        # nothing of the dead worker runs on beside the new one (its beat would schedule twice)
        for _ in range(100):
            if not any(alive(pid) for pid in left_behind):
                break
            time.sleep(0.1)
        assert not [pid for pid in left_behind if alive(pid)]
        assert serve.poll() is None and get(port, "/favicon.ico").startswith(b"HTTP/1.1 200")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=120)
        finally:
            for pid in descendants(serve.pid) if serve.poll() is None else ():
                os.kill(pid, signal.SIGKILL)
    assert b"starting it again" in serve.stderr.read()
