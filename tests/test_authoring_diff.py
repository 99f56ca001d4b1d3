"""The revision diff: rubric changes apart from prose, word-level for Chinese, a line diff when a
version does not parse, and the template that shows it."""

from __future__ import annotations

from dataclasses import replace

from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quizbank.authoring.diff import diff_questions, diff_sources
from quizbank.authoring.worddiff import DELETE, EQUAL, INSERT, line_diff, tokenize, word_diff
from quizbank.bank.markup import FollowUp, KeyPoint, QuestionData, format_question, parse_question

BASE = """## 缩放点积注意力为什么要除以 √d_k？ {#attention-scaling}
difficulty: medium
tags: [attention, softmax]

### 回答重点

若 q、k 各分量独立、均值 0、方差 1，则 $q \\cdot k$ 的方差为 $d_k$，维度越大，点积的数值越大。

### 关键点

- 点积的方差随 d_k 增大 {weight=2 aliases="方差|variance"}
- softmax 进入饱和区、输出接近 one-hot {aliases="饱和|one-hot"}
- 饱和导致梯度很小 {aliases="梯度消失"}
- 除以 √d_k 使方差回到 1

### 追问

- 为什么是 √d_k 而不是 d_k？ {probes="1|4"}

  除以 d_k 会让方差变成 1/d_k，分布过于平坦。

  - 除以 d_k 让分布过平 {aliases="过于平坦"}
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def old_of(segments) -> str:
    return "".join(s.text for s in segments if s.op != INSERT)


def new_of(segments) -> str:
    return "".join(s.text for s in segments if s.op != DELETE)


def changes(segments) -> list[tuple[str, str]]:
    return [(s.op, s.text) for s in segments if s.op != EQUAL]


def test_the_same_text_is_identical():
    diff = diff_sources(BASE, BASE)
    assert diff.parsed and diff.identical
    assert not diff.rubric_changed and not diff.prose_only
    assert not diff.key_points and not diff.prose and not diff.metadata and not diff.follow_ups


def test_a_weight_change_is_a_rubric_change_with_no_prose():
    diff = diff_sources(BASE, edit(BASE, '{aliases="梯度消失"}', '{weight=3 aliases="梯度消失"}'))
    assert diff.rubric_changed and not diff.prose_only
    assert not diff.prose and not diff.metadata
    (change,) = diff.key_points
    assert change.status == "changed" and change.new_number == 3
    assert (change.weight_old, change.weight_new) == (1, 3) and change.weight_changed
    assert not change.text_changed and change.aliases_added == () == change.aliases_removed
    assert diff.summary.weights_changed == 1 and diff.summary.key_points_changed == 1


def test_aliases_added_and_removed_are_listed_apart_from_the_text():
    new = edit(BASE, 'aliases="饱和|one-hot"', 'aliases="饱和|saturate"')
    diff = diff_sources(BASE, new)
    (change,) = diff.key_points
    assert change.aliases_added == ("saturate",) and change.aliases_removed == ("one-hot",)
    assert not change.text_changed and not change.weight_changed
    assert diff.rubric_changed
    assert (diff.summary.aliases_added, diff.summary.aliases_removed) == (1, 1)


def test_reordered_key_points_are_no_rubric_change():
    lines = BASE.split("\n")
    first = lines.index('- 点积的方差随 d_k 增大 {weight=2 aliases="方差|variance"}')
    lines[first : first + 4] = [lines[first + 3], lines[first + 2], lines[first + 1], lines[first]]
    # the follow-up probed points 1 and 4, now numbered 4 and 1
    new = "\n".join(lines)
    diff = diff_sources(BASE, new)
    assert diff.key_points == [] and not diff.rubric_changed
    assert diff.key_points_reordered and diff.order_only and not diff.identical
    assert diff.follow_ups == []  # probes="1|4" still names the same two points


def test_reordered_tags_are_order_only():
    diff = diff_sources(BASE, edit(BASE, "tags: [attention, softmax]", "tags: [softmax, attention]"))
    assert diff.order_only and not diff.metadata and not diff.tags_added and not diff.tags_removed


def test_probes_that_now_point_elsewhere_are_a_follow_up_change():
    diff = diff_sources(BASE, edit(BASE, 'probes="1|4"', 'probes="2|4"'))
    (follow_up,) = diff.follow_ups
    assert follow_up.probes_changed and not diff.rubric_changed
    assert follow_up.probes_old[0] == (1, "点积的方差随 d_k 增大")
    assert follow_up.probes_new[0] == (2, "softmax 进入饱和区、输出接近 one-hot")


def test_a_reworded_point_is_matched_as_changed_even_when_moved():
    lines = BASE.split("\n")
    first = lines.index('- 饱和导致梯度很小 {aliases="梯度消失"}')
    lines[first] = "- 除以 √d_k 使方差回到 1"
    lines[first + 1] = '- 饱和使梯度变得很小 {aliases="梯度消失"}'
    new = edit("\n".join(lines), 'probes="1|4"', 'probes="1|3"')
    diff = diff_sources(BASE, new)
    (change,) = diff.key_points
    assert change.status == "changed" and (change.old_number, change.new_number) == (3, 4)
    assert change.text_changed and not change.weight_changed
    assert old_of(change.segments) == "饱和导致梯度很小" and new_of(change.segments) == "饱和使梯度变得很小"
    assert diff.summary.key_points_added == 0 == diff.summary.key_points_removed
    assert diff.follow_ups == []


def test_an_unrelated_point_is_removed_and_added():
    diff = diff_sources(BASE, edit(BASE, '- 饱和导致梯度很小 {aliases="梯度消失"}', "- 用 LayerNorm 稳定训练"))
    assert sorted(k.status for k in diff.key_points) == ["added", "removed"]
    added = next(k for k in diff.key_points if k.status == "added")
    assert added.new.text == "用 LayerNorm 稳定训练" and added.weight_new == 1


def test_one_chinese_word_changed_marks_only_that_word():
    new = edit(BASE, "点积的数值越大", "点积的绝对值越大")
    diff = diff_sources(BASE, new)
    assert diff.prose_only and not diff.rubric_changed
    (prose,) = diff.prose
    assert prose.key == "answer"
    assert changes(prose.segments) == [(DELETE, "数值"), (INSERT, "绝对值")]
    assert diff.summary.words_inserted == 1 == diff.summary.words_deleted


def test_a_chinese_word_is_replaced_whole():
    segments = word_diff("点积的方差随维度增大而增大", "点积的方差随维度减小而增大")
    assert changes(segments) == [(DELETE, "增大"), (INSERT, "减小")]
    assert segments[0] == (EQUAL, "点积的方差随维度")


def test_a_formula_is_never_cut():
    segments = word_diff("方差为 $q \\cdot k$ 的量级", "方差为 $q \\cdot k / \\sqrt{d_k}$ 的量级")
    assert changes(segments) == [(DELETE, "$q \\cdot k$"), (INSERT, "$q \\cdot k / \\sqrt{d_k}$")]
    assert "$$E = mc^2$$" in tokenize("前文 $$E = mc^2$$ 后文")
    assert "`softmax(x / T)`" in tokenize("调用 `softmax(x / T)` 即可")
    assert "\\(a_i\\)" in tokenize("设 \\(a_i\\) 为权重")


def test_a_code_block_changes_by_line():
    old = "示例：\n```python\nx = softmax(q @ k.T)\ny = x @ v\n```\n"
    new = "示例：\n```python\nx = softmax(q @ k.T / d)\ny = x @ v\n```\n"
    assert changes(word_diff(old, new)) == [(DELETE, "x = softmax(q @ k.T)\n"), (INSERT, "x = softmax(q @ k.T / d)\n")]


def test_metadata_and_tags():
    new = edit(BASE, "difficulty: medium\ntags: [attention, softmax]", "difficulty: hard\ntags: [attention, scaling]")
    diff = diff_sources(BASE, new)
    assert [(m.key, m.old, m.new) for m in diff.metadata] == [("difficulty", "medium", "hard")]
    assert diff.tags_added == ("scaling",) and diff.tags_removed == ("softmax",)
    assert not diff.prose_only and not diff.rubric_changed


def test_a_follow_up_answer_and_its_key_point():
    new = edit(BASE, "分布过于平坦。", "分布接近均匀。")
    new = edit(new, 'aliases="过于平坦"', 'weight=2 aliases="过于平坦|接近均匀"')
    diff = diff_sources(BASE, new)
    (follow_up,) = diff.follow_ups
    assert follow_up.status == "changed" and not follow_up.probes_changed
    assert changes(follow_up.answer) == [(DELETE, "过于平坦"), (INSERT, "接近均匀")]
    (point,) = follow_up.key_points
    assert (point.weight_old, point.weight_new) == (1, 2) and point.aliases_added == ("接近均匀",)
    assert diff.rubric_changed


def test_options_and_the_right_answer():
    choice = (
        "## 哪些是 MCP 的原语？ {#mcp-primitives}\ndifficulty: easy\ntype: multi\n\n### 选项\n\n"
        "- [x] Tools\n- [x] Resources\n- [ ] Sampling\n\n### 回答重点\n\n三种。\n\n### 关键点\n\n- 工具和资源\n"
    )
    diff = diff_sources(choice, edit(choice, "- [ ] Sampling", "- [x] Sampling"))
    (option,) = diff.options
    assert option.status == "changed" and (option.old_flag, option.new_flag) == ("✗", "✓")
    assert diff.answer_key_changed and not diff.rubric_changed and not diff.prose_only


def test_an_unparsable_side_falls_back_to_lines():
    broken = edit(BASE, "difficulty: medium", "difficulty: impossible")
    diff = diff_sources(BASE, broken)
    assert not diff.parsed and diff.errors_new and not diff.errors_old
    assert "新版本" in str(diff.note)
    assert "difficulty" in diff.errors_new[0].message
    assert changes(diff.lines) == [(DELETE, "difficulty: medium\n"), (INSERT, "difficulty: impossible\n")]
    assert old_of(diff.lines) == BASE and new_of(diff.lines) == broken


def test_the_template_escapes_every_text(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    new = edit(BASE, "维度越大，点积", "维度越大<script>alert(1)</script>，点积")
    new = edit(new, 'aliases="饱和|one-hot"', 'aliases="饱和|<b>hot</b>"')
    html = render_to_string("authoring/_diff.html", {"diff": diff_sources(BASE, new)})
    assert "<script>" not in html and "<b>hot" not in html
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html
    assert "<ins>+ &lt;b&gt;hot&lt;/b&gt;</ins>" in html and "<del>− one-hot</del>" in html
    assert html.index("关键点（评分标准）") < html.index("回答重点")


def test_the_template_shows_the_line_fallback_escaped(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = render_to_string("authoring/_diff.html", {"diff": diff_sources(BASE, "<img src=x onerror=alert(1)>")})
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "新版本无法解析" in html


# -- properties --------------------------------------------------------------------------------
PROSE = "的方差梯度注意力模型饱和大小是不会 abcdkxyz_019 ，。、：$`\\()[]|'\"<>&"
any_text = st.one_of(st.text(), st.text(alphabet=PROSE + " \n-"))


@given(any_text, any_text)
@hypothesis_settings(max_examples=200, derandomize=True, database=None)
def test_word_and_line_diffs_rebuild_both_texts(old, new):
    for segments in (word_diff(old, new), line_diff(old, new)):
        assert old_of(segments) == old and new_of(segments) == new
        assert all(s.text for s in segments)
        assert all(a.op != b.op for a, b in zip(segments, segments[1:], strict=False))


line = st.text(alphabet=PROSE, min_size=1, max_size=30).map(str.strip).filter(lambda s: s and "```" not in s)
paragraph = st.lists(line, min_size=1, max_size=3).map("\n".join)
key_point = st.builds(KeyPoint, text=line, weight=st.integers(1, 5))
follow_up = st.builds(
    FollowUp, text=line, answer=line, key_points=st.lists(key_point, min_size=1, max_size=3).map(tuple)
)
version = st.fixed_dictionaries(
    {
        "title": line,
        "body": st.one_of(st.just(""), paragraph),
        "answer": paragraph,
        "extended": st.one_of(st.just(""), paragraph),
        # the parser refuses a repeated key point (case and spaces aside)
        "key_points": st.lists(
            key_point, min_size=1, max_size=5, unique_by=lambda k: "".join(k.text.casefold().split())
        ).map(tuple),
        "follow_ups": st.lists(follow_up, max_size=2).map(tuple),
    }
)


@given(version, version)
@hypothesis_settings(max_examples=60, derandomize=True, database=None, deadline=None)
def test_every_prose_field_rebuilds_both_versions(old_fields, new_fields):
    template = QuestionData(id="q", title="t", difficulty="easy")
    texts = [format_question(replace(template, **fields)) for fields in (old_fields, new_fields)]
    old, new = (parse_question(t) for t in texts)  # the formatter's text always parses
    diff = diff_questions(old, new)
    assert diff.identical == (old == new)
    for prose in diff.prose:
        assert old_of(prose.segments) == getattr(old, prose.key)
        assert new_of(prose.segments) == getattr(new, prose.key)
    changed_fields = {p.key for p in diff.prose}
    assert changed_fields == {k for k in ("body", "answer", "extended") if getattr(old, k) != getattr(new, k)}
    for change in diff.metadata:
        if change.key == "title":
            assert (old_of(change.segments), new_of(change.segments)) == (old.title, new.title)
    for k in diff.key_points:
        assert old_of(k.segments) == (k.old.text if k.old else "")
        assert new_of(k.segments) == (k.new.text if k.new else "")
    for f in diff.follow_ups:
        before = old.follow_ups[f.old_number - 1] if f.old_number else FollowUp("")
        after = new.follow_ups[f.new_number - 1] if f.new_number else FollowUp("")
        assert (old_of(f.text), new_of(f.text)) == (before.text, after.text)
        assert (old_of(f.answer), new_of(f.answer)) == (before.answer, after.answer)
    assert diff.rubric_changed == (bool(diff.key_points) or any(f.key_points for f in diff.follow_ups))
