"""The content format: good files parse, every kind of bad file names its file and line."""

from decimal import Decimal

import pytest

from quizbank.bank.markup import (
    ContentErrors,
    FollowUp,
    KeyPoint,
    format_set,
    numeric_matches,
    open_follow_ups,
    parse_set,
)
from quizbank.bank.rendering import render_markdown, stray_math
from tests.helpers import sample_text

HEAD = "---\nslug: t\ntitle: T\ndescription: d\norder: 1\n---\n\n"
GOOD_Q = "## 问题 {#t-a}\ndifficulty: easy\n\n### 回答重点\n\n答案。\n\n### 关键点\n\n- 要点\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(ContentErrors) as exc:
        parse_set(text, "content/t.md")
    return [str(e) for e in exc.value.errors]


def test_it_parses_every_part_of_a_question():
    data = parse_set(sample_text(), "sample.md")
    assert (data.slug, data.title, data.order) == ("sample", "示例题集", 9)
    first, numeric, choice = data.questions
    assert first.id == "sample-self-attention" and first.difficulty == "easy"
    assert first.tags == ("attention", "注意力")
    assert first.key_points[0].weight == 2 and first.key_points[0].aliases == ("加权求和", "weighted sum")
    assert first.key_points[2].weight == 1 and first.key_points[2].aliases == ()
    assert "## not a heading" in first.extended
    assert [f.text for f in first.follow_ups] == ["为什么要除以 √d_k？", "不缩放会怎样？", "7B 模型的权重占多少显存？"]
    assert first.follow_ups[0].is_open and first.follow_ups[1].probes == (2,)
    assert first.follow_ups[2].see == "sample-7b-weights" and first.follow_ups[2].probes == (0, 1)
    assert first.sources[0].startswith("Vaswani")
    assert numeric.qtype == "numeric" and numeric.numeric_answer == Decimal("14")
    assert (numeric.tolerance, numeric.unit) == ("5%", "GB")
    assert numeric.body.startswith("每个参数 2 字节")
    assert [o.correct for o in choice.options] == [True, True, False]


def test_format_then_parse_gives_the_same_data():
    data = parse_set(sample_text(), "sample.md")
    again = parse_set(format_set(data), "sample.md")
    assert again.questions == data.questions
    assert format_set(again) == format_set(data)


def test_english_section_names_are_accepted():
    text = HEAD + "## Q {#t-a}\ndifficulty: hard\n\n### Answer\n\nA.\n\n### Key points\n\n- p\n"
    assert parse_set(text).questions[0].answer == "A."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + "## 没有 id 的问题\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:8: 问题缺少 id",
        ),
        (HEAD + GOOD_Q + "\n" + GOOD_Q, "content/t.md:19: id 't-a' 重复"),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\ncolour: red\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:10: 未知的问题字段 'colour'",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\n### 关键点\n\n- p\n",
            "content/t.md:11: 回答重点为空",
        ),
        (HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\nA\n", "content/t.md:8: 没有关键点"),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\ntype: single\n\n### 选项\n\n- [ ] a\n- [ ] b\n\n"
            "### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:12: 选择题没有正确选项",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\ntype: numeric\nanswer: twelve\ntolerance: 1\n\n"
            "### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:11: answer 'twelve' 不是数字",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\ntype: numeric\nanswer: 12\n\n"
            "### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:10: numeric 问题缺少 tolerance",
        ),
        ("---\nslug: t\ntitle: [unclosed\n---\n", "content/t.md:3: front matter 不是合法的 YAML"),
        ("slug: t\n", "content/t.md:1: 文件必须以 YAML front matter 开头"),
        (HEAD.replace("order: 1\n", "order: 1\nauthor: me\n") + GOOD_Q, "content/t.md:6: 未知的题集字段 'author'"),
        (
            HEAD + "## Q {#t-a}\ndifficulty: extreme\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:9: difficulty 必须是 easy / medium / hard",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 评分\n\n- p\n",
            "content/t.md:15: 未知的小节 '评分'",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p {weight=9}\n",
            "content/t.md:17: weight 必须是 1–5 的整数",
        ),
        (
            HEAD + "## Q {#T_A}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:8: id 'T_A' 只能包含",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\n```\ncode\n\n### 关键点\n\n- p\n",
            "content/t.md:13: 代码块没有闭合",  # the line the fence opens on, not the end of the file
        ),
        (
            HEAD + "## Q {#Bad ID with spaces!}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:8: id 只能包含小写字母、数字和 -",
        ),
        (
            HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- 同一点\n- 同一 点\n",
            "content/t.md:18: 关键点重复：和第 17 行的关键点一样",
        ),
        (
            HEAD + "## " + "长" * 301 + " {#t-a}\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n",
            "content/t.md:8: 问题标题太长：301 个字符",
        ),
    ],
    ids=[
        "missing-id",
        "duplicate-id",
        "unknown-field",
        "empty-answer",
        "no-key-points",
        "no-correct-option",
        "numeric-not-a-number",
        "numeric-no-tolerance",
        "broken-front-matter",
        "no-front-matter",
        "unknown-set-field",
        "bad-difficulty",
        "unknown-section",
        "bad-weight",
        "bad-id",
        "unclosed-fence",
        "id-with-spaces",
        "duplicate-key-point",
        "title-too-long",
    ],
)
def test_bad_input_names_file_and_line(text, expected):
    assert any(expected in e for e in errors_of(text)), errors_of(text)


def test_unreadable_metadata_is_one_error_not_also_a_missing_difficulty():
    errors = errors_of(
        HEAD + "## Q {#t-a}\ndifficulty: easy\nfoo bar\ntags: [x]\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n"
    )
    assert len(errors) == 1 and "元数据 不是合法的 YAML" in errors[0], errors


def test_all_errors_are_reported_not_just_the_first():
    text = (
        HEAD
        + "## A\ndifficulty: easy\n\n### 回答重点\n\nA\n\n### 关键点\n\n- p\n\n## B {#t-b}\ndifficulty: x\n\n### 回答重点\n\nA\n"
    )
    assert len(errors_of(text)) == 3


@pytest.mark.parametrize(
    ("given", "answer", "tolerance", "ok"),
    [
        ("112", "112", "10%", True),
        ("100", "112", "10%", False),
        ("101", "112", "10%", True),
        ("3.4", "3", "0.5", True),
        ("3.6", "3", "0.5", False),
    ],
)
def test_numeric_tolerance(given, answer, tolerance, ok):
    assert numeric_matches(Decimal(given), Decimal(answer), tolerance) is ok


def test_a_key_point_alias_may_contain_braces():
    text = HEAD + GOOD_Q.replace("- 要点\n", '- 相对位置偏置 {weight=2 aliases="R_{n-m}|b_{i-j}|相对位置"}\n')
    (point,) = parse_set(text, "t.md").questions[0].key_points
    assert point.text == "相对位置偏置"
    assert point.weight == 2 and point.aliases == ("R_{n-m}", "b_{i-j}", "相对位置")


def test_braces_in_the_text_of_a_key_point_are_text():
    text = HEAD + GOOD_Q.replace("- 要点\n", "- 偏置 $R_{n-m}$ 只看距离\n")
    (point,) = parse_set(text, "t.md").questions[0].key_points
    assert point.text == "偏置 $R_{n-m}$ 只看距离" and point.weight == 1


@pytest.mark.parametrize(
    "point",
    [
        '- p {weight=2 aliases="a" bogus}',
        '- p {weight=2 aliases="a"} 后面还有字',
        '- p {aliases="a|b}',
        "- p { weight = 2 }",
    ],
)
def test_an_attribute_block_that_is_not_understood_is_an_error(point):
    text = HEAD + GOOD_Q.replace("- 要点", point)
    assert any("content/t.md:17: 关键点属性" in e for e in errors_of(text)), errors_of(text)


@pytest.mark.parametrize(
    "markdown",
    [
        "第一行文字：\n$$\nx_{t}^2\n$$\n后面的文字",
        "1. **AdamW**：衰减单独做：\n$$\n\\theta_t=\\theta_{t-1}\n$$\n每个参数同比例收缩。\n2. 第二项",
        "段落\n\n$$\nx^2\n$$\n\n下一段",
    ],
    ids=["after-a-line", "in-a-list-item", "own-paragraph"],
)
def test_display_math_is_rendered_wherever_it_starts(markdown):
    html = render_markdown(markdown)
    assert stray_math(html) is None, html
    assert html.count('class="arithmatex"') == 1 and "\\[" in html and "<em>" not in html


def test_math_left_as_text_is_found():
    assert stray_math(render_markdown("价格 $$ 没有闭合")) == "$$"
    assert stray_math(render_markdown("`$$` 在代码里和 $5 美元不算")) is None


# -- follow-ups (追问) ------------------------------------------------------------------------
KP3 = "- 要点一\n- 要点二\n- 要点三\n"
FOLLOW_UPS = """
### 追问

- 为什么是 √d_k 而不是 d_k？ {probes="1|3"}

  除以 $d_k$ 会把方差压到 1/d_k；
  除以 √d_k 让方差回到 1。

  - 除以 d_k 让分布过平 {aliases="1/d_k|过于平坦"}
  - 除以 √d_k 让方差为 1 {weight=2 aliases="方差为 1"}
- 多头注意力里 d_k 与头数是什么关系？ {see=t-b probes="2"}
- 一个还没有答案的追问
"""


def question_with(follow_ups: str, key_points: str = KP3) -> str:
    """One question (id t-a, key points on lines 17–19) whose 追问 section starts on line 21."""
    return HEAD + GOOD_Q.replace("- 要点\n", key_points) + follow_ups


def test_follow_ups_are_answered_linked_or_open():
    answered, linked, plain = parse_set(question_with(FOLLOW_UPS), "t.md").questions[0].follow_ups
    assert answered.text == "为什么是 √d_k 而不是 d_k？" and answered.probes == (0, 2) and answered.see == ""
    assert answered.answer == "除以 $d_k$ 会把方差压到 1/d_k；\n除以 √d_k 让方差回到 1。"
    assert answered.key_points == (
        KeyPoint("除以 d_k 让分布过平", 1, ("1/d_k", "过于平坦")),
        KeyPoint("除以 √d_k 让方差为 1", 2, ("方差为 1",)),
    )
    assert linked == FollowUp("多头注意力里 d_k 与头数是什么关系？", see="t-b", probes=(1,))
    assert plain == FollowUp("一个还没有答案的追问") and plain.is_open and not answered.is_open
    assert [f.line for f in (answered, linked, plain)] == [23, 30, 31]


def test_follow_ups_are_written_back_canonically():
    data = parse_set(question_with(FOLLOW_UPS.replace('{probes="1|3"}', "{probes=1|3}")), "t.md")
    text = format_set(data)
    assert '- 为什么是 √d_k 而不是 d_k？ {probes="1|3"}\n\n  除以 $d_k$' in text
    assert '回到 1。\n\n  - 除以 d_k 让分布过平 {aliases="1/d_k|过于平坦"}\n  - 除以 √d_k' in text
    assert '方差为 1"}\n- 多头注意力里 d_k 与头数是什么关系？ {see=t-b probes="2"}\n- 一个还没有答案的追问\n' in text
    again = parse_set(text, "t.md")
    assert again.questions == data.questions and format_set(again) == text


def test_a_wrapped_follow_up_line_and_a_wrapped_key_point_are_joined():
    text = question_with(
        "\n### 追问\n\n- 很长的追问\n  接着写 {probes=2}\n\n  答案。\n\n  - 很长的\n    关键点 {weight=2}\n"
    )
    (f,) = parse_set(text, "t.md").questions[0].follow_ups
    assert (f.text, f.probes, f.answer) == ("很长的追问 接着写", (1,), "答案。")
    assert f.key_points == (KeyPoint("很长的 关键点", 2),)


@pytest.mark.parametrize(
    ("follow_ups", "expected"),
    [
        ("- 追问 {colour=red}", "content/t.md:23: 追问的未知属性 'colour'"),
        ("- 追问 {probes=0}", "content/t.md:23: probes 里的 '0'"),
        ("- 追问 {probes=x}", "content/t.md:23: probes 里的 'x'"),
        ('- 追问 {probes="1|"}', "content/t.md:23: probes 里的 ''"),
        ("- 追问 {probes=4}", "content/t.md:23: probes 里的 4 超出了本题的关键点条数（3 条）"),
        ("- 追问 {see=T_B}", "content/t.md:23: see='T_B' 不是题目 id"),
        ("- 追问 {see=t-a}", "content/t.md:23: 追问的 see=t-a 指向了本题自己"),
        ("- 追问 {see=t-b}\n\n  答案。\n\n  - 点", "content/t.md:23: 追问有 see=t-b 就不能再写答案"),
        ("- 追问\n\n  答案。\n- 下一个", "content/t.md:23: 有答案的追问需要 1–3 条关键点"),
        ("- 追问\n\n  - 点", "content/t.md:25: 追问的关键点前面要有一段简短答案"),
        ("- 追问\n  - 点", "content/t.md:24: 追问的关键点前面要有一段简短答案"),
        ("- 追问\n\n  答案。\n\n  - 一\n  - 二\n  - 三\n  - 四", "content/t.md:30: 追问最多 3 条关键点，这里有 4 条"),
        ("- 追问\n\n  答案。\n\n  - 点 {weight=9}", "content/t.md:27: weight 必须是 1–5 的整数"),
        ("- 追问\n\n  答案。\n\n  - 点 {probes=1}", "content/t.md:27: 关键点的未知属性 'probes'"),
        ("- 追问\n\n  答案。\n\n  第二段。\n\n  - 点", "content/t.md:27: 追问的答案只能是一段"),
        ("- 追问\n\n  答案。\n\n  - 点\n\n  后话。", "content/t.md:29: 追问的关键点后面不能再有正文"),
        ("- 追问\n\n答案没有缩进。", "content/t.md:25: 追问 小节只能是列表"),
        ("- 追问\n\n \t答案。\n\n  - 点", "content/t.md:25: 追问的答案和关键点要缩进 2 个空格"),
    ],
)
def test_a_bad_follow_up_names_its_file_and_line(follow_ups, expected):
    errors = errors_of(question_with(f"\n### 追问\n\n{follow_ups}\n"))
    assert any(e.startswith(expected) for e in errors), errors


def test_open_follow_ups_are_warnings_with_their_lines():
    data = parse_set(question_with(FOLLOW_UPS), "content/t.md")
    assert [str(w) for w in open_follow_ups(data)] == [
        "content/t.md:31: 追问没有答案也没有链接（模拟面试不会问）：一个还没有答案的追问"
    ]


def test_an_open_code_block_is_one_error_not_also_a_missing_rubric():
    errors = errors_of(
        HEAD + "## Q {#t-a}\ndifficulty: easy\n\n### 回答重点\n\n```python\nx = 1\n\n### 关键点\n\n- p\n"
    )
    assert len(errors) == 1 and "content/t.md:13: 代码块没有闭合" in errors[0], errors
