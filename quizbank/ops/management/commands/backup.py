import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from quizbank.ops import backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: the online backup API, safe while "
        "the app runs). Content is in git and the search index is rebuilt from the database: this is all to keep."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", type=Path, help="the file to write (default: QUIZBANK_VAR_DIR/backups/quizbank-TIME.*)"
        )

    def handle(self, *args, **options):
        database = connection.settings_dict
        started = time.perf_counter()
        try:
            path = options["path"] or backup.default_path(Path(settings.VAR_DIR) / "backups", database, timezone.now())
            backup.backup(database, path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        size = path.stat().st_size / 1e6
        self.stdout.write(f"备份完成 backed up: {path} ({size:.1f} MB) in {time.perf_counter() - started:.2f}s")
