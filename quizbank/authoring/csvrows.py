"""A question as a CSV row and back (docs/csv.md): the cells of a question, the question block a
row stands for, and a block's errors placed at the row's column. Pure: no database."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from quizbank.bank.markup import (
    FENCE_RE,
    SECTION_RE,
    ContentError,
    QuestionData,
    format_follow_up,
    format_key_point,
)

COLUMNS = (
    "id",
    "set",
    "title",
    "difficulty",
    "type",
    "tags",
    "body",
    "answer",
    "extended",
    "key_points",
    "follow_ups",
    "sources",
    "options",
    "numeric_answer",
    "tolerance",
    "unit",
    "samples",
    "version",
)
REQUIRED = ("id", "set", "title", "difficulty", "answer", "key_points")
ONE_LINE = ("id", "set", "title", "difficulty", "type", "numeric_answer", "tolerance", "unit", "version")
PROSE = ("body", "answer", "extended", "follow_ups")
BULLET_RE = re.compile(r"^[-*+]\s+")
# Errors on the heading or metadata lines that name their column better than the line does.
MESSAGE_COLUMNS = (
    (re.compile(r"(?:^|\s)id\b"), "id"),
    (re.compile(r"difficulty"), "difficulty"),
    (re.compile(r"缺少 answer"), "numeric_answer"),
    (re.compile(r"缺少 tolerance"), "tolerance"),
    (re.compile(r"选择题|选项"), "options"),
)
HEAD_COLUMNS = ("title", "difficulty", "type", "tags", "numeric_answer", "tolerance", "unit")


@dataclass(frozen=True)
class CsvProblem:
    """An error or warning at a row (the physical line where it starts; the header is line 1)."""

    path: str
    line: int
    column: str
    message: str
    cell_line: int = 0  # the line inside a multi-line cell, when known

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.column:
            inside = f" 第 {self.cell_line} 行" if self.cell_line else ""
            where += f" [{self.column}{inside}]"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "cell_line": self.cell_line, "message": self.message}


def question_row(data: QuestionData, set_slug: str, version: int | str = "") -> dict[str, str]:
    """A question's cells: list items one a line, in the block format's own notation."""
    return {
        "id": data.id,
        "set": set_slug,
        "title": data.title,
        "difficulty": data.difficulty,
        "type": data.qtype,
        "tags": ", ".join(data.tags),
        "body": data.body,
        "answer": data.answer,
        "extended": data.extended,
        "key_points": "\n".join(map(format_key_point, data.key_points)),
        "follow_ups": "\n".join(map(format_follow_up, data.follow_ups)),
        "sources": "\n".join(data.sources),
        "options": "\n".join(f"[{'x' if o.correct else ' '}] {o.text}" for o in data.options),
        "numeric_answer": "" if data.numeric_answer is None else str(data.numeric_answer),
        "tolerance": data.tolerance,
        "unit": data.unit,
        "samples": "\n".join(f"{s.kind}: {s.text}" for s in data.samples),
        "version": str(version),
    }


def cell_problems(text: str) -> list[tuple[int, str]]:
    """What a cell may not hold that a file may: a heading that would start another question or
    section (the cell's end is the section's end), a code fence left open."""
    problems, in_fence, opened = [], "", 0
    for number, line in enumerate(text.split("\n"), 1):
        fence = FENCE_RE.match(line)
        if fence and (not in_fence or fence.group(1).startswith(in_fence)):
            in_fence, opened = ("", 0) if in_fence else (fence.group(1), number)
        elif not in_fence and (line.startswith("## ") or SECTION_RE.match(line)):
            message = f"单元格里不能写 ## 或 ### 标题（{line[:30]}）：它会开始新的问题或小节；小标题用 ####"
            problems.append((number, message))
    if in_fence:
        problems.append((opened, "代码块没有闭合（缺少结束的 ```）"))
    return problems


def build_block(cells: dict[str, str]) -> tuple[str, list[tuple[str, int]]]:
    """The question block of a row, and for each of its lines (column, line in the cell)."""
    lines: list[str] = []
    origins: list[tuple[str, int]] = []

    def add(text: str, column: str, cell_line: int = 0) -> None:
        lines.append(text)
        origins.append((column, cell_line))

    def quoted(value) -> str:  # a JSON string or list is a YAML flow scalar: always one valid line
        return json.dumps(value, ensure_ascii=False)

    add(f"## {cells['title']} {{#{cells['id']}}}", "title")
    for column, key in (("difficulty", "difficulty"), ("type", "type")):
        if cells.get(column):
            add(f"{key}: {quoted(cells[column])}", column)
    tags = [t.strip() for t in re.split(r"[,，\n]", cells.get("tags", "")) if t.strip()]
    if tags:
        add(f"tags: {quoted(tags)}", "tags")
    for column, key in (("numeric_answer", "answer"), ("tolerance", "tolerance"), ("unit", "unit")):
        if cells.get(column):
            add(f"{key}: {quoted(cells[column])}", column)

    def text_cell(column: str, heading: str = "", bullets: bool = False) -> None:
        value = cells.get(column, "")
        if not value.strip() and column not in REQUIRED:
            return
        add("", column)
        if heading:
            add(f"### {heading}", column)
            add("", column)
        for number, text in enumerate(value.split("\n"), 1):
            if bullets and text.strip():
                add(f"- {BULLET_RE.sub('', text.strip())}", column, number)
            elif not bullets:
                add(text, column, number)

    text_cell("body")
    text_cell("options", "选项", bullets=True)
    text_cell("answer", "回答重点")
    text_cell("extended", "扩展知识")
    text_cell("key_points", "关键点", bullets=True)
    text_cell("follow_ups", "追问")
    text_cell("sources", "来源", bullets=True)
    text_cell("samples", "样例答案", bullets=True)
    return "\n".join(lines) + "\n", origins


def located(
    problems: list[ContentError], *, path: str, line: int, origins: list[tuple[str, int]], cells: dict[str, str]
) -> list[CsvProblem]:
    """A block's errors as the row's: the column (and the line in it) each block line came from."""
    out = []
    for problem in problems:
        column, cell_line = origins[problem.line - 1] if 0 < problem.line <= len(origins) else ("", 0)
        if column in HEAD_COLUMNS or not column:
            for pattern, named in MESSAGE_COLUMNS:
                if pattern.search(problem.message) and (named != "id" or problem.line <= 1):
                    column, cell_line = named, 0
                    break
        if "\n" not in cells.get(column, ""):
            cell_line = 0
        out.append(CsvProblem(path, line, column, problem.message, cell_line))
    return out
