"""Load question-set files into the database (and back out): upsert by id, skip unchanged
files, retire what disappeared, all or nothing."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from quizbank.bank import index_sync, search
from quizbank.bank.bulk import insert_rows
from quizbank.bank.glossary import load_glossary
from quizbank.bank.markup import (
    SECTIONS,
    ContentError,
    ContentErrors,
    FollowUp,
    KeyPoint,
    Option,
    QuestionData,
    Sample,
    SetData,
    format_question,
    format_set,
    heading_ids,
    open_follow_ups,
    parse_set,
)
from quizbank.bank.models import Question, QuestionRevision, QuestionSet, Tag
from quizbank.bank.rendering import (
    RENDERER_VERSION,
    BackgroundRendering,
    render_question,
    stray_math,
    unbalanced_math,
    unknown_math_command,
)
from quizbank.bank.rubric import alias_shares, generic_alias_warnings
from quizbank.bank.vocabulary import GLOSSARY_DIR

logger = logging.getLogger(__name__)
PREFER = ("file", "app")
# Checks an app above the bank adds to `--check` (grading runs the sample answers): each takes
# [(file, SetData)] and returns ContentErrors. Registered in AppConfig.ready.
EXTRA_CHECKS: list = []


def register_check(check) -> None:
    if check not in EXTRA_CHECKS:
        EXTRA_CHECKS.append(check)


@dataclass
class LoadSummary:
    sets: int = 0
    questions: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    files_skipped: int = 0
    checked_only: bool = False
    per_set: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # follow-ups with neither `see=` nor an answer (a mock interview never asks them)
    open_follow_ups: list[ContentError] = field(default_factory=list)
    index_seconds: float = 0.0
    # questions published in the app since their file was loaded, kept as the app has them
    kept_app: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sets": self.sets,
            "questions": self.questions,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "files_skipped": self.files_skipped,
            "check": self.checked_only,
            "per_set": self.per_set,
            "warnings": self.warnings,
            "open_follow_ups": self.open_follow_ups_per_file(),
            "kept_app": self.kept_app,
        }

    def open_follow_ups_per_file(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for warning in self.open_follow_ups:
            counts[warning.path] = counts.get(warning.path, 0) + 1
        return counts


@dataclass
class _File:
    path: Path
    display: str
    text: str
    digest: str


def content_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The .md files named or inside the named directories, and the directories (a set whose
    file left one of them is retired)."""
    files, directories = [], []
    for path in paths:
        if path.is_dir():
            directories.append(path)
            files.extend(sorted(p for p in path.glob("*.md") if p.is_file() and not p.name.startswith(("_", "."))))
        elif path.is_file():
            files.append(path)
        else:
            raise ContentErrors([ContentError(str(path), 0, "没有这个文件或目录")])
    return files, directories


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def stored_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path.resolve())


def load_questions(
    paths: list[Path] | None = None,
    *,
    check: bool = False,
    force: bool = False,
    update_index: bool = True,
    prefer: str = "",
) -> LoadSummary:
    """Validate and load question-set files; raise ContentErrors (writing nothing) on any error.

    A question published in the app since its file was last loaded or exported is kept as the
    app has it when the file did not change it; when both changed, that is a conflict (an error)
    unless `prefer` is "file" or "app" (docs/authoring.md)."""
    with BackgroundRendering() as rendering:  # each set renders while the next one is read
        return _load(paths, rendering, check=check, force=force, update_index=update_index, prefer=prefer)


def _load(paths, rendering: BackgroundRendering, *, check, force, update_index, prefer) -> LoadSummary:
    files, directories = content_files([Path(p) for p in (paths or [settings.QUIZBANK_CONTENT_DIR])])
    loaded = [_read(path) for path in files]
    # --check reads files only (it works before `migrate`); a load skips files it already has.
    known = {} if check or force else {s.source_path: s for s in QuestionSet.objects.active()}
    skipped = {
        f.display: known[stored_path(f.path)]
        for f in loaded
        if stored_path(f.path) in known and known[stored_path(f.path)].content_hash == f.digest
    }
    parsed, errors = [], []
    for f in loaded:
        if f.display in skipped:
            continue
        try:
            parsed.append((f, parse_set(f.text, f.display)))
            rendering.submit(parsed[-1][1].questions)
        except ContentErrors as exc:
            errors.extend(exc.errors)
    errors.extend(_cross_file_errors(parsed, skipped))
    errors.extend(link_errors(parsed, _other_ids(loaded, parsed, check=check)))
    for directory in directories:
        try:
            load_glossary(directory / GLOSSARY_DIR, display_path)
        except ContentErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ContentErrors(errors)

    summary = LoadSummary(files_skipped=len(skipped), checked_only=check)
    # measured once per set: for the warnings and for the rows (the grader reads them)
    shares = [alias_shares(data.questions) for _, data in parsed]
    summary.warnings = [
        str(w) for (_, data), s in zip(parsed, shares, strict=True) for w in generic_alias_warnings(data, s)
    ]
    summary.open_follow_ups = [w for _, data in parsed for w in open_follow_ups(data)]
    if check:
        errors = rendering_errors(parsed, rendering.results())
        for extra in EXTRA_CHECKS:
            errors.extend(extra(parsed))
        if errors:
            raise ContentErrors(errors)
        _count_parsed(summary, [data for _, data in parsed])
        return summary
    with transaction.atomic():
        changed_ids, retired_ids = _write(parsed, skipped, directories, summary, prefer, shares, rendering)
        index_sync.record(changed_ids + retired_ids)  # every node's index catches up
    if summary.created:
        _gather_statistics()
    _count_db(summary, [data.slug for _, data in parsed] + [s.slug for s in skipped.values()])
    if update_index and (changed_ids or retired_ids or not search.default_index().path.exists()):
        started = timezone.now()
        _update_index()
        summary.index_seconds = (timezone.now() - started).total_seconds()
    return summary


def rendering_errors(parsed, rendered: dict[int, dict] | None = None) -> list[ContentError]:
    """Math delimiters the renderer left as text (KaTeX would show them raw), with file and line.
    `rendered`: BackgroundRendering.results() for the parsed questions (None: rendered here)."""
    if rendered is None:
        rendered = {id(q): render_question(q) for _, data in parsed for q in data.questions}
    errors = []
    for f, q, html in ((f, q, rendered[id(q)]) for f, data in parsed for q in data.questions):
        for name, value in html.items():
            section = SECTIONS.get(name.removesuffix("_html"), ("正文",))[0]
            value = _joined(value)
            delimiter = stray_math(value)
            if delimiter:
                message = f"{section} 里的数学公式没有渲染，留下了 {delimiter}（公式写成 $…$，或单独成行的 $$…$$）"
                errors.append(ContentError(f.display, _line_of(f.text, q.line, delimiter), message))
            formula = unbalanced_math(value)
            if formula:
                message = f"{section} 里的公式 {formula[:60]} 花括号 {{ }} 或 \\begin/\\end 不配对（KaTeX 会显示错误）"
                errors.append(ContentError(f.display, _line_of(f.text, q.line, _needle(formula)), message))
            command = unknown_math_command(value)
            if command:
                message = f"{section} 的公式里 {command} 不是 KaTeX 认识的命令（拼写？）"
                errors.append(ContentError(f.display, _line_of(f.text, q.line, command), message))
    return errors


def _joined(value) -> str:
    """One HTML text of a rendered field: a string, a list of strings, or a list of dicts of them."""
    if isinstance(value, list):
        return "\n".join(_joined(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(_joined(v) for v in value.values())
    return value


def _needle(formula: str) -> str:
    """A piece of a formula to find its line by: the start of its first non-empty line."""
    return next((line.strip()[:20] for line in formula.split("\n") if line.strip()), formula[:20])


def _line_of(text: str, start: int, needle: str) -> int:
    """The first line from `start` on that contains `needle` (else `start`)."""
    for number, line in enumerate(text.splitlines()[start - 1 :], start):
        if needle in line:
            return number
    return start


def _read(path: Path) -> _File:
    raw = path.read_bytes()
    display = display_path(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentErrors([ContentError(display, line, "文件不是 UTF-8 编码")]) from exc
    # the renderer's version is part of the digest: a renderer change re-reads (and re-renders) the file
    return _File(path, display, text, hashlib.sha256(RENDERER_VERSION.encode() + b"\0" + raw).hexdigest())


def _cross_file_errors(parsed, skipped) -> list[ContentError]:
    errors = []
    slugs: dict[str, str] = {s.slug: path for path, s in skipped.items()}
    owner: dict[str, str] = {}
    if skipped:
        for q_id, path in (
            Question.objects.active()
            .filter(question_set__in=list(skipped.values()))
            .values_list("id", "question_set__source_path")
        ):
            owner[q_id] = path
    for f, data in parsed:
        if data.slug in slugs:
            errors.append(ContentError(f.display, 1, f"slug {data.slug!r} 已被 {slugs[data.slug]} 使用"))
        slugs[data.slug] = f.display
        for q in data.questions:
            if q.id in owner:
                errors.append(ContentError(f.display, q.line, f"id {q.id!r} 重复：{owner[q.id]} 中已有"))
            else:
                owner[q.id] = f"{f.display}:{q.line}"
    return errors


def _other_ids(loaded: list[_File], parsed, *, check: bool) -> set[str]:
    """Question ids a `see=` may name besides those of the parsed files: the loaded questions of
    the other sets, or (--check, which reads files only) the headings of the other files."""
    parsed_slugs = [data.slug for _, data in parsed]
    if not check:
        return set(Question.objects.active().exclude(question_set__slug__in=parsed_slugs).values_list("id", flat=True))
    parsed_paths = {f.path.resolve() for f, _ in parsed}
    others = {p.resolve() for f in loaded for p in f.path.parent.glob("*.md")} - parsed_paths
    return {qid for path in others for qid in heading_ids(path.read_text(encoding="utf-8", errors="replace"))}


def link_errors(parsed, other_ids: set[str]) -> list[ContentError]:
    """Every `see=` must name a question (in any set)."""
    ids = other_ids | {q.id for _, data in parsed for q in data.questions}
    return [
        ContentError(f.display, follow_up.line, f"追问的 see={follow_up.see} 不是任何题目的 id")
        for f, data in parsed
        for q in data.questions
        for follow_up in q.follow_ups
        if follow_up.see and follow_up.see not in ids
    ]


def _write(
    parsed,
    skipped,
    directories: list[Path],
    summary: LoadSummary,
    prefer: str,
    shares: list[dict],
    rendering: BackgroundRendering,
) -> tuple[list[str], list[str]]:
    now = timezone.now()
    sets_by_slug = {s.slug: s for s in QuestionSet.objects.filter(slug__in=[d.slug for _, d in parsed])}
    incoming: dict[str, tuple[QuestionSet, int, QuestionData]] = {}
    for f, data in parsed:
        qs = sets_by_slug.get(data.slug) or QuestionSet(slug=data.slug)
        qs.title, qs.description, qs.order = data.title, data.description, data.order
        qs.source_path, qs.content_hash, qs.retired_at = stored_path(f.path), f.digest, None
        qs.save()
        sets_by_slug[data.slug] = qs
        for position, q in enumerate(data.questions, start=1):
            incoming[q.id] = (qs, position, q)

    existing = Question.objects.in_bulk(list(incoming))
    kept = _app_edits(incoming, existing, parsed, prefer)  # raises ContentErrors on a conflict
    summary.kept_app = sorted(kept)
    tag_ids = _tag_ids({t for _, _, q in incoming.values() for t in q.tags})
    new_rows, changed_rows, rerendered_rows, revisions, changed_ids, tag_links = [], [], [], [], [], []
    to_render: list[tuple[Question, QuestionData]] = []
    shares_of = {q_id: s for per_set in shares for q_id, s in per_set.items()}
    for q_id, (qs, position, data) in incoming.items():
        source = format_question(data)
        digest = hashlib.sha256(source.encode()).hexdigest()
        row = existing.get(q_id)
        if q_id in kept:
            summary.unchanged += 1
            row.question_set, row.position, row.alias_shares = qs, position, shares_of[q_id]
            row.save(update_fields=["question_set", "position", "alias_shares"])
            continue
        if row is not None and row.content_hash == digest and row.retired_at is None:
            # same text: no new version, but stored and rendered again (the file changed or the
            # renderer did, and with it perhaps the shape of a JSON field)
            summary.unchanged += 1
            _fill(row, data, qs, position, digest, shares_of[q_id])
            to_render.append((row, data))
            rerendered_rows.append(row)
            continue
        new_version = row is None or row.content_hash != digest
        if row is None:
            row = Question(id=q_id, version=1)
            new_rows.append(row)
            summary.created += 1
        else:
            row.version += new_version
            changed_rows.append(row)
            summary.updated += 1
        _fill(row, data, qs, position, digest, shares_of[q_id])
        to_render.append((row, data))
        if new_version:
            revisions.append(
                QuestionRevision(question_id=q_id, version=row.version, content_hash=digest, source=source)
            )
        tag_links.extend((q_id, tag_ids[t]) for t in data.tags)
        changed_ids.append(q_id)
    rendered = rendering.results()
    for row, data in to_render:
        apply_html(row, rendered[id(data)])

    insert_rows(Question, new_rows)
    if changed_rows:
        Question.objects.bulk_update(changed_rows, _CONTENT_FIELDS, batch_size=500)
    if rerendered_rows:
        Question.objects.bulk_update(rerendered_rows, _CONTENT_FIELDS, batch_size=500)
        changed_ids.extend(row.id for row in rerendered_rows)
    existing_revisions = set(
        QuestionRevision.objects.filter(question_id__in=[r.question_id for r in revisions]).values_list(
            "question_id", "version"
        )
    )
    insert_rows(QuestionRevision, [r for r in revisions if (r.question_id, r.version) not in existing_revisions])
    _set_tags([r.id for r in new_rows + changed_rows], tag_links)
    retired_ids = _retire(incoming, parsed, skipped, directories, now, prefer)
    summary.retired = len(retired_ids)
    return changed_ids, retired_ids


_CONTENT_FIELDS = [
    "question_set",
    "position",
    "title",
    "difficulty",
    "qtype",
    "body_md",
    "body_html",
    "answer_md",
    "answer_html",
    "extended_md",
    "extended_html",
    "key_points",
    "key_points_html",
    "alias_shares",
    "follow_ups",
    "follow_ups_html",
    "sources",
    "sources_html",
    "options",
    "numeric_answer",
    "tolerance",
    "unit",
    "version",
    "samples",
    "content_hash",
    "synced_hash",
    "retired_at",
]


def _fill(
    row: Question, data: QuestionData, qs: QuestionSet, position: int, digest: str, shares: dict | None = None
) -> None:
    """Copy a parsed question onto its row (the HTML fields are filled from BackgroundRendering), and
    its aliases' shares when given (rubric.alias_shares, measured over its set)."""
    if shares is not None:
        row.alias_shares = shares
    row.question_set, row.position, row.title = qs, position, data.title
    row.difficulty, row.qtype = data.difficulty, data.qtype
    row.body_md, row.answer_md, row.extended_md = data.body, data.answer, data.extended
    row.key_points = [key_point_dict(k) for k in data.key_points]
    row.follow_ups = [follow_up_dict(f) for f in data.follow_ups]
    row.sources = list(data.sources)
    row.options = [{"text": o.text, "correct": o.correct} for o in data.options]
    row.numeric_answer = "" if data.numeric_answer is None else str(data.numeric_answer)
    row.tolerance, row.unit = data.tolerance, data.unit
    row.samples = [{"kind": s.kind, "text": s.text} for s in data.samples]
    row.content_hash = row.synced_hash = digest
    row.retired_at = None


def key_point_dict(k: KeyPoint) -> dict:
    return {"text": k.text, "weight": k.weight, "aliases": list(k.aliases)}


def follow_up_dict(f: FollowUp) -> dict:
    """A follow-up as Question.follow_ups stores it (docs/content-format.md, Follow-ups)."""
    return {
        "text": f.text,
        "see": f.see,
        "answer": f.answer,
        "key_points": [key_point_dict(k) for k in f.key_points],
        "probes": list(f.probes),
    }


def _key_point(k: dict) -> KeyPoint:
    return KeyPoint(k["text"], k.get("weight", 1), tuple(k.get("aliases", [])))


def _follow_up(f: dict | str) -> FollowUp:
    if isinstance(f, str):  # stored before follow-ups had answers (a database not yet re-loaded)
        return FollowUp(f)
    return FollowUp(
        f["text"],
        f.get("see", ""),
        f.get("answer", ""),
        tuple(map(_key_point, f.get("key_points", []))),
        tuple(f.get("probes", [])),
    )


def apply_html(row: Question, html: dict) -> None:
    """Put render_question's output on a row whose fields _fill set (options get their HTML)."""
    options_html = html.pop("options_html")
    row.options = [{**option, "html": h} for option, h in zip(row.options, options_html, strict=True)]
    for name, value in html.items():
        setattr(row, name, value)


def store_alias_shares(shares: dict[str, dict[str, float]]) -> None:
    rows = list(Question.objects.filter(id__in=list(shares)).only("id", "alias_shares"))
    for row in rows:
        row.alias_shares = shares[row.id]
    Question.objects.bulk_update(rows, ["alias_shares"], batch_size=500)


def _tag_ids(names: set[str]) -> dict[str, int]:
    existing = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = [Tag(name=n) for n in sorted(names - existing.keys())]
    if missing:
        Tag.objects.bulk_create(missing)
        existing = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    return existing


def _set_tags(question_ids: list[str], links: list[tuple[str, int]]) -> None:
    through = Question.tags.through
    for start in range(0, len(question_ids), 500):
        through.objects.filter(question_id__in=question_ids[start : start + 500]).delete()
    insert_rows(through, [through(question_id=q, tag_id=t) for q, t in dict.fromkeys(links)])


def _retire(incoming, parsed, skipped, directories: list[Path], now, prefer: str = "") -> list[str]:
    """Retire questions that left the loaded files, and sets whose file left a loaded directory.
    A question that exists only in the app (published there, never exported) is not in a file
    to leave: it stays."""
    loaded_slugs = [d.slug for _, d in parsed] + [s.slug for s in skipped.values()]
    scope = {qs.id: qs for qs in QuestionSet.objects.filter(slug__in=loaded_slugs)}
    loaded_dirs = {stored_path(d) for d in directories}
    if loaded_dirs:
        for qs in QuestionSet.objects.active().exclude(slug__in=loaded_slugs):
            if str(Path(qs.source_path).parent) in loaded_dirs:
                qs.retired_at = now
                qs.save(update_fields=["retired_at"])
                scope[qs.id] = qs
    retired_ids = list(
        Question.objects.active()
        .filter(question_set_id__in=list(scope))
        .exclude(question_set__in=list(skipped.values()))
        .exclude(id__in=list(incoming))
        .exclude(synced_hash="")
        .values_list("id", "content_hash", "synced_hash")
    )
    edited = [q_id for q_id, content, synced in retired_ids if content != synced]
    if edited and prefer != "file":
        files = {data.slug: f.display for f, data in parsed}
        slugs = dict(Question.objects.filter(id__in=edited).values_list("id", "question_set__slug"))
        raise ContentErrors(
            [
                ContentError(
                    files.get(slugs[q_id], "content"),
                    1,
                    f"冲突：题目 {q_id!r} 已从文件删除，但应用里在上次载入之后发布过修改。"
                    "用 --prefer file 删除它，或先运行 export_questions 写回文件",
                )
                for q_id in edited
            ]
        )
    retired_ids = [q_id for q_id, _, _ in retired_ids]
    Question.objects.filter(id__in=retired_ids).update(retired_at=now)
    return retired_ids


def _count_parsed(summary: LoadSummary, sets: list[SetData]) -> None:
    for data in sets:
        entry = summary.per_set.setdefault(data.slug, {"questions": 0, "by_type": {}, "by_difficulty": {}})
        for q in data.questions:
            entry["questions"] += 1
            entry["by_type"][q.qtype] = entry["by_type"].get(q.qtype, 0) + 1
            entry["by_difficulty"][q.difficulty] = entry["by_difficulty"].get(q.difficulty, 0) + 1
    summary.sets = len(summary.per_set)
    summary.questions = sum(e["questions"] for e in summary.per_set.values())


def _count_db(summary: LoadSummary, slugs: list[str]) -> None:
    per_set: dict = {s: {"questions": 0, "by_type": {}, "by_difficulty": {}} for s in sorted(slugs)}
    rows = (
        Question.objects.active()
        .filter(question_set__slug__in=slugs)
        .values_list("question_set__slug", "qtype", "difficulty")
        .annotate(n=Count("id"))
    )
    for slug, qtype, difficulty, n in rows:
        entry = per_set[slug]
        entry["questions"] += n
        entry["by_type"][qtype] = entry["by_type"].get(qtype, 0) + n
        entry["by_difficulty"][difficulty] = entry["by_difficulty"].get(difficulty, 0) + n
    summary.per_set = per_set
    summary.sets = len(per_set)
    summary.questions = sum(e["questions"] for e in per_set.values())
    if summary.files_skipped:
        skipped_questions = summary.questions - summary.created - summary.updated - summary.unchanged
        summary.unchanged += max(0, skipped_questions)


def _gather_statistics() -> None:
    """PostgreSQL's planner statistics for the new rows now, not when autovacuum next looks (up to
    a minute): without them it guesses a set holds a few questions and joins every card of a deck
    to every question of the set (a card took 160–300 ms instead of 2 ms at 1,000 questions,
    docs/performance.md). SQLite plans without statistics: nothing to do there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "bank_question", "bank_questionset", "bank_question_tags"')


def _update_index() -> None:
    """This node's index catches up now (the ids are in the change log; other nodes catch up on
    their next search)."""
    try:
        index_sync.catch_up(search.default_index(), force=True)
    except Exception:  # noqa: BLE001 — the index is derived data: rebuild rather than fail
        logger.exception("index update failed; rebuilding")
        search.rebuild_index()


def _app_edits(incoming, existing, parsed, prefer: str) -> set[str]:
    """The ids to keep as the app has them: published in the app since the last load or export,
    and unchanged in the file (or `prefer="app"`). Both changed and no `prefer`: ContentErrors."""
    where = {q.id: (f.display, q.line) for f, data in parsed for q in data.questions}
    kept, conflicts = set(), []
    for q_id, (_, _, data) in incoming.items():
        row = existing.get(q_id)
        if row is None or row.retired_at is not None or not row.edited_in_app:
            continue
        digest = hashlib.sha256(format_question(data).encode()).hexdigest()
        if digest == row.content_hash:  # the file has caught up (written back, or edited the same)
            continue
        if digest == row.synced_hash or prefer == "app":
            kept.add(q_id)
        elif prefer != "file":
            path, line = where[q_id]
            conflicts.append(
                ContentError(
                    path,
                    line,
                    f"冲突：题目 {q_id!r} 在文件里和应用里（v{row.version}）都改过。"
                    "用 --prefer file 以文件为准，或 --prefer app 保留应用里的版本"
                    "（之后运行 export_questions 写回文件）",
                )
            )
    if conflicts:
        raise ContentErrors(conflicts)
    return kept


# -- export --------------------------------------------------------------------------------
def question_data(row: Question) -> QuestionData:
    return QuestionData(
        id=row.id,
        title=row.title,
        difficulty=row.difficulty,
        qtype=row.qtype,
        tags=tuple(t.name for t in row.tags.all()),
        body=row.body_md,
        answer=row.answer_md,
        extended=row.extended_md,
        key_points=tuple(map(_key_point, row.key_points)),
        follow_ups=tuple(map(_follow_up, row.follow_ups)),
        sources=tuple(row.sources),
        options=tuple(Option(o["text"], o["correct"]) for o in row.options),
        samples=tuple(Sample(s["kind"], s["text"]) for s in row.samples),
        numeric_answer=Decimal(row.numeric_answer) if row.numeric_answer else None,
        tolerance=row.tolerance,
        unit=row.unit,
    )


def export_questions(outdir: Path | None = None, *, slugs: list[str] | None = None) -> list[Path]:
    """Write every active set in the canonical format: to OUTDIR/<slug>.md, or (no OUTDIR) back
    to the file each set was loaded from — then the files and the database are in step again:
    the next load skips those files and every question counts as synced (docs/authoring.md)."""
    questions = defaultdict(list)
    rows = Question.objects.active().prefetch_related("tags").order_by("position")
    for row in rows.filter(question_set__slug__in=slugs) if slugs else rows:
        questions[row.question_set_id].append(question_data(row))
    written = []
    with transaction.atomic():
        sets = QuestionSet.objects.active().select_for_update()
        for qs in sets.filter(slug__in=slugs) if slugs else sets:
            data = SetData(qs.slug, qs.title, qs.description, qs.order, questions=questions[qs.id])
            path = _export_path(qs, outdir)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = format_set(data)
            tmp = path.with_suffix(".md.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
            if outdir is None:
                qs.source_path, qs.content_hash = stored_path(path), _read(path).digest
                qs.save(update_fields=["source_path", "content_hash"])
        if outdir is None:
            exported = (
                Question.objects.active().filter(question_set__slug__in=slugs) if slugs else Question.objects.active()
            )
            exported.exclude(synced_hash=F("content_hash")).update(synced_hash=F("content_hash"))
    return written


def _export_path(qs: QuestionSet, outdir: Path | None) -> Path:
    if outdir is not None:
        return outdir / f"{qs.slug}.md"
    if qs.source_path:
        path = Path(qs.source_path)
        return path if path.is_absolute() else Path(settings.BASE_DIR) / path
    return Path(settings.QUIZBANK_CONTENT_DIR) / f"{qs.slug}.md"
