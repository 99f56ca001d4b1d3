import time

from django.core.management.base import BaseCommand

from quizbank.bank import index_sync
from quizbank.bank.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the whole search index from the database: this node's now, every other node's on"
        " its next search (run it after restoring a database)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        index_sync.new_epoch()
        count = rebuild_index()
        self.stdout.write(f"indexed {count} questions in {time.perf_counter() - started:.2f}s")
