"""gunicorn settings shared by scripts/serve and bench/ (the bind address is given by each).

Threaded workers (gthread): a connection that sends nothing yet (a browser's pre-connect) or
sits idle between keep-alive requests waits in the worker's poller, not in a worker, so it
cannot freeze the site the way it does with sync workers."""

import os

wsgi_app = "quizbank.wsgi"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
preload_app = True  # jieba and the app load once, before the fork
loglevel = "warning"
