"""This installation's glossary (content/glossary/*.md), loaded once per process and again when
a file changes. Search expands queries with it; the offline grader reads answers with it."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from django.conf import settings

from quizbank.bank.glossary import Glossary, glossary_files, load_glossary
from quizbank.bank.markup import ContentErrors

logger = logging.getLogger(__name__)
GLOSSARY_DIR = "glossary"
_lock = threading.Lock()
_cache: dict = {}


def glossary_dir() -> Path:
    return Path(settings.QUIZBANK_CONTENT_DIR) / GLOSSARY_DIR


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in glossary_files(directory))


def glossary() -> Glossary:
    """The glossary; an empty one (and a logged error) if its files do not load."""
    return _load()[0]


def glossary_digest() -> str:
    """A fingerprint of the glossary's text: part of an offline grade's cache key."""
    return _load()[1]


def _load() -> tuple[Glossary, str]:
    directory = glossary_dir()
    stamp = (str(directory), _stamp(directory) if directory.is_dir() else ())
    with _lock:
        if _cache.get("stamp") != stamp:
            digest = hashlib.sha256()
            for path in glossary_files(directory) if directory.is_dir() else []:
                digest.update(path.read_bytes())
            try:
                loaded = load_glossary(directory) if directory.is_dir() else Glossary([])
            except ContentErrors as exc:
                logger.error("the glossary in %s does not load; using none:\n%s", directory, exc)
                loaded = Glossary([])
            _cache.update(stamp=stamp, value=(loaded, digest.hexdigest()[:12]))
        return _cache["value"]
