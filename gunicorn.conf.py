"""gunicorn settings shared by scripts/serve and bench/ (the bind address is given by each).

Threaded workers (gthread): a connection that sends nothing yet (a browser's pre-connect) or
sits idle between keep-alive requests waits in the worker's poller, not in a worker, so it
cannot freeze the site the way it does with sync workers."""

import os

wsgi_app = "quizbank.wsgi"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Four threads per worker: gunicorn's gthread worker gives a new connection a thread for up to
# 5 s before it parks an idle one in the poller, so with one thread a browser's pre-connect stalls
# every request behind it. The price on 2 cores is the GIL: measured in one session, 4 threads
# served 88 req/s of "next card + rate" under 4 clients against 113 with 1 (docs/performance.md).
threads = int(os.environ.get("WEB_THREADS", "4"))
preload_app = True  # jieba and the app load once, before the fork
loglevel = "warning"


def post_worker_init(worker):
    """Connect to the broker (in the background) and read the glossary and the bank's word
    weights (from the cache, or seconds of CPU for the first process after the bank changed)
    before the first request: the offline grader judges a mock-interview answer inside the
    request (for the follow-up), and a cold process would do this there, holding the database's
    write lock (Celery workers do the same at start, grading/tasks.py)."""
    from quizbank.celery import warm_up_publishing
    from quizbank.grading.tasks import warm_up

    warm_up_publishing()
    warm_up()
