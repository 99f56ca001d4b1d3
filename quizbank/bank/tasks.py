"""Thin Celery tasks for the bank."""

from celery import shared_task

from quizbank.bank import index_sync


@shared_task(ignore_result=True)
def prune_index_changes() -> int:
    """Drop the search index's change log older than a week (a node that far behind rebuilds)."""
    return index_sync.prune(older_than_days=7)
