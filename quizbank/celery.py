"""The Celery app. Broker from CELERY_BROKER_URL (Redis in production and CI); without it, an
embedded filesystem broker under var/celery, so a first run needs no server."""

import logging
import os
import threading

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizbank.settings")

logger = logging.getLogger(__name__)
app = Celery("quizbank")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def warm_up_publishing(celery_app: Celery = app) -> threading.Thread:
    """Connect this process to the broker and resolve what the first `delay` loads (the
    transport, the result backend's class), in the background: in a fresh web process the first
    answer queued took 60-90 ms more than the next (docs/performance.md, Load). A broker that is
    down or slow is left to the first publish, which gives up quickly (the sweep re-queues)."""

    def warm() -> None:
        try:
            celery_app.backend  # noqa: B018 — loads the backend's modules once per process
            with celery_app.producer_or_acquire() as producer:
                producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5)
        except Exception:  # noqa: BLE001 — only a head start: the first answer connects instead
            logger.warning("could not reach the Celery broker yet; the first answer queued will connect")

    thread = threading.Thread(target=warm, name="warm-up-publishing", daemon=True)
    thread.start()
    return thread
