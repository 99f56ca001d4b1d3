"""Load interview tracks (content/tracks/*.md) into the database, all or nothing: any error in
any file (with its file and line) writes nothing. A track missing from the files is retired."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from quizbank.bank.markup import ContentError, ContentErrors
from quizbank.bank.models import QuestionSet
from quizbank.bank.rendering import render_markdown
from quizbank.interviews.models import Track
from quizbank.interviews.tracks import TrackData, parse_track

TRACKS_DIR = "tracks"
SLUG_LINE = re.compile(r"^slug:\s*([a-z0-9-]+)\s*$", re.M)


def tracks_dir() -> Path:
    return Path(settings.QUIZBANK_CONTENT_DIR) / TRACKS_DIR


def known_sets(content_dir: Path) -> set[str]:
    """Set slugs in the database and in the content files (so --check works before a load)."""
    try:
        slugs = set(QuestionSet.objects.active().values_list("slug", flat=True))
    except DatabaseError:  # `--check` before the first migrate: the files alone
        slugs = set()
    for path in content_dir.glob("*.md"):
        match = SLUG_LINE.search(path.read_text(encoding="utf-8")[:2000])
        if match:
            slugs.add(match.group(1))
    return slugs


def parse_tracks(directory: Path | None = None) -> list[TrackData]:
    directory = directory or tracks_dir()
    sets = known_sets(directory.parent)
    parsed, errors = [], []
    for path in sorted(directory.glob("*.md")):
        shown = str(path.relative_to(settings.BASE_DIR)) if path.is_relative_to(settings.BASE_DIR) else str(path)
        try:
            parsed.append(parse_track(path.read_text(encoding="utf-8"), shown, sets))
        except UnicodeDecodeError:
            errors.append(ContentError(shown, 1, "文件不是 UTF-8 编码"))
        except ContentErrors as exc:
            errors.extend(exc.errors)
    seen: dict[str, str] = {}
    for track in parsed:
        if track.slug in seen:
            errors.append(ContentError(track.path, 1, f"slug {track.slug!r} 与 {seen[track.slug]} 重复"))
        seen.setdefault(track.slug, track.path)
    if errors:
        raise ContentErrors(errors)
    return parsed


def load_tracks(directory: Path | None = None, *, check: bool = False) -> dict:
    parsed = parse_tracks(directory)
    summary = {"tracks": len(parsed), "created": 0, "updated": 0, "retired": 0}
    if check:
        return summary
    with transaction.atomic():
        for data in parsed:
            digest = hashlib.sha256(repr(vars(data)).encode()).hexdigest()
            fields = {
                "title": data.title,
                "order": data.order,
                "questions": data.questions,
                "minutes_per_question": data.minutes_per_question,
                "follow_ups": data.follow_ups,
                "difficulty": list(data.difficulty),
                "topics": dict(data.topics),
                "description_md": data.description,
                "description_html": render_markdown(data.description),
                "source_path": data.path,
                "content_hash": digest,
                "retired_at": None,
            }
            track, created = Track.objects.get_or_create(slug=data.slug, defaults=fields)
            if created:
                summary["created"] += 1
            elif track.content_hash != digest or track.retired_at is not None:
                Track.objects.filter(pk=track.pk).update(**fields)
                summary["updated"] += 1
        summary["retired"] = (
            Track.objects.filter(retired_at__isnull=True)
            .exclude(slug__in=[t.slug for t in parsed])
            .update(retired_at=timezone.now())
        )
    return summary
