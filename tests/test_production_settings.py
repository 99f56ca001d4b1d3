"""Production mode refuses what would be unsafe and passes Django's deployment checks; every
page carries a Content-Security-Policy."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = secrets.token_urlsafe(50)


def manage(*args, tmp_path, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "QUIZBANK_")) or k == "DJANGO_SETTINGS_MODULE"
    }
    environment.update(QUIZBANK_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"}, "published"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "published"),
        ({"DJANGO_SECRET_KEY": "short-key"}, "too weak"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "too weak"),
        ({"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_DEBUG": "true"}, "DJANGO_DEBUG=true is refused"),
    ],
)
def test_production_refuses_a_known_weak_or_missing_key_and_debug(tmp_path, env, message):
    result = manage("check", tmp_path=tmp_path, QUIZBANK_PRODUCTION="true", **env)
    assert result.returncode != 0 and message in result.stderr
    assert STRONG_KEY not in result.stderr


def test_production_passes_the_deployment_checks(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        QUIZBANK_PRODUCTION="true",
        DJANGO_SECRET_KEY=STRONG_KEY,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_development_still_starts_without_a_key(tmp_path):
    assert manage("check", tmp_path=tmp_path).returncode == 0


@pytest.mark.django_db
def test_every_page_carries_a_content_security_policy_without_inline_allowances(client):
    response = client.get(reverse("bank:home"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and "unsafe-eval" not in policy
    # the one inline allowance: style attributes (KaTeX's SVG), never scripts or <style> elements
    assert [d for d, v in directives.items() if "unsafe-inline" in v] == ["style-src-attr"]
    assert re.fullmatch(r"'self' 'nonce-[\w+/=-]+'", directives["script-src"])
    # nothing on the page needs an inline allowance: no inline script, style element or attribute
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "<style" not in html and " style=" not in html


def test_database_url_reads_postgres_and_sqlite():
    from quizbank.env import database_from_url

    pg = database_from_url("postgres://qb:p%40ss@db.internal:6432/quizbank?sslmode=require")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "quizbank",
        "qb",
        "p@ss",
        "db.internal",
        "6432",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert database_from_url("sqlite:////srv/qb/db.sqlite3")["NAME"] == "/srv/qb/db.sqlite3"
    for bad in ("mysql://x/y", "postgres://host:5432/", "nonsense"):
        with pytest.raises(ValueError):
            database_from_url(bad)


def test_a_bad_database_url_stops_the_start_with_its_reason(tmp_path):
    result = manage("check", tmp_path=tmp_path, DATABASE_URL="mysql://root@localhost/qb")
    assert result.returncode != 0 and "DATABASE_URL must start with postgres:// or sqlite://" in result.stderr


@pytest.mark.parametrize(
    ("env", "age"),
    [({}, "60"), ({"DJANGO_CONN_MAX_AGE": "0"}, "0"), ({"DATABASE_URL": "sqlite:///{tmp}/other.sqlite3"}, "60")],
)
def test_sqlite_connections_persist_between_requests_unless_turned_off(tmp_path, env, age):
    env = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    code = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    result = manage("shell", "--no-imports", "-c", code, tmp_path=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == age
