"""CSV export and import of questions: the round trip, one cell edited, every bad row reported
with its physical line and column and nothing written, Excel's BOM and CRLF, formulas, code and
pipes in cells, and the commands (docs/csv.md)."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quizbank.authoring import services
from quizbank.authoring.csvio import COLUMNS, CsvImportError, export_csv, import_csv
from quizbank.authoring.diff import diff_sources
from quizbank.authoring.models import Draft, DraftOrigin, DraftState
from quizbank.bank.models import Question
from tests.authoring_factories import make_editor, make_reviewer
from tests.conftest import run_command
from tests.practice_factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return make_editor("csv-editor")


@pytest.fixture
def reviewer():
    return make_reviewer("csv-reviewer")


def exported(*slugs) -> str:
    out = io.StringIO(newline="")
    export_csv(out, set_slugs=list(slugs) or None)
    return out.getvalue()


def table(text: str) -> tuple[list[str], list[dict]]:
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def untable(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[r.get(h, "") for h in header] for r in rows])
    return "\ufeff" + out.getvalue()


def run_import(text: str, user, **kwargs):
    return import_csv(io.StringIO(text, newline=""), user=user, path_label="questions.csv", **kwargs)


def start_line(text: str, question_id: str) -> int:
    """The physical line (header = 1) where the row of `question_id` begins: rows end in CRLF,
    line breaks inside cells are LF, so every \\n starts a physical line."""
    lines = text.removeprefix("\ufeff").split("\n")
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{question_id},"))


NEW_ROW = {
    "id": "rag-csv-new-question",
    "set": "rag",
    "title": "检索增强里，为什么要给分块加重叠？",
    "difficulty": "medium",
    "type": "free",
    "tags": "chunking, rag",
    "answer": "分块时相邻块重叠一小段，避免一句话被切在两个块的边界上、两边都检索不到完整的意思。",
    "key_points": '相邻块重叠一段文本 {weight=2 aliases="重叠|overlap"}\n避免句子被切断在边界上\n重叠太大会增加冗余和索引体积',
}


# -- round trip ----------------------------------------------------------------------------------
def test_export_then_import_of_the_whole_bank_changes_nothing(editor):
    text = exported()
    header, rows = table(text)
    assert tuple(header) == COLUMNS
    assert len(rows) == Question.objects.active().count() > 300
    assert text.startswith("\ufeffid,set,title,") and "\r\n" in text

    result = run_import(text, editor)

    assert (result.created, result.edited, result.warnings) == ([], [], [])
    assert sorted(result.unchanged) == sorted(r["id"] for r in rows)
    assert not Draft.objects.exists()


def test_cells_use_the_block_formats_own_notation():
    _, rows = table(exported("transformer"))
    row = next(r for r in rows if r["id"] == "transformer-architecture-overview")
    question = Question.objects.get(id=row["id"])
    assert row["version"] == str(question.version) and row["set"] == "transformer"
    assert row["key_points"].split("\n")[0] == (
        'Encoder 和 Decoder 各由 N 层相同结构堆叠 {weight=2 aliases="encoder-decoder|编码器|解码器|堆叠|N=6|叠起来|6 个一样的层|叠了 6 层"}'
    )
    section = services.published_source(question).split("### 追问\n\n")[1].split("\n\n### ")[0]
    assert row["follow_ups"] == section and "\n\n  - " in section
    everything = table(exported())[1]
    numeric = next(r for r in everything if r["type"] == "numeric")
    assert numeric["numeric_answer"] and numeric["tolerance"] and not numeric["options"]
    choice = next(r for r in everything if r["type"] == "single")
    assert choice["options"].count("[x] ") == 1 and choice["options"].count("[ ] ") >= 1


def test_editing_one_cell_makes_exactly_one_draft_with_that_change(editor):
    text = exported("rag")
    header, rows = table(text)
    row = rows[2]
    points = row["key_points"].split("\n")
    row["key_points"] = "\n".join([*points[:-1], _reweighted(points[-1])])
    result = run_import(untable(header, rows), editor)

    question = Question.objects.get(id=row["id"])
    assert [e.id for e in result.edited] == [row["id"]] and result.created == []
    assert len(result.unchanged) == len(rows) - 1
    draft = Draft.objects.get()
    assert (draft.question, draft.state, draft.origin, draft.author) == (
        question,
        DraftState.DRAFT,
        DraftOrigin.CSV,
        editor,
    )
    diff = diff_sources(services.published_source(question), draft.source)
    assert diff.summary.weights_changed == 1 and diff.rubric_changed
    assert diff.summary.key_points_changed == 1 and not diff.prose and not diff.metadata
    assert question.version == int(row["version"])  # learners still see the published version


def _reweighted(point: str) -> str:
    """The same key point with weight 5."""
    if "weight=" in point:
        head, _, rest = point.partition("weight=")
        return f"{head}weight=5{rest[1:]}"
    if point.endswith("}"):
        return point[:-1].replace("{", "{weight=5 ", 1) + "}"
    return point + " {weight=5}"


def test_a_second_import_of_the_same_edit_saves_nothing_more(editor):
    header, rows = table(exported("rag"))
    rows[0]["answer"] += "\n\n补充一句：这是新加的一段。"
    text = untable(header, rows)
    first = run_import(text, editor)
    second = run_import(text, editor)
    assert len(first.edited) == 1 and second.edited == [] and rows[0]["id"] in second.unchanged
    assert Draft.objects.get().saves.count() == 2  # the published text, then the CSV's


# -- errors ----------------------------------------------------------------------------------
def test_three_bad_rows_give_three_errors_at_their_lines_and_nothing_is_written(editor):
    text = exported("rag")
    header, rows = table(text)
    assert any("\n" in r["answer"] for r in rows[:3])  # multi-line cells come before the bad rows
    # a dropped key point also fails a follow-up probing the last point: pick a row where none does
    bad_weight = next(r for r in rows[3:] if _highest_probe(r) < r["key_points"].count("\n") + 1)
    bad_difficulty, bad_set = rows[rows.index(bad_weight) + 3], rows[rows.index(bad_weight) + 6]
    points = bad_weight["key_points"].split("\n")
    points[1] = points[1].split(" {")[0] + " {weight=9}"
    bad_weight["key_points"] = "\n".join(points)
    bad_difficulty["difficulty"] = "困难"
    bad_set["set"] = "no-such-set"
    rows[0]["answer"] += "\n\n另外一段。"  # a good edit: not written either
    text = untable(header, rows)

    with pytest.raises(CsvImportError) as caught:
        run_import(text, editor)

    errors = caught.value.errors
    assert sorted((e.line, e.column) for e in errors) == [
        (start_line(text, bad_weight["id"]), "key_points"),
        (start_line(text, bad_difficulty["id"]), "difficulty"),
        (start_line(text, bad_set["id"]), "set"),
    ]
    assert start_line(text, bad_weight["id"]) > 5  # physical lines, not row numbers
    assert errors[0].cell_line == 2 and "weight 必须是 1–5 的整数，而不是 '9'" in errors[0].message
    assert str(errors[0]).startswith(f"questions.csv:{errors[0].line} [key_points 第 2 行]: weight 必须是")
    assert "difficulty 必须是 easy / medium / hard，而不是 '困难'" in errors[1].message
    assert "no-such-set" in errors[2].message
    assert not Draft.objects.exists()


def _highest_probe(row: dict) -> int:
    return max((int(n) for p in re.findall(r'probes="([^"]*)"', row["follow_ups"]) for n in p.split("|")), default=0)


def test_the_csv_reports_the_loaders_message_for_the_same_mistake(editor):
    from quizbank.bank.markup import ContentErrors, parse_question

    row = {**NEW_ROW, "key_points": "第一点 {weight=7}"}
    with pytest.raises(CsvImportError) as caught:
        run_import(untable(list(NEW_ROW), [row]), editor)
    with pytest.raises(ContentErrors) as loader:
        parse_question(
            "## 题目 {#x-y}\ndifficulty: easy\n\n### 回答重点\n\n答。\n\n### 关键点\n\n- 第一点 {weight=7}\n"
        )
    assert sorted(e.message for e in caught.value.errors) == sorted(e.message for e in loader.value.errors)
    assert {e.column for e in caught.value.errors} == {"key_points"}


def test_duplicate_ids_in_the_file_are_errors(editor):
    second = {**NEW_ROW, "title": "同一个 id 的第二行"}
    with pytest.raises(CsvImportError) as caught:
        run_import(untable(list(NEW_ROW), [NEW_ROW, second]), editor)
    [error] = caught.value.errors
    # the first row spans lines 2–4 (its key points are three lines)
    assert (error.line, error.column) == (5, "id") and "第 2 行已经用过" in error.message
    assert not Draft.objects.exists()


def test_an_unknown_set_is_an_error(editor):
    with pytest.raises(CsvImportError) as caught:
        run_import(untable(list(NEW_ROW), [{**NEW_ROW, "set": "ragg"}]), editor)
    [error] = caught.value.errors
    assert (error.line, error.column) == (2, "set") and "'ragg'" in error.message and "rag" in error.message


def test_header_problems_are_reported_together(editor):
    header = ["id", "set", "title", "difficulty", "answer", "keypoints", "answer"]
    with pytest.raises(CsvImportError) as caught:
        run_import(",".join(header) + "\r\n", editor)
    assert [(e.line, e.column) for e in caught.value.errors] == [(1, "keypoints"), (1, "answer"), (1, "key_points")]


def test_wrong_cell_counts_open_fences_and_headings_in_cells(editor):
    text = "id,set,title,difficulty,answer,key_points\r\n"
    text += 'rag-a,rag,"多行\n标题",easy\r\n'
    text += 'rag-b,rag,标题,easy,"第一行\n```python\nx = 1",要点\r\n'
    text += 'rag-c,rag,标题,easy,"第一段\n\n### 扩展知识\n\n第二段",要点\r\n'
    with pytest.raises(CsvImportError) as caught:
        run_import(text, editor)
    first, second, third = caught.value.errors
    # the heading would silently move the rest of the cell into another section
    assert (third.line, third.column, third.cell_line) == (7, "answer", 3) and "### 扩展知识" in third.message
    assert (first.line, first.column) == (2, "") and "4 个单元格，表头有 6 列" in first.message
    assert (second.line, second.column, second.cell_line) == (4, "answer", 2) and "代码块没有闭合" in second.message


def test_an_id_with_someone_elses_open_draft_is_an_error_and_ones_own_is_saved_onto(editor):
    header, rows = table(exported("rag"))
    question = Question.objects.get(id=rows[0]["id"])
    other = make_user("someone-else")
    services.start_edit(user=other, question=question)
    rows[0]["answer"] += "\n\n改一句。"
    with pytest.raises(CsvImportError) as caught:
        run_import(untable(header, rows[:1]), editor)
    [error] = caught.value.errors
    assert error.column == "id" and "someone-else" in error.message

    Draft.objects.update(author=editor)
    result = run_import(untable(header, rows[:1]), editor)
    draft = Draft.objects.get()
    assert [e.draft for e in result.edited] == [draft.pk] and "\n\n改一句。\n" in draft.source


def test_an_edit_of_an_older_version_is_refused(editor, reviewer):
    header, rows = table(exported("rag"))
    question = Question.objects.get(id=rows[0]["id"])
    draft = services.start_edit(user=editor, question=question)
    services.save_draft(user=editor, draft=draft, source=draft.source.replace("### 关键点", "补一句。\n\n### 关键点"))
    services.publish(user=reviewer, draft=services.submit(user=editor, draft=draft))
    rows[0]["title"] += "（改）"
    with pytest.raises(CsvImportError) as caught:
        run_import(untable(header, rows[:1]), editor)
    [error] = caught.value.errors
    assert error.column == "version" and f"现在是 v{question.version + 1}" in error.message


def test_a_version_on_an_unknown_id_is_an_error(editor):
    with pytest.raises(CsvImportError) as caught:
        run_import(untable([*NEW_ROW, "version"], [{**NEW_ROW, "version": "3"}]), editor)
    assert [e.column for e in caught.value.errors] == ["version"]


# -- new questions, Excel, special characters -----------------------------------------------------
def test_excel_style_bom_and_crlf_make_a_new_draft(editor):
    text = untable(list(NEW_ROW), [NEW_ROW]).replace("\r\n", "\n").replace("\n", "\r\n")
    assert text.count("\r\n") == 4 and text.count("\n") == 4 and text.startswith("\ufeff")  # CRLF in cells too
    result = import_csv(io.BytesIO(text.encode()), user=editor, path_label="excel.csv")
    draft = Draft.objects.get()
    assert [c.id for c in result.created] == ["rag-csv-new-question"] == [draft.target_id]
    assert draft.origin == DraftOrigin.CSV and draft.question is None and "\r" not in draft.source
    assert '- 相邻块重叠一段文本 {weight=2 aliases="重叠|overlap"}' in draft.source


def test_a_file_path_in_another_encoding_is_refused_with_a_line(editor, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(b"id,set,title,difficulty,answer,key_points\r\n" + "rag-x,rag,标题".encode("gbk"))
    with pytest.raises(CsvImportError) as caught:
        import_csv(path, user=editor, path_label="gbk.csv")
    assert caught.value.errors[0].line == 2 and "UTF-8" in caught.value.errors[0].message


def test_formulas_code_fences_and_pipes_survive_import_publish_and_export(editor, reviewer):
    row = {
        **NEW_ROW,
        "body": "设 $q, k \\in \\mathbb{R}^{d_k}$，比较：\n\n| 方案 | 代价 |\n|---|---|\n| A | $O(n^2)$ |",
        "answer": '缩放后 $\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})$ 不饱和。\n\n```python\nmask = a | b  # 按位或\nprint(f"{x!r}")\n```\n\n$$\nz = \\frac{q \\cdot k}{\\sqrt{d_k}}\n$$',
        "key_points": (
            '相邻块重叠一段文本 {weight=2 aliases="重叠|overlap|重合"}\n'
            '避免句子被切断在边界上 {aliases="切断|边界"}\n'
            '重叠太大会增加冗余和索引体积 {aliases="冗余|内容重复|索引也会变大"}\n'
            '步长等于块长减重叠：$s = L - o$ {aliases="步长|stride|往前挪"}'
        ),
        "samples": (
            "strong: 切块的时候让前后两块有一段重合，这样一句话不会正好被切断在边界上，检索时至少有一块是完整的；"
            "窗口每次往前挪块长减去重合的长度；重合留太多的话内容重复、索引也会变大。\n"
            "partial: 就是让相邻的块重叠一部分，不然句子会被切断。\n"
            "wrong: 重叠是为了让每个块都变短，块越短检索越准，所以重叠越大越好。"
        ),
    }
    result = run_import(untable(list(row), [row]), editor, submit=True)
    draft = Draft.objects.get(pk=result.created[0].draft)
    assert draft.state == DraftState.REVIEW and result.submitted == 1
    services.publish(user=reviewer, draft=draft)

    header, rows = table(exported("rag"))
    back = next(r for r in rows if r["id"] == row["id"])
    for column in ("body", "answer", "key_points", "samples", "title", "tags"):
        assert back[column] == row[column], column
    assert back["version"] == "1"
    again = run_import(untable(header, [back]), editor)
    assert again.unchanged == [row["id"]] and again.created == again.edited == []


def test_a_column_left_out_keeps_what_the_question_has(editor):
    header, rows = table(exported("rag"))
    row = next(r for r in rows if r["extended"] and r["follow_ups"])
    slim = {h: row[h] for h in ("id", "set", "title", "difficulty", "answer", "key_points")}
    slim["title"] += "？"
    run_import(untable(list(slim), [slim]), editor)
    draft = Draft.objects.get()
    assert "### 扩展知识" in draft.source and "### 追问" in draft.source
    diff = diff_sources(services.published_source(draft.question), draft.source)
    assert [m.key for m in diff.metadata] == ["title"] and not diff.prose


def test_only_authors_may_import():
    learner = make_user("csv-learner")
    with pytest.raises(services.WorkflowError):
        run_import(untable(list(NEW_ROW), [NEW_ROW]), learner)
    assert not Draft.objects.exists()


# -- commands --------------------------------------------------------------------------------
def test_export_csv_command_writes_a_file_and_stdout(tmp_path):
    path = tmp_path / "rag.csv"
    message = run_command("export_csv", str(path), "--set", "rag")
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()) and "rows" in message
    assert len(table(raw.decode("utf-8"))[1]) == Question.objects.active().filter(question_set__slug="rag").count()
    assert run_command("export_csv", "-", "--set", "rag") == raw.decode("utf-8")
    with pytest.raises(CommandError, match="no-such-set"):
        run_command("export_csv", str(tmp_path / "x.csv"), "--set", "no-such-set")
    assert not (tmp_path / "x.csv").exists()


def test_import_csv_command_prints_every_error_and_writes_nothing(editor, tmp_path):
    header, rows = table(exported("rag"))
    rows[1]["difficulty"] = "困难"
    rows[4]["set"] = "nope"
    rows[0]["answer"] += "\n\n新的一段。"
    path = tmp_path / "questions.csv"
    path.write_text(untable(header, rows), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_csv", str(path), "--user", editor.username, stdout=io.StringIO(), stderr=err)
    printed = err.getvalue()
    assert "[difficulty]" in printed and "[set]" in printed and "questions.csv:" in printed
    assert not Draft.objects.exists()

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", str(path), "--user", editor.username, "--json", stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue())
    assert [e["column"] for e in report["errors"]] == ["difficulty", "set"] and report["created"] == []


def test_import_csv_command_summary_and_submit(editor, tmp_path):
    header, rows = table(exported("rag"))
    rows[0]["answer"] += "\n\n新的一段。"
    path = tmp_path / "questions.csv"
    path.write_text(untable(header, rows[:3]), encoding="utf-8")
    out = run_command("import_csv", str(path), "--user", editor.username, "--submit", "--json")
    report = json.loads(out)
    assert len(report["edited"]) == 1 and len(report["unchanged"]) == 2 and report["submitted"] == 1
    assert Draft.objects.get().state == DraftState.REVIEW
    text = run_command("import_csv", str(path), "--user", editor.username)
    assert "0 new" in text and "0 edits" in text and "3 unchanged" in text
    with pytest.raises(CommandError, match="no such user"):
        run_command("import_csv", str(path), "--user", "nobody-here")
