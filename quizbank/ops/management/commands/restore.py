import time
from pathlib import Path

from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from quizbank.ops import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database of the same kind, then migrate "
        "and rebuild the search index (this node's now, the others' on their next search). Stop the web and"
        " worker processes first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--replace", action="store_true", help="the database is not empty: drop everything in it first"
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            backup.restore(connection, options["path"], replace=options["replace"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"恢复完成 restored: {options['path']} in {time.perf_counter() - started:.2f}s")
        # a backup from an older release gets this release's migrations
        call_command("migrate", interactive=False, verbosity=0)
        call_command("rebuild_index", stdout=self.stdout)
        # what the processes kept from the database before (practice's decks and settings, staged
        # grades, throttle counts) describes rows that are gone or now have other owners
        cache.clear()
        self.stdout.write("缓存已清空 cache cleared")
        self.stdout.write(f"全部完成 done in {time.perf_counter() - started:.2f}s")
