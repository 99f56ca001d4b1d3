"""Loading: upsert by id, idempotent, skip unchanged files, retire never delete, all or nothing,
and the export fixed point."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizbank.bank.markup import ContentErrors
from quizbank.bank.models import Question, QuestionRevision, QuestionSet
from tests.helpers import load, run_command, sample_text, write_set

pytestmark = pytest.mark.django_db


def test_it_loads_a_set_and_is_idempotent(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    first = load(content_dir)
    assert (first.created, first.updated, first.retired) == (3, 0, 0)
    again = load(content_dir, force=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Question.objects.get(id="sample-7b-weights").version == 1
    assert QuestionRevision.objects.filter(question_id="sample-7b-weights").count() == 1


def test_new_questions_get_planner_statistics_on_postgresql(content_dir):
    """Without them PostgreSQL joins every card to every question of a set (docs/performance.md)."""
    write_set(content_dir, "sample.md", sample_text())
    with CaptureQueriesContext(connection) as ctx:
        load(content_dir)
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analyzed == (
        ['ANALYZE "bank_question", "bank_questionset", "bank_question_tags"']
        if connection.vendor == "postgresql"
        else []
    )
    with CaptureQueriesContext(connection) as ctx:
        load(content_dir, force=True)  # nothing new: nothing to gather
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]


def test_it_skips_files_whose_hash_is_unchanged(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    summary = load(content_dir)
    assert summary.files_skipped == 1
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)


def test_a_renderer_change_renders_unchanged_questions_again_without_a_new_version(content_dir, monkeypatch):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    sample = Question.objects.filter(question_set__slug="sample")
    sample.update(answer_html="<p>rendered by an older renderer</p>")
    assert load(content_dir).files_skipped == 1  # same file, same renderer: nothing to do
    monkeypatch.setattr("quizbank.bank.loader.RENDERER_VERSION", "next")
    summary = load(content_dir)
    assert (summary.files_skipped, summary.created, summary.updated, summary.unchanged) == (0, 0, 0, 3)
    for q in sample:
        assert "older renderer" not in q.answer_html and q.answer_html.startswith("<")
        assert q.version == 1 and q.revisions.count() == 1


def test_an_edit_updates_the_question_and_keeps_a_revision(content_dir):
    path = write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    path.write_text(sample_text().replace("7B 模型 BF16 权重", "70 亿参数模型 BF16 权重"), encoding="utf-8")
    summary = load(content_dir)
    assert (summary.updated, summary.unchanged) == (1, 2)
    q = Question.objects.get(id="sample-7b-weights")
    assert q.version == 2 and q.title.startswith("70 亿")
    assert list(q.revisions.values_list("version", flat=True)) == [2, 1]


def test_it_retires_a_removed_question_and_keeps_its_history(content_dir):
    path = write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    text = sample_text()
    path.write_text(text[: text.index("## 下列哪些是")], encoding="utf-8")
    summary = load(content_dir)
    assert summary.retired == 1
    retired = Question.objects.get(id="sample-mcp-primitives")
    assert retired.is_retired and retired.revisions.exists()
    assert not Question.objects.active().filter(id="sample-mcp-primitives").exists()
    path.write_text(text, encoding="utf-8")
    load(content_dir)
    assert not Question.objects.get(id="sample-mcp-primitives").is_retired


def test_a_set_whose_file_disappeared_is_retired(content_dir):
    path = write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    path.unlink()
    summary = load(content_dir)
    assert summary.retired == 3
    assert QuestionSet.objects.get(slug="sample").retired_at is not None


def test_a_bad_file_writes_nothing_at_all(content_dir):
    write_set(content_dir, "a.md", sample_text())
    write_set(
        content_dir, "b.md", sample_text().replace("slug: sample", "slug: other").replace("{#sample-7b-weights}", "")
    )
    before = Question.objects.count()
    with pytest.raises(ContentErrors) as exc:
        load(content_dir)
    assert Question.objects.count() == before
    assert not QuestionSet.objects.filter(slug__in=["sample", "other"]).exists()
    messages = [str(e) for e in exc.value.errors]
    assert any("b.md:" in m and "问题缺少 id" in m for m in messages)


def test_a_duplicate_id_across_files_is_named_with_both_places(content_dir):
    write_set(content_dir, "a.md", sample_text())
    write_set(content_dir, "b.md", sample_text().replace("slug: sample", "slug: other"))
    with pytest.raises(ContentErrors) as exc:
        load(content_dir)
    assert any(
        str(e).endswith("id 'sample-self-attention' 重复：" + str(content_dir / "a.md") + ":8 中已有")
        or ("b.md:8" in str(e) and "a.md:8" in str(e))
        for e in exc.value.errors
    ), exc.value.errors
    assert not QuestionSet.objects.filter(slug__in=["sample", "other"]).exists()


def test_a_duplicate_id_in_an_unchanged_file_is_caught(content_dir):
    write_set(content_dir, "a.md", sample_text())
    load(content_dir)
    other = sample_text().replace("slug: sample", "slug: other")
    write_set(
        content_dir,
        "b.md",
        other.replace("{#sample-7b-weights}", "{#other-x}").replace("{#sample-mcp-primitives}", "{#other-y}"),
    )
    with pytest.raises(ContentErrors) as exc:
        load(content_dir)
    assert any("'sample-self-attention' 重复" in str(e) for e in exc.value.errors)


def test_check_validates_and_writes_nothing(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    summary = load(content_dir, check=True)
    assert summary.questions == 3
    assert not QuestionSet.objects.filter(slug="sample").exists()


def test_export_reaches_a_fixed_point(content_dir, tmp_path):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    run_command("export_questions", str(tmp_path / "one"))
    load(tmp_path / "one")
    run_command("export_questions", str(tmp_path / "two"))
    one, two = sorted((tmp_path / "one").glob("*.md")), sorted((tmp_path / "two").glob("*.md"))
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_the_command_prints_a_json_summary_with_counts_per_set(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    summary = json.loads(run_command("load_questions", str(content_dir), "--json"))
    assert summary["created"] == 3
    assert summary["per_set"]["sample"] == {
        "questions": 3,
        "by_type": {"free": 1, "multi": 1, "numeric": 1},
        "by_difficulty": {"easy": 2, "medium": 1},
    }


def test_the_command_fails_with_file_and_line(content_dir, capsys):
    write_set(content_dir, "bad.md", sample_text().replace("difficulty: medium", "difficulty: brutal"))
    with pytest.raises(CommandError):
        call_command("load_questions", str(content_dir))
    assert "bad.md:53: difficulty 必须是" in capsys.readouterr().err


def test_check_warns_about_generic_aliases_with_file_and_line_and_load_stores_shares(content_dir):
    from quizbank.bank.models import Question

    questions = []
    for i in range(1, 11):
        questions.append(
            f"## 问题 {i}？ {{#g-{i}}}\ndifficulty: easy\n\n### 回答重点\n\n第 {i} 题的答案，提到了通用词和专有词{i}号。\n\n"
            f'### 关键点\n\n- 要点 {{aliases="通用词|专有词{i}号"}}\n- 另一点\n- 第三点\n'
        )
    path = write_set(
        content_dir, "g.md", "---\nslug: g\ntitle: G\ndescription: d\norder: 1\n---\n\n" + "\n".join(questions)
    )
    summary = load(content_dir, check=True)
    lines = [n for n, text in enumerate(path.read_text().split("\n"), 1) if 'aliases="通用词' in text]
    assert [w.split(": ", 1)[0].rsplit(":", 1)[1] for w in summary.warnings] == [str(n) for n in lines]
    assert all(w.startswith(str(path.name)) or "g.md:" in w for w in summary.warnings)
    assert all("'通用词'" in w and "100%" in w for w in summary.warnings)
    load(content_dir)
    shares = Question.objects.get(id="g-1").alias_shares
    assert shares["通用词"] == 1.0 and shares["专有词1号"] == 0.0
    out = run_command("load_questions", str(content_dir), "--check")
    assert "检查通过" in out


def test_check_fails_on_math_left_unrendered_with_file_and_line(content_dir):
    text = sample_text().replace("### 回答重点\n\n", "### 回答重点\n\n公式 $$ 没有闭合。\n\n", 1)
    write_set(content_dir, "math.md", text)
    with pytest.raises(ContentErrors) as exc:
        load(content_dir, check=True)
    line = text.splitlines().index("公式 $$ 没有闭合。") + 1
    assert any(f"math.md:{line}: 回答重点 里的数学公式没有渲染，留下了 $$" in str(e) for e in exc.value.errors)


def test_check_fails_on_an_attribute_block_it_cannot_parse(content_dir, capsys):
    text = sample_text().replace('{aliases="点积|dot product"}', '{aliases="点积|dot product" bogus}')
    write_set(content_dir, "attrs.md", text)
    with pytest.raises(CommandError):
        call_command("load_questions", "--check", str(content_dir))
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "bogus" in t)
    assert f"attrs.md:{line}: 关键点属性没有解析" in capsys.readouterr().err


def test_display_math_right_after_text_loads_rendered(content_dir):
    text = sample_text().replace("### 回答重点\n\n", "### 回答重点\n\n按公式：\n$$\nx_{i}^2\n$$\n其余照旧。\n\n", 1)
    write_set(content_dir, "math.md", text)
    load(content_dir)
    html = Question.objects.get(id="sample-self-attention").answer_html
    assert '<span class="arithmatex">\\[' in html and "$$" not in html


# -- follow-ups (追问) ------------------------------------------------------------------------
def test_follow_ups_are_stored_as_data_and_their_answers_rendered(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    q = Question.objects.get(id="sample-self-attention")
    plain, answered, linked = q.follow_ups
    assert plain == {"text": "为什么要除以 √d_k？", "see": "", "answer": "", "key_points": [], "probes": []}
    assert answered == {
        "text": "不缩放会怎样？",
        "see": "",
        "answer": "点积的方差随 $d_k$ 增大，softmax 饱和，梯度很小。",
        "key_points": [{"text": "softmax 饱和、梯度很小", "weight": 2, "aliases": ["饱和", "梯度很小"]}],
        "probes": [2],
    }
    assert linked["see"] == "sample-7b-weights" and linked["probes"] == [0, 1] and linked["answer"] == ""
    html = q.follow_ups_html
    assert html[0] == {"text": "为什么要除以 √d_k？", "answer": ""}
    assert html[1]["answer"].startswith("<p>点积的方差随 ") and '<span class="arithmatex">' in html[1]["answer"]


def test_export_writes_follow_ups_back_exactly(content_dir, tmp_path):
    from quizbank.bank.markup import parse_set

    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    run_command("export_questions", str(tmp_path / "out"))
    exported = parse_set((tmp_path / "out" / "sample.md").read_text(encoding="utf-8"))
    original = parse_set(sample_text())
    assert [q.follow_ups for q in exported.questions] == [q.follow_ups for q in original.questions]
    assert exported.questions[0].follow_ups[1].key_points[0].aliases == ("饱和", "梯度很小")


def test_a_see_naming_no_question_is_an_error_with_file_and_line(content_dir):
    text = sample_text().replace("{see=sample-7b-weights", "{see=sample-nope")
    write_set(content_dir, "sample.md", text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "see=sample-nope" in t)
    for check in (True, False):
        with pytest.raises(ContentErrors) as exc:
            load(content_dir, check=check)
        assert [str(e) for e in exc.value.errors] == [
            f"{content_dir / 'sample.md'}:{line}: 追问的 see=sample-nope 不是任何题目的 id"
        ]
    assert not QuestionSet.objects.filter(slug="sample").exists()


def other_set(see: str) -> str:
    return (
        "---\nslug: other\ntitle: O\ndescription: d\norder: 2\n---\n\n"
        "## 另一题 {#other-a}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n\n"
        f"### 追问\n\n- 见示例题 {{see={see}}}\n"
    )


def test_a_see_may_name_a_question_of_another_file(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    other = write_set(content_dir, "other.md", other_set("sample-7b-weights"))
    assert load(content_dir, check=True).questions == 4
    assert load(other, check=True).questions == 1  # --check of one file reads the others' headings
    load(content_dir)
    other.write_text(other_set("sample-self-attention"), encoding="utf-8")
    assert load(other).updated == 1  # a load of one file knows the questions already loaded
    other.write_text(other_set("sample-gone"), encoding="utf-8")
    with pytest.raises(ContentErrors, match="other.md:21: 追问的 see=sample-gone"):
        load(other)


def test_a_renderer_change_also_stores_follow_ups_in_the_new_shape(content_dir, monkeypatch):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    stale = Question.objects.filter(id="sample-self-attention")
    stale.update(follow_ups=["为什么要除以 √d_k？"], follow_ups_html=["为什么要除以 √d_k？"])
    monkeypatch.setattr("quizbank.bank.loader.RENDERER_VERSION", "next")
    assert load(content_dir).unchanged == 3
    q = stale.get()
    assert [f["text"] for f in q.follow_ups] == ["为什么要除以 √d_k？", "不缩放会怎样？", "7B 模型的权重占多少显存？"]
    assert q.follow_ups_html[1]["answer"].startswith("<p>") and q.version == 1


def test_check_sums_up_open_follow_ups_per_file_and_lists_them_at_verbosity_2(content_dir, capsys):
    write_set(content_dir, "sample.md", sample_text())
    write_set(content_dir, "other.md", other_set("sample-7b-weights").replace(" {see=sample-7b-weights}", ""))
    summary = load(content_dir, check=True)
    assert summary.open_follow_ups_per_file() == {
        str(content_dir / "other.md"): 1,
        str(content_dir / "sample.md"): 1,
    }
    call_command("load_questions", "--check", str(content_dir))
    err = capsys.readouterr().err
    assert err.count("警告 warning:") == 2
    assert f"警告 warning: {content_dir / 'sample.md'}: 1 条追问没有答案也没有链接（模拟面试不会问）" in err
    call_command("load_questions", "--check", str(content_dir), verbosity=2)
    err = capsys.readouterr().err
    assert f"{content_dir / 'other.md'}:21: 追问没有答案也没有链接（模拟面试不会问）：见示例题" in err


def test_an_interview_asks_only_linked_or_answered_follow_ups(content_dir):
    from quizbank.bank.follow_ups import askable_follow_ups

    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    askable = askable_follow_ups(Question.objects.get(id="sample-self-attention"))
    assert [(f["index"], f["text"]) for f in askable] == [(1, "不缩放会怎样？"), (2, "7B 模型的权重占多少显存？")]
    assert askable[1]["see"] == "sample-7b-weights" and askable[0]["key_points"][0]["weight"] == 2
    assert askable_follow_ups(Question.objects.get(id="sample-7b-weights")) == []


def _synthetic_sets(content_dir, sets: int, per_set: int) -> None:
    """`sets` synthetic sets of `per_set` questions, and one of 10 whose key points have aliases."""
    from quizbank.bank.synthetic import synthetic_set

    for i in range(sets):
        write_set(content_dir, f"syn{i}.md", synthetic_set(f"syn{i}", per_set, seed=i))
    questions = [
        f"## 问题 {i}？ {{#syn-a-{i}}}\ndifficulty: easy\n\n### 回答重点\n\n第 {i} 题：通用词，和专有词{i}号。\n\n"
        f'### 关键点\n\n- 要点 {{aliases="通用词|专有词{i}号"}}\n- 另一点\n'
        for i in range(1, 11)
    ]
    write_set(
        content_dir, "syn-a.md", "---\nslug: syn-a\ntitle: A\ndescription: d\norder: 9\n---\n\n" + "\n".join(questions)
    )


def test_sets_rendered_by_the_background_workers_land_on_their_own_questions(content_dir, monkeypatch):
    """Forked workers render the sets while the next ones are read; every question gets its own
    HTML, the same as rendering it in this process, one revision, and its set's alias shares."""
    from quizbank.bank import rendering
    from quizbank.bank.loader import apply_html, question_data

    monkeypatch.setattr(rendering, "PARALLEL_THRESHOLD", 10)  # the workers start after the first set
    _synthetic_sets(content_dir, 3, 12)
    spawned = []
    real_pool = rendering.multiprocessing.get_context("fork").Pool
    monkeypatch.setattr(
        rendering.multiprocessing,
        "get_context",
        lambda kind: type("Ctx", (), {"Pool": staticmethod(lambda n: spawned.append(n) or real_pool(n))}),
    )
    assert load(content_dir).created == 46
    assert spawned, "the workers did not start"
    for row in Question.objects.prefetch_related("tags"):
        expected = Question(options=[{"text": o.text, "correct": o.correct} for o in question_data(row).options])
        apply_html(expected, rendering.render_question(question_data(row)))
        fields = ["body_html", "answer_html", "extended_html", "key_points_html", "follow_ups_html", "sources_html"]
        assert [getattr(row, f) for f in fields] == [getattr(expected, f) for f in fields], row.id
        assert row.options == expected.options
        assert row.revisions.count() == 1
    from quizbank.bank.markup import parse_set
    from quizbank.bank.rubric import alias_shares

    for path in sorted(content_dir.glob("syn*.md")):
        shares = alias_shares(parse_set(path.read_text(encoding="utf-8"), path.name).questions)
        assert shares == {q.id: q.alias_shares for q in Question.objects.filter(question_set__slug=path.stem)}
    assert Question.objects.get(id="syn-a-1").alias_shares == {"通用词": 1.0, "专有词1号": 0.0}


def test_a_bad_file_read_after_the_workers_started_writes_nothing(content_dir, monkeypatch):
    from quizbank.bank import rendering

    monkeypatch.setattr(rendering, "PARALLEL_THRESHOLD", 10)
    _synthetic_sets(content_dir, 2, 12)
    write_set(content_dir, "syn9.md", sample_text().replace("difficulty: medium", "difficulty: brutal"))
    before = Question.objects.count()
    with pytest.raises(ContentErrors) as exc:
        load(content_dir)
    assert [str(e).split(": ")[0].rsplit("/", 1)[-1] for e in exc.value.errors] == ["syn9.md:53"]
    assert Question.objects.count() == before and not QuestionSet.objects.filter(slug__startswith="syn").exists()


def test_the_loader_stores_rows_as_the_orm_would(content_dir):
    """bulk.insert_rows writes one prepared statement; what it stores reads back the same as
    bulk_create's rows (JSON, dates, foreign keys, defaults)."""
    from django.utils import timezone

    from quizbank.bank.bulk import insert_rows
    from quizbank.bank.models import Tag

    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    source = Question.objects.get(id="sample-7b-weights")
    fields = [f.attname for f in Question._meta.concrete_fields if f.attname not in ("id", "created_at", "updated_at")]
    values = {f: getattr(source, f) for f in fields} | {"retired_at": timezone.now(), "alias_shares": {"点积": 0.5}}
    insert_rows(Question, [Question(id="by-insert-rows", **values)])
    Question.objects.bulk_create([Question(id="by-bulk-create", **values)])
    by_rows, by_orm = (
        Question.objects.filter(id=i).values(*fields).get() for i in ("by-insert-rows", "by-bulk-create")
    )
    assert by_rows == by_orm
    assert Question.objects.get(id="by-insert-rows").created_at is not None
    through = Question.tags.through
    tag = Tag.objects.create(name="插入")
    assert insert_rows(through, [through(question_id="by-insert-rows", tag_id=tag.id)]) == 1
    assert list(Question.objects.get(id="by-insert-rows").tags.all()) == [tag]
