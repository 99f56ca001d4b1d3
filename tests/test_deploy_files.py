"""The deployment files are what runs: the systemd units' and the Procfile's own command lines start
gunicorn, a Celery worker and beat with the example environment file (a throwaway SQLite database
and a real Redis in place of its servers). The web answers /healthz and pages as the proxy sees
them, beat's sweep reaches the worker through Redis and the worker grades a stuck answer, beat
writes its schedule, the backup unit writes a backup, and each process stops on SIGTERM within
its unit's TimeoutStopSec, leaving nothing behind."""

import http.client
import itertools
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.fault_stack import Redis, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("quizbank-*.service")) + sorted(DEPLOY.glob("quizbank-*.timer"))
EXAMPLE = DEPLOY / "quizbank.env.example"
HOST = "quizbank.example.org"  # DJANGO_ALLOWED_HOSTS in the example
# what systemd gives a service before Environment= and EnvironmentFile=
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# settings read by the code that an operator never sets (the test suite's own)
TEST_ONLY = {"QUIZBANK_TEST_DB_PATH", "QUIZBANK_TEST_DB_NAME", "CELERY_TASK_ALWAYS_EAGER"}


def unit(name: str) -> dict[str, list[str]]:
    """Each key of a unit file with its values in order (ExecStart may repeat)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def env_file(text: str) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads them (comments on their own lines)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def expand(command: str, env: dict[str, str]) -> list[str]:
    """An ExecStart line as systemd runs it: words, with ${NAME} replaced inside a word."""
    return [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in shlex.split(command)]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(re.match(r"^([\w-]+):\s*(.+)$", line).groups() for line in lines if line and line[0] != "#")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One machine: the example env file with its servers swapped for throwaway ones (SQLite in a
    temporary state directory, Redis on a free port), a small content directory, and the units'
    paths pointed at this checkout."""
    if not shutil.which("redis-server") and not Path("/usr/bin/redis-server").exists():
        pytest.fail("redis-server is missing: scripts/test installs Debian's redis-server package")
    tmp = tmp_path_factory.mktemp("deploy")
    redis = Redis(tmp)
    redis.start()
    var, content = tmp / "var", tmp / "content"
    (var / "celery").mkdir(parents=True)  # the units' StateDirectory=, made by systemd
    content.mkdir()
    shutil.copy(ROOT / "tests/data/sample.md", content)
    settings = env_file(EXAMPLE.read_text()) | {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "QUIZBANK_CACHE_URL": f"redis://127.0.0.1:{redis.port}/1",
        "QUIZBANK_BIND": f"127.0.0.1:{free_port()}",
        "QUIZBANK_CONTENT_DIR": str(content),
        "WEB_CONCURRENCY": "1",
        "QUIZBANK_SWEEP_SECONDS": "1",
    }
    del settings["DATABASE_URL"]  # SQLite in the state directory
    path = tmp / "quizbank.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in settings.items()).replace("/var/lib/quizbank", str(var)))
    yield {"tmp": tmp, "var": var, "env_file": path, "redis": redis}
    redis.stop()


def localise(text: str, site) -> str:
    return text.replace("/srv/quizbank", str(ROOT)).replace("/var/lib/quizbank", str(site["var"]))


def unit_env(name: str, site) -> dict[str, str]:
    """The environment systemd builds: its own, Environment=, then EnvironmentFile= (which wins)."""
    env = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", "HOME": str(site["var"])}
    env |= env_file("\n".join(unit(name).get("Environment", [])))
    return env | env_file(site["env_file"].read_text())


def run_unit(name: str, site, extra_env: dict | None = None) -> list[subprocess.Popen]:
    """Start every ExecStart of a unit, each in its own process group (its cgroup here)."""
    env = unit_env(name, site) | (extra_env or {})
    cwd = localise(unit(name)["WorkingDirectory"][0], site)
    commands = [expand(localise(c, site), env) for c in unit(name)["ExecStart"]]
    if unit(name)["Type"] == ["oneshot"]:
        for argv in commands + [expand(localise(c, site), env) for c in unit(name).get("ExecStartPost", [])]:
            subprocess.run(argv, cwd=cwd, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
        return []
    log = open(site["tmp"] / f"{name}.log", "a")
    return [
        subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True) for argv in commands
    ]


def web_port(site) -> int:
    return int(env_file(site["env_file"].read_text())["QUIZBANK_BIND"].rsplit(":", 1)[1])


def procfile_env(site) -> dict[str, str]:
    """As honcho runs a Procfile line: the venv first on PATH, .env loaded, PORT given."""
    env = {"PATH": f"{ROOT / '.venv/bin'}:{SYSTEMD_PATH}", "LANG": "C.UTF-8", "HOME": str(site["var"])}
    return env | env_file(site["env_file"].read_text()) | {"PORT": str(web_port(site))}


def run_procfile(kind: str, site) -> subprocess.Popen:
    log = open(site["tmp"] / f"procfile-{kind}.log", "a")
    return subprocess.Popen(
        ["sh", "-c", procfile()[kind]], cwd=ROOT, env=procfile_env(site), stdout=log, stderr=log, start_new_session=True
    )


def stuck_answer(site) -> int:
    """An answer saved a day ago and never graded (its worker died): only the sweep brings it back."""
    code = (
        "from datetime import timedelta; from uuid import uuid4;"
        "from django.contrib.auth import get_user_model; from django.utils import timezone;"
        "from quizbank.bank.models import Question; from quizbank.grading.models import Attempt;"
        "q = Question.objects.order_by('id').first();"
        "u = get_user_model().objects.create_user(f'deploy-{uuid4().hex[:8]}');"
        "a = Attempt.objects.create(user=u, question=q, question_version=q.version, text='缩放 点积 方差 softmax 饱和');"
        "Attempt.objects.filter(pk=a.pk).update(status_changed_at=timezone.now() - timedelta(days=1));"
        "print(a.pk)"
    )
    env = unit_env("quizbank-web.service", site)
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout.split()[-1])


def graded(site, attempt_id: int) -> bool:
    with sqlite3.connect(site["var"] / "quizbank.sqlite3", timeout=20) as db:
        status, failure = db.execute(
            "SELECT status, failure FROM grading_attempt WHERE id = ?", [attempt_id]
        ).fetchone()
    db.close()
    assert status != "failed", failure
    return status == "graded"


def request(port: int, path: str, **headers) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": HOST, **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def serves_the_site(port: int) -> None:
    """/healthz for the load balancer (plain HTTP, no redirect), and pages as nginx forwards them."""
    health = request(port, "/healthz")
    checks = json.loads(health.body)["checks"]
    assert health.status == 200, checks
    assert checks["broker"]["detail"] == "redis" and all(c["ok"] for c in checks.values())
    assert request(port, "/").status == 301  # production mode: HTTP goes to HTTPS
    page = request(port, "/", **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert page.status == 200 and "max-age=31536000" in page.getheader("Strict-Transport-Security")
    # from collectstatic's output (the release step), not the finders
    assert request(port, "/static/css/app.css", **{"X-Forwarded-Proto": "https"}).status == 200


def stop(process: subprocess.Popen, timeout_stop: float) -> None:
    """As systemd stops a unit with KillMode=mixed: SIGTERM to the main process, then wait."""
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout_stop)
    finally:
        leftovers = group_members(process.pid)
        with_force(process.pid)
    assert code == 0, f"exit status {code}"
    assert not leftovers, f"left running after the main process stopped: {leftovers}"


def group_members(pgid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def with_force(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def beat_schedule(site) -> list[Path]:
    return list((site["var"] / "celery").glob("beat-schedule*"))


def notify_socket(site) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(site["tmp"] / "notify"))
    sock.settimeout(120)
    return sock


def test_the_systemd_units_run_web_worker_and_beat(site):
    run_unit("quizbank-release.service", site)
    attempt = stuck_answer(site)
    notify = notify_socket(site)
    (web,) = run_unit("quizbank-web.service", site, {"NOTIFY_SOCKET": str(site["tmp"] / "notify")})
    (worker,) = run_unit("quizbank-worker.service", site)
    (beat,) = run_unit("quizbank-beat.service", site)
    running = {"quizbank-web.service": web, "quizbank-worker.service": worker, "quizbank-beat.service": beat}
    try:
        assert b"READY=1" in notify.recv(4096)  # Type=notify: systemd would now call it started
        serves_the_site(web_port(site))
        wait_for(lambda: graded(site, attempt), 90, "the sweep (beat) and the worker to grade the stuck answer")
        assert beat_schedule(site)
        run_unit("quizbank-backup.service", site)
        (backup,) = (site["var"] / "backups").glob("quizbank-*Z.sqlite3")
        assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    finally:
        notify.close()
        for name, process in running.items():
            stop(process, float(unit(name)["TimeoutStopSec"][0]))


def test_the_procfile_runs_web_worker_and_beat(site):
    release = procfile()["release"]
    subprocess.run(
        ["sh", "-c", release], cwd=ROOT, env=procfile_env(site), check=True, timeout=300, stdout=subprocess.DEVNULL
    )
    running = {kind: run_procfile(kind, site) for kind in ("web", "worker", "beat")}
    try:
        wait_for(lambda: answers(web_port(site)), 90, "the web process")
        serves_the_site(web_port(site))
        wait_for(lambda: swept(site["tmp"] / "procfile-worker.log"), 90, "the worker to run a sweep that beat sent")
        assert beat_schedule(site)
    finally:
        for kind, process in running.items():
            stop(process, float(unit(f"quizbank-{kind}.service")["TimeoutStopSec"][0]))


def swept(worker_log: Path) -> bool:
    """The worker ran the sweep task: beat sent it through Redis (no one else does)."""
    return bool(re.search(r"sweep_stuck_attempts\[[-0-9a-f]+\] succeeded", worker_log.read_text()))


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_the_units_pass_systemd_analyze_verify(site, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    for path in UNITS:
        text = localise(path.read_text(), site).replace("/etc/quizbank/quizbank.env", str(site["env_file"]))
        (tmp_path / path.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / p.name) for p in UNITS)], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_the_example_env_file_names_every_setting_and_only_real_ones():
    read = set(re.findall(r'env_(?:str|int|bool|list)\("(\w+)"', (ROOT / "quizbank/settings.py").read_text()))
    read |= set(re.findall(r'environ\.get\("(\w+)"', (ROOT / "gunicorn.conf.py").read_text()))
    units = "".join(p.read_text() for p in UNITS)
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.M))
    assert read - TEST_ONLY - named == set(), "settings missing from deploy/quizbank.env.example"
    assert named - read - set(re.findall(r"\$\{(\w+)\}", units)) == set(), "names no code reads"
    assert "CHANGE-ME" in env_file(EXAMPLE.read_text())["DJANGO_SECRET_KEY"]  # no real secret


def fixed_words(command: str) -> list[str]:
    """The program's name and its arguments up to the first that names a variable."""
    words = shlex.split(command)
    words[0] = Path(words[0]).name
    return list(itertools.takewhile(lambda word: "$" not in word, words))


def test_there_is_one_beat_and_web_worker_run_the_same_commands_in_both_files():
    commands = procfile()
    assert set(commands) == {"release", "web", "worker", "beat"}
    assert sum(" beat" in c for c in commands.values()) == 1 and "--beat" not in commands["worker"]
    units = {name: " ".join(unit(f"quizbank-{name}.service")["ExecStart"]) for name in ("web", "worker", "beat")}
    assert "--beat" not in units["worker"] and " beat " in units["beat"]
    for name, line in units.items():
        ours, theirs = fixed_words(line), fixed_words(commands[name].rsplit("exec ", 1)[1])
        assert min(len(ours), len(theirs)) >= 4 and ours[: len(theirs)] == theirs[: len(ours)], (ours, theirs)
    release = [c.split("manage.py ", 1)[1] for c in unit("quizbank-release.service")["ExecStart"]]
    assert [c.split("manage.py ", 1)[1].strip() for c in commands["release"].split("&&")] == release
