"""The Django cache as a place to share work between processes and machines (Redis in
production, files on one machine): a cache that fails costs the work again, never the request."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def read(key: str) -> dict | None:
    """The dict kept under `key`, or None (absent, or the cache cannot answer)."""
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001
        logger.warning("could not read %s from the cache", key, exc_info=True)
        return None
    return value if isinstance(value, dict) else None


def read_many(keys: list[str]) -> dict:
    """What the cache holds of `keys` (one round trip on Redis); {} when it cannot answer."""
    try:
        return cache.get_many(keys)
    except Exception:  # noqa: BLE001
        logger.warning("could not read %s from the cache", keys[0], exc_info=True)
        return {}


def keep(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:  # noqa: BLE001
        logger.warning("could not keep %s in the cache", key, exc_info=True)


def forget(key: str) -> bool:
    """Remove `key`; False when the cache could not be told (the entry then lives to its timeout)."""
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        logger.warning("could not forget %s in the cache", key, exc_info=True)
        return False
    return True
