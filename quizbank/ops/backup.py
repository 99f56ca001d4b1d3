"""Back up and restore the database: all the state QuizBank keeps. Content is in git (edits made in
the app are in the database too), the search index is rebuilt from the database, and the app
stores no uploaded files.

PostgreSQL: pg_dump's custom format, restored by pg_restore in one transaction. SQLite: its online
backup API, a consistent copy even while the app writes (a file copy of a database in WAL mode can
miss committed pages or catch a half-written one)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

POSTGRESQL, SQLITE = "postgresql", "sqlite"
NAMES = {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite"}
MAGIC = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
SUFFIX = {POSTGRESQL: ".pgdump", SQLITE: ".sqlite3"}
# OPTIONS that Django's PostgreSQL backend takes for itself: not libpq connection parameters
DJANGO_ONLY_OPTIONS = {"isolation_level", "server_side_binding", "assume_role", "pool"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def engine_kind(database: dict) -> str:
    engine = database["ENGINE"]
    if engine.endswith("postgresql"):
        return POSTGRESQL
    if engine.endswith("sqlite3"):
        return SQLITE
    raise BackupError(f"不支持的数据库 / unsupported database engine {engine}")


def file_kind(path: Path) -> str:
    """POSTGRESQL or SQLITE, from the file's first bytes."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在 / no backup file at {path}")
    with path.open("rb") as f:
        head = f.read(16)
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    raise BackupError(
        f"{path} 不是 QuizBank 备份 / is not a QuizBank backup "
        "(neither a pg_dump custom-format archive nor a SQLite database)"
    )


def default_path(directory: Path, database: dict, now: datetime) -> Path:
    """quizbank-20261204-153000Z.pgdump in `directory` (UTC: the same name whichever node makes it)."""
    return directory / f"quizbank-{now:%Y%m%d-%H%M%S}Z{SUFFIX[engine_kind(database)]}"


def backup(database: dict, path: Path) -> None:
    """Write a backup of `database` (a DATABASES entry) to `path`, which must not exist yet. The
    file appears only once complete."""
    kind = engine_kind(database)
    if path.exists():
        raise BackupError(f"{path} 已存在 / already exists: choose another name")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    try:
        if kind == POSTGRESQL:
            _run("pg_dump", "--format=custom", "--no-password", f"--file={partial}", database=database)
        else:
            _sqlite_backup(Path(database["NAME"]), partial)
        os.chmod(partial, 0o600)  # password hashes and every learner's answers
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore(connection, path: Path, *, replace: bool = False) -> None:
    """Restore the backup at `path` into the database behind `connection` (a Django connection),
    which must be empty, or is emptied first with `replace`. Run `migrate` and `rebuild_index`
    after it."""
    kind, target = file_kind(path), engine_kind(connection.settings_dict)
    if kind != target:
        raise BackupError(
            f"{path} 是 {NAMES[kind]} 备份，配置的数据库是 {NAMES[target]} / is a {NAMES[kind]} backup but the "
            f"configured database is {NAMES[target]} (DATABASE_URL): restore it into a database of its own kind"
        )
    _check_archive(path, kind)
    tables = connection.introspection.table_names()
    if tables and not replace:
        raise BackupError(
            f"数据库不是空的（{len(tables)} 张表）/ the database is not empty ({len(tables)} tables): restore into "
            "an empty database, or pass --replace to drop everything in it first"
        )
    if kind == POSTGRESQL:
        if tables:
            with connection.cursor() as cursor:
                names = ", ".join(map(connection.ops.quote_name, tables))
                cursor.execute(f"DROP TABLE IF EXISTS {names} CASCADE")
        connection.close()
        _run(
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            str(path),
            database=connection.settings_dict,
        )
        # pg_restore brings back rows, not the planner's statistics: without them a card took
        # 160-300 ms instead of 2 ms until autovacuum looked (docs/performance.md, Scale)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        connection.close()
        # the backup API replaces every page of the target: nothing of the old database is left
        with _sqlite(path, read_only=True) as source, _sqlite(Path(connection.settings_dict["NAME"])) as target:
            source.backup(target)


def _check_archive(path: Path, kind: str) -> None:
    """A whole archive of a Django database: pg_restore can read its table of contents, SQLite
    finds no damage, and there is a django_migrations table."""
    if kind == POSTGRESQL:
        # a table of contents line: "215; 1259 16389 TABLE public django_migrations quizbank"
        found = re.search(r"^\d+; \d+ \d+ TABLE \S+ django_migrations ", _run("pg_restore", "--list", str(path)), re.M)
    else:
        with _sqlite(path, read_only=True) as db:
            try:
                if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise BackupError(f"{path} 已损坏 / is damaged (PRAGMA quick_check failed)")
                found = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone()
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{path} 已损坏 / is damaged: {exc}") from None
    if not found:
        raise BackupError(f"{path} 不是 QuizBank 备份 / is not a QuizBank backup (no django_migrations table)")


def _sqlite_backup(source_path: Path, path: Path) -> None:
    if not source_path.is_file():
        raise BackupError(f"数据库文件不存在 / no database file at {source_path}")
    with _sqlite(source_path) as source, _sqlite(path) as target:
        source.backup(target)
        # one self-contained file: not marked WAL, so it opens read-only with no -wal/-shm beside it
        target.execute("PRAGMA journal_mode=DELETE")


class _sqlite:
    """A sqlite3 connection that is closed (not just committed) on leaving the block."""

    def __init__(self, path: Path, *, read_only: bool = False):
        target = f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path)
        self.db = sqlite3.connect(target, uri=read_only, timeout=20)

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc) -> None:
        self.db.close()


def _run(program: str, *args: str, database: dict | None = None) -> str:
    """Run a PostgreSQL client program (with the connection of `database`, if given); its output,
    or a BackupError with what it said."""
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} 未安装 / {program} is missing: install Debian's postgresql-client "
            "(the server's major version or newer)"
        )
    env = dict(os.environ)
    if database is not None:
        dbname, password = conninfo(database)
        args = (*args, f"--dbname={dbname}")
        if password:
            env["PGPASSWORD"] = password  # not on the command line, where `ps` shows it
    done = subprocess.run([program, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{program} 失败 / failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def conninfo(database: dict) -> tuple[str, str]:
    """A libpq connection string for a PostgreSQL DATABASES entry, and its password apart."""
    params = {
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        "user": database.get("USER"),
        "dbname": database["NAME"],
    }
    params |= {k: v for k, v in (database.get("OPTIONS") or {}).items() if k not in DJANGO_ONLY_OPTIONS}
    quoted = (f"{k}='{_escape(str(v))}'" for k, v in params.items() if v not in (None, ""))
    return " ".join(quoted), database.get("PASSWORD") or ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
