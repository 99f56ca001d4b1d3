"""CSV export and import of questions (docs/csv.md): a row per question, its cells the parts of
the block format. An import builds each row's question block and checks it with the editor's
validation (the loader's parser and messages); every problem names the CSV line and column, and
nothing is written unless every row passes. Imported rows become drafts for review."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from django.db import transaction

from quizbank.authoring import services
from quizbank.authoring.csvrows import (
    COLUMNS,
    ONE_LINE,
    PROSE,
    REQUIRED,
    CsvProblem,
    build_block,
    cell_problems,
    located,
    question_row,
)
from quizbank.authoring.models import Draft, DraftOrigin, DraftState
from quizbank.authoring.permissions import can_author
from quizbank.authoring.validation import check_source
from quizbank.bank.loader import question_data
from quizbank.bank.markup import ContentErrors, format_question, parse_question
from quizbank.bank.models import Question, QuestionSet


class CsvImportError(Exception):
    """Every problem of a file; nothing was written."""

    def __init__(self, errors: list[CsvProblem], warnings: list[CsvProblem] | None = None):
        self.errors, self.warnings = errors, warnings or []
        super().__init__("\n".join(map(str, errors)))


class CsvExportError(Exception):
    pass


@dataclass
class Imported:
    """One row written: the draft it created or saved."""

    line: int
    id: str
    draft: int

    def as_dict(self) -> dict:
        return {"line": self.line, "id": self.id, "draft": self.draft}


@dataclass
class CsvImport:
    rows: int = 0
    created: list[Imported] = field(default_factory=list)  # drafts of new questions
    edited: list[Imported] = field(default_factory=list)  # drafts editing published questions
    unchanged: list[str] = field(default_factory=list)
    submitted: int = 0
    warnings: list[CsvProblem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "created": [i.as_dict() for i in self.created],
            "edited": [i.as_dict() for i in self.edited],
            "unchanged": self.unchanged,
            "submitted": self.submitted,
            "warnings": [w.as_dict() for w in self.warnings],
            "errors": [],
        }


# -- export --------------------------------------------------------------------------------
def export_csv(out: TextIO, *, set_slugs: list[str] | None = None) -> int:
    """Write every active question (of `set_slugs`) as CSV with a BOM; returns the row count.
    `out` should be opened with newline="" (rows end in CRLF, line breaks in cells are LF)."""
    sets = QuestionSet.objects.active()
    if set_slugs:
        unknown = sorted(set(set_slugs) - set(sets.filter(slug__in=set_slugs).values_list("slug", flat=True)))
        if unknown:
            raise CsvExportError(f"没有这个题集 / no such set: {', '.join(unknown)}")
        sets = sets.filter(slug__in=set_slugs)
    rows = (
        Question.objects.active()
        .filter(question_set__in=sets)
        .select_related("question_set")
        .prefetch_related("tags")
        .order_by("question_set__order", "question_set__slug", "position")
    )
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows.iterator(chunk_size=500):
        cells = question_row(question_data(row), row.question_set.slug, row.version)
        writer.writerow([cells[c] for c in COLUMNS])
        count += 1
    return count


# -- import --------------------------------------------------------------------------------
@dataclass
class _Plan:
    line: int
    id: str
    source: str  # the canonical block saved as the draft
    question_set: QuestionSet
    question: Question | None = None
    draft: Draft | None = None  # the user's own open draft of this id
    base_version: int | None = None


def import_csv(f: TextIO | BinaryIO | str | Path, *, user, path_label: str, submit: bool = False) -> CsvImport:
    """Every row becomes a draft (a new question, or an edit of the published one; rows equal to
    the published version are left alone). Raises CsvImportError with every problem, writing
    nothing, when any row is wrong. `submit`: send the drafts to review at once."""
    if not can_author(user):
        raise services.WorkflowError(f"{user} 不能编辑题目（要有编辑权限）")
    reader = _Reader(path_label)
    rows = reader.rows(_read_text(f, path_label))
    result = CsvImport(rows=len(rows))
    plans = _validate(reader, rows, user, result)
    if reader.errors:
        raise CsvImportError(reader.errors, reader.warnings)
    result.warnings = reader.warnings
    with transaction.atomic():
        for plan in plans:
            try:
                _write(plan, user, path_label, submit, result)
            except services.WorkflowError as exc:  # the bank moved between the check and the write
                raise CsvImportError([CsvProblem(path_label, plan.line, "id", str(exc))], result.warnings) from None
    return result


def _read_text(f, path_label: str) -> str:
    raw = Path(f).read_bytes() if isinstance(f, (str, Path)) else f.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            message = "文件不是 UTF-8 编码（在 Excel 里另存为「CSV UTF-8（逗号分隔）」）"
            raise CsvImportError([CsvProblem(path_label, line, "", message)]) from None
    return raw.removeprefix("\ufeff")


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.errors: list[CsvProblem] = []
        self.warnings: list[CsvProblem] = []

    def error(self, line: int, column: str, message: str, cell_line: int = 0) -> None:
        self.errors.append(CsvProblem(self.path, line, column, message, cell_line))

    def rows(self, text: str) -> list[tuple[int, dict[str, str]]]:
        """(start line, cells by column) of every non-empty row after the header."""
        reader = csv.reader(io.StringIO(text, newline=""))
        start, records = 1, []
        try:
            for cells in reader:
                records.append((start, cells))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise CsvImportError([CsvProblem(self.path, start, "", f"CSV 格式错误：{exc}")]) from None
        if not records:
            raise CsvImportError([CsvProblem(self.path, 1, "", "文件是空的（第一行要是表头）")])
        header = [name.strip() for name in records[0][1]]
        self.check_header(header)
        if self.errors:
            raise CsvImportError(self.errors)
        rows = []
        for line, cells in records[1:]:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                self.error(line, "", f"这一行有 {len(cells)} 个单元格，表头有 {len(header)} 列（引号没有配对？）")
                continue
            cells = [c.replace("\r\n", "\n").replace("\r", "\n") for c in cells]
            rows.append((line, dict(zip(header, cells, strict=True))))
        return rows

    def check_header(self, header: list[str]) -> None:
        seen = set()
        for name in header:
            if name not in COLUMNS:
                self.error(1, name, f"未知的列 {name!r}（可用：{', '.join(COLUMNS)}）")
            elif name in seen:
                self.error(1, name, f"列 {name!r} 重复")
            seen.add(name)
        for name in REQUIRED:
            if name not in seen:
                self.error(1, name, f"缺少必需的列 {name!r}（必需：{', '.join(REQUIRED)}）")


def _validate(reader: _Reader, rows, user, result: CsvImport) -> list[_Plan]:
    """Check every row (nothing written); the plan of each row that changes something."""
    ids = [cells["id"].strip() for _, cells in rows]
    sets = {s.slug: s for s in QuestionSet.objects.active()}
    questions = Question.objects.filter(id__in=ids).select_related("question_set").prefetch_related("tags")
    published = {q.id: q for q in questions}
    drafts = {d.target_id: d for d in Draft.objects.open().filter(target_id__in=ids).select_related("author")}
    first_line: dict[str, int] = {}
    plans = []
    for line, cells in rows:
        errors_before = len(reader.errors)
        for column in ONE_LINE:
            cells[column] = cells.get(column, "").strip()
            if "\n" in cells[column]:
                reader.error(line, column, "只能写一行")
        qid, slug = cells["id"], cells["set"]
        if qid and qid in first_line:
            reader.error(line, "id", f"id {qid!r} 重复（第 {first_line[qid]} 行已经用过）")
        first_line.setdefault(qid, line)
        question_set = sets.get(slug)
        if question_set is None:
            reader.error(line, "set", f"没有这个题集 {slug!r}（可用：{', '.join(sorted(sets))}）")
        question, draft = published.get(qid), drafts.get(qid)
        if draft is not None and draft.author_id != user.pk:
            who = draft.author.username if draft.author else "?"
            reader.error(line, "id", f"题目 {qid!r} 有一份 {who} 的草稿（#{draft.pk}）还没有结束：等它发布或撤回再导入")
        version = cells.get("version", "")
        if version and not version.isdigit():
            reader.error(line, "version", f"version 必须是整数，而不是 {version!r}")
        if question is not None:
            if question.retired_at is not None:
                reader.error(line, "id", f"题目 {qid!r} 已下线，不能用 CSV 修改")
            elif question_set is not None and question.question_set_id != question_set.id:
                reader.error(line, "set", f"题目 {qid!r} 属于 {question.question_set.slug}，CSV 不能把它移到 {slug}")
            # a column left out keeps what the question has
            cells = {**question_row(question_data(question), question.question_set.slug), **cells}
        elif version:
            reader.error(line, "version", f"没有已发布的题目 {qid!r}：新题的 version 留空（id 写错了？）")
        if len(reader.errors) > errors_before:
            continue
        plan = _check_row(reader, line, cells, question_set, question, draft)
        if plan is None:
            continue
        if plan.question is None or not version or int(version) == question.version:
            plans.append(plan)
        else:
            reader.error(
                line,
                "version",
                f"这道题在导出之后又发布了新版本（CSV 里是 v{version}，现在是 v{question.version}）："
                "请重新导出，把修改改到新版本上",
            )
    if not reader.errors:
        planned = {p.id for p in plans}
        result.unchanged = [cells["id"] for _, cells in rows if cells["id"] not in planned]
    return plans


def _check_row(reader: _Reader, line: int, cells: dict, question_set, question, draft) -> _Plan | None:
    """The row's block checked as the editor checks it; None when it has errors or is unchanged."""
    for column in PROSE:
        for cell_line, message in cell_problems(cells.get(column, "")):
            reader.error(line, column, message, cell_line)
    if any(e.line == line for e in reader.errors):
        return None
    source, origins = build_block(cells)
    if question is not None:
        try:
            data = parse_question(source)
        except ContentErrors as exc:
            reader.errors += located(exc.errors, path=reader.path, line=line, origins=origins, cells=cells)
            return None
        if data == question_data(question):
            return None
    checked = check_source(
        source, question_set=question_set, question=question, draft_id=draft.pk if draft is not None else None
    )
    where = {"path": reader.path, "line": line, "origins": origins, "cells": cells}
    reader.warnings += located(checked.warnings, **where)
    if not checked.ok:
        reader.errors += located(checked.errors, **where)
        return None
    return _Plan(
        line,
        checked.data.id,
        format_question(checked.data),
        question_set,
        question,
        draft,
        draft.base_version if draft is not None else question.version if question is not None else None,
    )


def _write(plan: _Plan, user, path_label: str, submit: bool, result: CsvImport) -> None:
    note = f"CSV {path_label}:{plan.line}"[:200]
    if plan.question is not None:
        draft = services.start_edit(user=user, question=plan.question)
        if draft.author_id != user.pk or draft.base_version != plan.base_version:
            raise services.WorkflowError(f"题目 {plan.id!r} 刚刚有了别人的草稿或新版本：请重新导出再导入")
        if plan.draft is None:
            Draft.objects.filter(pk=draft.pk).update(origin=DraftOrigin.CSV)
        saved = _save(user, draft, plan.source, note)
        target = result.edited
    elif plan.draft is not None:
        draft = plan.draft
        saved = _save(user, draft, plan.source, note)
        target = result.created
    else:
        draft = services.create_draft(
            user=user, question_set=plan.question_set, source=plan.source, origin=DraftOrigin.CSV, note=note
        )
        saved = draft
        if draft.target_id != plan.id:
            raise services.WorkflowError(f"id {plan.id!r} 刚刚被别的草稿或题目用了")
        target = result.created
    if saved is None:  # the user's open draft already says this
        result.unchanged.append(plan.id)
        return
    target.append(Imported(plan.line, plan.id, draft.pk))
    draft.refresh_from_db()
    if submit and draft.state != DraftState.REVIEW:
        services.submit(user=user, draft=draft)
        result.submitted += 1


def _save(user, draft: Draft, source: str, note: str):
    """A new save, or None when the draft already holds this text."""
    if draft.source == source:
        return None
    return services.save_draft(user=user, draft=draft, source=source, note=note)
