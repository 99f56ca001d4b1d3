"""Lenient import of Markdown interview notes: realistic notes files, each shape on its own, and any text."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quizbank.authoring.lenient import MAX_TITLE, NoteQuestion, Notes, Skipped, parse_notes, title_key

NOTES = Path(__file__).parent / "data" / "notes"


def notes_of(name: str) -> Notes:
    return parse_notes((NOTES / name).read_text(encoding="utf-8"))


def outline(notes: Notes) -> list[tuple[int, int, str, str]]:
    return [(q.line, q.end_line, q.section, q.title) for q in notes.questions]


def reasons(notes: Notes) -> list[tuple[int, str]]:
    return [(s.line, s.reason) for s in notes.skipped]


def by_title(notes: Notes, title: str) -> NoteQuestion:
    return next(q for q in notes.questions if q.title == title)


# --- the three notes files ---------------------------------------------------------------------


def test_numbered_headings_under_category_headings_become_questions():
    notes = notes_of("transformer_numbered.md")
    assert outline(notes) == [
        (17, 29, "Transformer", "自注意力怎么计算？"),
        (31, 34, "Transformer", "为什么要除以 $\\sqrt{d_k}$？"),
        (36, 45, "Transformer", "多头注意力有什么好处？"),
        (47, 50, "Transformer", "头数是不是越多越好？"),
        (52, 56, "Transformer", "为什么大模型几乎都用 Pre-LN"),
        (60, 80, "位置编码", "RoPE 的核心思想"),
        (82, 88, "位置编码", "绝对位置编码和相对位置编码的区别"),
        (94, 117, "微调", "LoRA 的原理是什么？"),
        (119, 123, "微调", "秩 r 一般怎么选？"),
        (125, 131, "微调", "QLoRA 在 LoRA 的基础上做了什么？"),
    ]
    assert reasons(notes) == [
        (3, "徽章/图片"),
        (5, "目录/链接列表"),
        (90, "标题下面没有答案"),
        (133, "参考资料，不是问题"),
    ]
    assert notes.skipped[1].text == "## 目录"


def test_numbered_heading_answers_keep_their_markdown():
    notes = notes_of("transformer_numbered.md")
    attention = by_title(notes, "自注意力怎么计算？")
    assert attention.answer.startswith("每个 token 的表示先乘三个矩阵")
    assert "$$\n\\mathrm{Attention}(Q, K, V)" in attention.answer
    assert "- 打分：$Q$ 和每个 $K$ 做点积，得到一行相关度\n  - 解码器里要加因果掩码" in attention.answer
    assert attention.answer.endswith("- 汇总：用权重对 $V$ 加权求和")
    heads = by_title(notes, "多头注意力有什么好处？")
    assert "| 对比项 | 单头 | 多头 |\n| --- | --- | --- |" in heads.answer
    assert "3.1" not in heads.answer  # the sub-question is its own question
    assert heads.answer.endswith("好处是同样的计算量下能同时捕捉多种关系。")


def test_a_hash_comment_inside_a_code_block_is_never_a_heading():
    notes = notes_of("transformer_numbered.md")
    rope = by_title(notes, "RoPE 的核心思想")
    # the plain sub-headings under it, with their code, are part of its answer
    assert "#### 实现要点\n\n```python\nimport torch\n\n# 预先算好每个维度对的旋转频率" in rope.answer
    assert "    # 外积得到 (max_len, dim/2) 的角度表" in rope.answer
    assert rope.answer.endswith("常见做法是位置插值（PI）或者 NTK-aware 缩放 base。")
    lora = by_title(notes, "LoRA 的原理是什么？")
    assert "        # A 随机初始化，B 置零" in lora.answer and "        # 原路径 + 低秩旁路" in lora.answer
    assert lora.answer.endswith("推理时可以把 $BA$ 合并回 $W_0$，不增加延迟。")
    assert not any("随机初始化" in q.title or "外积" in q.title for q in notes.questions)


def test_a_numbered_list_inside_an_answer_stays_in_the_answer():
    notes = notes_of("transformer_numbered.md")
    positions = by_title(notes, "绝对位置编码和相对位置编码的区别")
    assert positions.answer == (
        "1. 绝对位置编码给每个位置一个固定或可学的向量，加在输入上\n"
        "   - 简单，但超过训练长度就没有对应的向量\n"
        "2. 相对位置编码在注意力里直接建模两个位置的距离\n"
        "   - T5 的相对偏置、ALiBi、RoPE 都属于这一类\n"
        "3. 相对编码通常外推更好"
    )
    assert by_title(notes, "QLoRA 在 LoRA 的基础上做了什么？").answer.startswith("三件事：\n\n1. 把基座量化成 4 bit")


def test_bold_lines_and_q_a_pairs_become_questions():
    notes = notes_of("rag_bold_qa.md")
    assert outline(notes) == [
        (12, 15, "基础概念", "什么是 RAG？"),
        (17, 25, "基础概念", "RAG 和微调应该怎么选？"),
        (27, 34, "基础概念", "文本切块有哪些常见做法？"),
        (36, 45, "基础概念", "为什么要做混合检索？"),
        (47, 50, "基础概念", "重排序模型的作用"),
        (54, 59, "评估与排错", "怎么评估一个 RAG 系统？"),
        (61, 67, "评估与排错", "检索到的文档和问题不相关怎么办？"),
        (69, 70, "评估与排错", "上下文很长时，模型为什么会忽略中间的材料？"),
        (72, 75, "评估与排错", "向量数据库选型看哪些指标？"),
    ]
    assert reasons(notes) == [
        (1, "文件开头的元数据（front matter）"),
        (8, "分类标题下的说明文字，不是答案"),
        (77, "与第 12 行的问题重复"),
        (79, "问题下面没有答案"),
    ]


def test_bold_and_q_a_answers_lose_their_lead_in_and_keep_the_rest():
    notes = notes_of("rag_bold_qa.md")
    chunking = by_title(notes, "文本切块有哪些常见做法？")
    assert chunking.answer.startswith("- 固定长度切块，相邻块之间留一些重叠\n  - 实现最简单")
    assert chunking.answer.endswith("**注意**：块太小缺上下文，块太大检索不准，一般从 300～500 字起调。")
    assert "$$\n\\mathrm{score}(d) = \\sum_i" in by_title(notes, "为什么要做混合检索？").answer
    assert by_title(notes, "怎么评估一个 RAG 系统？").answer.startswith("分开看检索和生成两段。\n\n- 检索：")
    assert by_title(notes, "检索到的文档和问题不相关怎么办？").answer.startswith(
        "先看是哪一段出了问题：\n\n1. 查询太短"
    )
    assert by_title(notes, "上下文很长时，模型为什么会忽略中间的材料？").answer.startswith(
        "这是常说的 lost in the middle"
    )
    vector_db = by_title(notes, "向量数据库选型看哪些指标？")
    assert vector_db.answer.startswith("召回率和延迟的平衡")
    assert vector_db.answer.endswith("水平扩展和运维成本。")


def test_messy_notes_with_crlf_bom_and_tabs():
    notes = notes_of("messy_mixed.md")
    assert outline(notes) == [
        (14, 18, "KV Cache", "KV Cache 为什么能加速推理？"),
        (24, 28, "KV Cache", "显存占用怎么估算？"),
        (34, 37, "量化", "为什么 INT4 量化后模型还能用？"),
        (38, 42, "量化", "GPTQ 和 AWQ 有什么区别？"),
        (43, 45, "量化", "量化以后推理一定更快吗"),
        (53, 56, "服务指标", "TTFT 和 TPOT 分别是什么？"),
        (58, 63, "服务指标", "预填充和解码为什么要分开部署？"),
        (65, 68, "服务指标", "限流应该按请求数还是按 token 数？"),
        (80, 87, "长上下文", "投机解码是怎么工作的？"),
        (89, 93, "长上下文", "连续批处理（continuous batching）和静态批处理有什么不同？"),
    ]
    assert reasons(notes) == [
        (1, "徽章/图片"),
        (5, "目录/链接列表"),
        (10, "分类标题下的说明文字，不是答案"),
        (22, "标题下面没有答案"),
        (72, f"标题太长（超过 {MAX_TITLE} 字）"),
        (76, "与第 14 行的问题重复"),
    ]
    assert notes.skipped[0].text == '<p align="center">'  # no BOM in front
    assert notes.skipped[4].text.startswith("### 把上下文从 4k 扩到 128k 时") and len(notes.skipped[4].text) == 60


def test_messy_answers_are_dedented_and_keep_html():
    notes = notes_of("messy_mixed.md")
    kv = by_title(notes, "KV Cache 为什么能加速推理？")
    assert kv.answer.startswith("自回归生成时，前面 token 的 K、V")  # the tab under the heading is gone
    assert "\n- 省掉的是重复的投影计算\n- 注意力本身仍然要和全部历史做一次点积" in kv.answer
    assert "返回目录" not in kv.answer and "\r" not in kv.answer
    int4 = by_title(notes, "为什么 INT4 量化后模型还能用？")
    assert int4.answer.startswith("权重分布集中在零附近") and "\n- 激活值的离群点更麻烦" in int4.answer
    assert by_title(notes, "GPTQ 和 AWQ 有什么区别？").answer.endswith(
        '<img src="./images/awq.png" width="420" alt="AWQ 示意">'
    )
    faster = by_title(notes, "量化以后推理一定更快吗")
    assert "SmoothQuant" not in faster.answer and faster.answer.startswith("不一定。")
    split = by_title(notes, "预填充和解码为什么要分开部署？")
    assert split.answer.startswith("两个阶段的瓶颈不同：\n1. 预填充一次处理整段提示词，是计算密集的\n2. 解码")
    speculative = by_title(notes, "投机解码是怎么工作的？")
    assert max(len(line) for line in speculative.answer.splitlines()) > MAX_TITLE  # a long line is fine in an answer
    assert "# 用 vLLM 开启投机解码（参数名随版本变化）" in speculative.answer
    assert by_title(notes, "连续批处理（continuous batching）和静态批处理有什么不同？").answer.startswith(
        "静态批处理要等"
    )


def test_messy_fixture_really_is_messy():
    raw = (NOTES / "messy_mixed.md").read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw and b"\t" in raw and b"<img" in raw


# --- each shape on its own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading, title",
    [
        ("### 1. 什么是 KV Cache？", "什么是 KV Cache？"),
        ("## 3、为什么要用 RMSNorm？", "为什么要用 RMSNorm？"),
        ("#### Q3: 什么是 MoE？", "什么是 MoE？"),
        ("### 一、什么是 RLHF？ ###", "什么是 RLHF？"),
        ("### 2.1 为什么要做 warmup", "为什么要做 warmup"),
        ("## **问：DPO 和 PPO 有什么区别？**", "DPO 和 PPO 有什么区别？"),
        ("### [什么是 GQA？](https://example.com/gqa)", "什么是 GQA？"),
        ("## 什么是投机采样： {#spec}", "什么是投机采样"),
        ("##什么是困惑度？", "什么是困惑度？"),
        ("### 1.5B 模型需要多少显存？", "1.5B 模型需要多少显存？"),
    ],
)
def test_heading_titles_are_cleaned(heading, title):
    notes = parse_notes(f"{heading}\n\n答案。\n")
    assert [(q.title, q.answer, q.line, q.end_line) for q in notes.questions] == [(title, "答案。", 1, 3)]


def test_a_heading_with_only_sub_headings_is_the_section_of_the_questions_beneath():
    text = "# 笔记\n\n## 注意力\n\n### 注意力的复杂度是多少？\n\nO(n²)。\n\n## 训练\n\n**1. 为什么要梯度裁剪？**\n防止梯度爆炸。\n"
    notes = parse_notes(text)
    assert outline(notes) == [(5, 7, "注意力", "注意力的复杂度是多少？"), (11, 12, "训练", "为什么要梯度裁剪？")]
    assert notes.skipped == []


def test_a_question_heading_keeps_its_plain_sub_headings_but_not_its_sub_questions():
    text = "## LoRA 的优缺点\n概述。\n### 优点\n参数少。\n### 缺点\n有上限。\n### 为什么 B 初始化为 0？\n保证一开始输出不变。\n"
    notes = parse_notes(text)
    assert outline(notes) == [(1, 6, "", "LoRA 的优缺点"), (7, 8, "", "为什么 B 初始化为 0？")]
    assert notes.questions[0].answer == "概述。\n### 优点\n参数少。\n### 缺点\n有上限。"


def test_numbered_list_questions_with_indented_or_following_answers():
    text = (
        "1. 为什么要用 KV Cache？\n"
        "   省掉重复计算。\n"
        "   1. 只缓存 K 和 V\n"
        "2. Flash Attention 快在哪里\n"
        "   减少显存读写。\n"
        "3. 什么是 PagedAttention？\n"
        "\n"
        "按页管理 KV Cache。\n"
        "\n"
        "1. 这一条是答案里的列表项\n"
    )
    notes = parse_notes(text)
    assert outline(notes) == [
        (1, 3, "", "为什么要用 KV Cache？"),
        (4, 5, "", "Flash Attention 快在哪里"),
        (6, 10, "", "什么是 PagedAttention？"),
    ]
    assert notes.questions[0].answer == "省掉重复计算。\n1. 只缓存 K 和 V"
    assert notes.questions[2].answer == "按页管理 KV Cache。\n\n1. 这一条是答案里的列表项"


def test_a_list_of_questions_without_answers_is_skipped():
    text = "## 一面\n\n1. 介绍一下 Transformer？\n2. 为什么用 RoPE？\n3. 讲讲 LoRA\n4. 项目经历\n"
    notes = parse_notes(text)
    assert notes.questions == []
    assert reasons(notes) == [(3, "只有问题的列表，没有答案（4 条）")]


def test_a_question_line_with_its_answer_on_the_same_line():
    notes = parse_notes("Q: 什么是 SFT？ A: 有监督微调。\n")
    assert outline(notes) == [(1, 1, "", "什么是 SFT？")]
    assert notes.questions[0].answer == "有监督微调。"


def test_duplicates_are_found_regardless_of_case_width_and_spaces():
    text = "### 什么是 LoRA？\n低秩适配。\n### 什么是lora?\n又写了一遍。\n"
    notes = parse_notes(text)
    assert outline(notes) == [(1, 2, "", "什么是 LoRA？")]
    assert reasons(notes) == [(3, "与第 1 行的问题重复")]
    assert title_key("什么是 LoRA？") == title_key(" 什么是lora? ")


def test_empty_and_absurd_titles_are_skipped():
    long_title = "为什么" * 101 + "？"
    text = f"### {long_title}\n有答案。\n### 为什么没有答案？\n### 1.\n正文。\n"
    notes = parse_notes(text)
    assert notes.questions == []
    assert reasons(notes) == [(1, f"标题太长（超过 {MAX_TITLE} 字）"), (3, "标题下面没有答案"), (4, "标题为空")]
    assert notes.skipped[0].text == f"### {long_title}"[:60]


def test_a_code_block_outside_any_question_is_reported():
    text = "```python\n# 这不是标题\nprint(1)\n```\n\n## 什么是 RAG？\n检索增强生成。\n"
    notes = parse_notes(text)
    assert outline(notes) == [(6, 7, "", "什么是 RAG？")]
    assert reasons(notes) == [(1, "代码块里的 # 不是标题（这段代码不属于任何问题）")]


def test_an_unclosed_code_block_runs_to_the_end():
    notes = parse_notes("## 什么是 MoE？\n\n```python\n# 专家路由\n## 这也是代码\n")
    assert outline(notes) == [(1, 5, "", "什么是 MoE？")]
    assert notes.questions[0].answer == "```python\n# 专家路由\n## 这也是代码"


def test_setext_headings_and_a_references_section():
    text = "Transformer\n===========\n\n什么是残差连接？\n---\n\n让梯度直接回传。\n\nReferences\n----------\n\n- [paper](https://example.com)\n"
    notes = parse_notes(text)
    assert outline(notes) == [(4, 7, "Transformer", "什么是残差连接？")]
    assert reasons(notes) == [(9, "参考资料，不是问题")]


def test_line_endings_bom_and_tabs_do_not_change_the_result():
    text = "# 推理\n\n## 为什么要量化？\n\tA: 省显存。\n\t- 也更快\n"
    expected = parse_notes(text)
    assert expected.questions == [NoteQuestion("为什么要量化？", "省显存。\n- 也更快", 3, 5, "推理")]
    assert parse_notes("\ufeff" + text.replace("\n", "\r\n")) == expected
    assert parse_notes(text.replace("\n", "\r")) == expected


def test_nothing_to_import():
    assert parse_notes("") == Notes([], [])
    assert parse_notes("\n\n   \n") == Notes([], [])
    assert parse_notes("随手记的一句话。\n") == Notes(
        [], [Skipped(1, "随手记的一句话。", "开头的说明文字，不属于任何问题")]
    )


# --- any text ----------------------------------------------------------------------------------

FRAGMENTS = [
    "",
    "   ",
    "\t",
    "---",
    "title: x",
    "# 笔记",
    "## 一、Transformer",
    "### 1. 什么是注意力？",
    "#### Q3: 为什么？",
    "### ",
    "#",
    "##什么是 LoRA",
    "======",
    "**1. 什么是 KV Cache？**",
    "**注意**：",
    "**2.** 为什么？",
    "Q: 什么是 RAG？",
    "Q：什么是 RAG? A: 检索",
    "问：为什么？",
    "问题：显存不够",
    "A: 因为",
    "答：",
    "1. 为什么要归一化？",
    "2. 什么是 RoPE",
    "一、什么是 MoE？",
    "   答案缩进",
    "\t- 子项",
    "- [目录](#目录)",
    "[TOC]",
    "![badge](https://img.shields.io/x)",
    '<img src="a.png">',
    "<!--",
    "-->",
    "```",
    "```python",
    "~~~",
    "# 代码里的注释",
    "$$",
    "E = mc^2",
    "| a | b |",
    "| --- | --- |",
    "> 引用",
    "## 参考资料",
    "## 目录",
    "[返回目录](#目录)",
    "这是一段正文。",
    "为什么" * 120 + "？",
]
LINES = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40))
PROPERTIES = hypothesis_settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def line_count(text: str) -> int:
    return len(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def check_invariants(text: str) -> Notes:
    notes = parse_notes(text)
    n = line_count(text)
    flat = text.replace("\r", "\n")
    previous_end = 0
    for q in notes.questions:
        assert previous_end < q.line <= q.end_line <= n  # in file order, no line in two questions
        previous_end = q.end_line
        assert q.title and q.title == q.title.strip() and len(q.title) <= MAX_TITLE
        assert q.answer.strip() and "\r" not in q.answer
        assert all(line.strip() in flat for line in q.answer.splitlines())
    assert len({title_key(q.title) for q in notes.questions}) == len(notes.questions)
    for s in notes.skipped:
        assert 1 <= s.line <= n and s.reason and len(s.text) <= 60
        assert not any(q.line <= s.line <= q.end_line for q in notes.questions)
    assert [s.line for s in notes.skipped] == sorted(s.line for s in notes.skipped)
    return notes


@PROPERTIES
@given(st.lists(LINES, max_size=40), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_any_notes_parse_within_the_file(lines, newline, bom):
    text = ("\ufeff" if bom else "") + newline.join(lines)
    check_invariants(text)


@PROPERTIES
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_line_endings_never_change_what_is_found(lines):
    text = "\n".join(lines)
    assert parse_notes("\ufeff" + text.replace("\n", "\r\n")) == check_invariants(text)


@hypothesis_settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text())
def test_arbitrary_text_never_raises(text):
    check_invariants(text)
