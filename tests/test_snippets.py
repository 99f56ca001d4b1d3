"""Search snippets: readable plain text (formulas as text, no structure labels), a window
around the query's words, and the words marked as the search analyser reads them."""

import pytest
from django.urls import reverse

from quizbank.bank.snippets import highlight, plain_text, tex_to_text


def test_formulas_stay_as_text_and_code_blocks_go():
    markdown = "方差 $d_k$ 变大\n\n$$\n\\frac{a}{b}\n$$\n\n```python\nx = 1\n```\n结论"
    assert plain_text(markdown) == "方差 d_k 变大 a/b 结论"


def test_a_step_made_of_formulas_leaves_no_holes():
    assert plain_text("第 1 步：$q \\cdot k$，$\\sqrt{d_k}$。") == "第 1 步：q · k，√d_k。"


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\mathrm{softmax}\left(\frac{QK^{\top}}{\sqrt{d_k}}\right)V", "softmax(QK^T/√d_k)V"),
        (r"\text{KV 字节数} = 2 \times L \times n_{\text{kv\_heads}}", "KV 字节数 = 2 × L × n_kv_heads"),
        (r"\sum_{i} \frac{1}{k + r_i(d)}", "Σ_i 1/(k + r_i(d))"),
        (r"31500 / 131072 \approx 24\%", "31500 / 131072 ≈ 24%"),
        (r"\lvert x \rvert_2", "| x |_2"),
    ],
)
def test_tex_reads_as_plain_text(tex, text):
    assert tex_to_text(tex) == text


def test_a_label_with_a_note_in_brackets_is_dropped_too():
    assert plain_text("**分**（按时间线）：1. 2021 年 LoRA") == "1. 2021 年 LoRA"
    assert plain_text("分（混合精度 Adam，K=12）： 阶段一") == "阶段一"
    assert plain_text("分布式训练：数据并行") == "分布式训练：数据并行"


def test_structure_labels_are_dropped():
    markdown = "**总**：秩 r 决定容量。\n\n**分**：\n\n1. 起点：r=8\n\n| 阶段 | 切分 |\n|---|---|\n| ZeRO-1 | 优化器 |"
    assert plain_text(markdown) == "秩 r 决定容量。 1. 起点：r=8 阶段 · 切分 ZeRO-1 · 优化器"


def test_chinese_words_are_marked_as_the_analyser_cuts_them():
    assert highlight("自注意力和交叉注意力", ["注意力"]) == "自<mark>注意力</mark>和交叉<mark>注意力</mark>"


def test_english_words_are_marked_in_the_forms_the_analyser_unifies():
    assert highlight("除以 √d_k 的 LLMs", ["dk", "根号", "llm"]) == ("除以 <mark>√d_k</mark> 的 <mark>LLMs</mark>")
    assert highlight("R1-Zero 与 ZeRO-2", ["zero"]) == "R1-<mark>Zero</mark> 与 <mark>ZeRO</mark>-2"
    assert highlight("R1-Zero", ["r1zero"]) == "<mark>R1-Zero</mark>"


def test_the_window_shows_the_part_that_says_most_query_words():
    text = "开头提到 LoRA。" + "无关的内容。" * 30 + "秩 r 的选择取决于数据量，LoRA 的学习率也要调。" + "结尾。" * 30
    html = highlight(text, ["lora", "秩"], width=60)
    assert html.startswith("…<mark>秩</mark> r 的选择") and "<mark>LoRA</mark> 的学习率" in html and html.endswith("…")


@pytest.mark.django_db
def test_search_results_show_formulas_labels_free_and_marked(client, bundled):
    html = client.get(reverse("bank:search"), {"q": "为什么要除以根号dk"}).content.decode()
    assert "<mark>√d_k</mark>" in html and "： ，" not in html
    html = client.get(reverse("bank:search"), {"q": "LoRA 的秩怎么选"}).content.decode()
    snippet = html.split('<p class="snippet">')[1].split("</p>")[0]
    assert not snippet.startswith("总") and "<mark>秩</mark>" in snippet
