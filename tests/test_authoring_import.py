"""`load_questions --lenient`: ordinary notes become drafts for editors, with a summary of what
was imported and skipped (with lines), and nothing half-imported."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quizbank.authoring import imports
from quizbank.authoring.lenient import parse_notes
from quizbank.authoring.models import Draft, DraftOrigin
from quizbank.authoring.validation import check_source
from quizbank.bank.markup import ContentErrors, parse_question
from quizbank.bank.models import Question, QuestionSet
from tests.conftest import run_command

pytestmark = pytest.mark.django_db
NOTES = Path(__file__).parent / "data" / "notes"
FILES = sorted(NOTES.glob("*.md"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_question_of_a_notes_file_becomes_a_draft_that_only_lacks_key_points(path):
    notes = parse_notes(path.read_text(encoding="utf-8-sig"))
    result = imports.import_notes(path, set_slug="rag", display=path.name)
    assert len(result.imported) + sum("题库里已有" in s.reason for s in result.skipped) == len(notes.questions)
    assert len(result.imported) >= 8
    rag = QuestionSet.objects.get(slug="rag")
    for item in result.imported:
        draft = Draft.objects.get(pk=item.draft_id)
        assert draft.origin == DraftOrigin.IMPORT and draft.question is None and draft.target_id == item.target_id
        checked = check_source(draft.source, question_set=rag, draft_id=draft.pk)
        # what the editor still has to write is the rubric; the rest of the block is sound
        assert [e.message[:5] for e in checked.errors] in (["没有关键点"], []), (item.title, checked.errors)
    lines = [s.line for s in result.skipped]
    assert lines == sorted(lines) and all(s.reason for s in result.skipped)


def test_the_command_prints_lines_and_json(tmp_path):
    out = run_command("load_questions", str(NOTES / "rag_bold_qa.md"), "--lenient", "--set", "rag", "--json")
    data = json.loads(out)
    assert data["set"] == "rag" and len(data["imported"]) == 9
    assert {"line": 77, "reason": "与第 12 行的问题重复"}.items() <= data["skipped"][-2].items()
    # a second import of the same notes finds its own drafts: everything is skipped, nothing doubled
    again = json.loads(
        run_command("load_questions", str(NOTES / "rag_bold_qa.md"), "--lenient", "--set", "rag", "--json")
    )
    assert again["imported"] == [] and Draft.objects.count() == 9


def test_a_question_already_in_the_bank_is_skipped_with_its_id(tmp_path):
    existing = Question.objects.filter(question_set__slug="rag").first()
    notes = tmp_path / "n.md"
    notes.write_text(f"## {existing.title}\n\n我的答案。\n\n## 一个新问题？\n\n新答案。\n", encoding="utf-8")
    result = imports.import_notes(notes, set_slug="rag", display="n.md")
    assert [i.title for i in result.imported] == ["一个新问题？"]
    assert [s.reason for s in result.skipped] == [f"题库里已有同样的题目：{existing.id}"]


def test_nothing_is_half_imported(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = imports.create_draft

    def failing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(imports, "create_draft", failing)
    with pytest.raises(RuntimeError):
        imports.import_notes(NOTES / "rag_bold_qa.md", set_slug="rag", display="x")
    assert Draft.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "no-such-set"], "没有题集"),
        ([], "--set"),
    ],
)
def test_bad_arguments_write_nothing(args, message, capsys):
    with pytest.raises(CommandError):
        call_command("load_questions", str(NOTES / "rag_bold_qa.md"), "--lenient", *args)
    assert Draft.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "gbk.md"
    path.write_bytes("## 问题？\n\n答案\n".encode() + "## 第二\n\n中文".encode("gbk"))
    with pytest.raises(ContentErrors) as exc:
        imports.import_notes(path, set_slug="rag", display="gbk.md")
    assert exc.value.errors[0].line == 4 and Draft.objects.count() == 0


def test_headings_inside_an_answer_are_made_bold_not_new_questions():
    block = imports.draft_block(
        parse_notes("## 问题一？\n\n先说结论。\n\n### 优点\n\n- 快\n\n```\n## 代码里的\n```\n").questions[0], "rag-x-1"
    )
    assert "**优点**" in block and "```\n## 代码里的\n```" in block
    with pytest.raises(ContentErrors) as exc:  # one question whose only gap is the rubric
        parse_question(block)
    assert [e.message[:5] for e in exc.value.errors] == ["没有关键点"]


def test_check_reports_the_import_and_writes_nothing():
    out = run_command("load_questions", str(NOTES / "rag_bold_qa.md"), "--lenient", "--set", "rag", "--check", "--json")
    data = json.loads(out)
    assert data["check"] is True and len(data["imported"]) == 9 and Draft.objects.count() == 0


def test_placeholder_and_image_only_answers_are_skipped_and_the_real_answer_kept(tmp_path):
    notes = tmp_path / "n.md"
    notes.write_text(
        "### 1. 什么是 Zorblat？\n\n略\n\n### 2. KV cache 长什么样？\n\n![x](a.png)\n\n### 3. 什么是 Zorblat?\n\n真正的答案。\n",
        "utf-8",
    )
    result = imports.import_notes(notes, set_slug="rag", display="n.md")
    assert [(i.line, i.title) for i in result.imported] == [(9, "什么是 Zorblat?")]
    assert [s.reason for s in result.skipped] == ["答案只是占位（略）", "答案只有图片，没有文字"]
    assert result.imported[0].target_id.startswith("rag-zorblat-")


def test_a_details_fold_around_an_answer_is_dropped_and_code_inside_kept():
    block = imports.draft_block(
        parse_notes(
            "## 问题一？\n\n<details>\n<summary>点击查看答案</summary>\n\n答案正文。\n\n```html\n<details>\n```\n\n</details>\n"
        ).questions[0],
        "rag-x-2",
    )
    assert "<summary>" not in block and "答案正文。" in block and "```html\n<details>\n```" in block
