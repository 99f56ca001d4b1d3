"""Pages: home, topic, question, search — full pages and htmx partials, fixed query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizbank.bank.synthetic import synthetic_set
from tests.helpers import load, sample_text, write_set

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sample(content_dir):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(content_dir, n: int) -> None:
    write_set(content_dir, "big.md", synthetic_set("big", n))
    load(content_dir)


def test_home_lists_the_sets_in_their_front_matter_order(client):
    from quizbank.bank.models import QuestionSet

    expected = list(QuestionSet.objects.active().order_by("order", "slug").values_list("slug", flat=True))
    assert expected[:3] == ["transformer", "rag", "lora"]  # order: 1, 2, 3 — not alphabetical
    html = client.get(reverse("bank:home")).content.decode()
    shown = [slug for slug in re.findall(r'href="/topics/([\w-]+)/"', html)]
    assert list(dict.fromkeys(shown)) == expected


def test_home_lists_topics_with_counts_and_difficulty_mix(client, sample):
    response = client.get(reverse("bank:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "示例题集" in html and "3 道题" in html
    assert "简单 2，中等 1，困难 0" in html


def test_question_page_shows_answer_behind_a_reveal_and_neighbours(client, sample):
    response = client.get(reverse("bank:question", args=["sample-7b-weights"]))
    html = response.content.decode()
    assert '<details class="reveal" id="answer">' in html
    assert html.index("<summary>") < html.index("回答重点</h2>")
    assert 'rel="prev"' in html and 'href="/questions/sample-self-attention/"' in html
    assert 'rel="next"' in html and 'href="/questions/sample-mcp-primitives/"' in html
    assert "14 GB" in html and "±5%" in html


def test_rendered_answer_has_highlighted_code_and_math(client, sample):
    html = client.get(reverse("bank:question", args=["sample-self-attention"])).content.decode()
    assert '<div class="highlight">' in html and '<span class="k">def</span>' in html
    assert '<div class="arithmatex">\\[' in html
    assert "<table>" in html
    assert "katex.min.js" in html and "cdn" not in html.lower()


def test_question_page_shows_follow_ups_with_their_answers_and_links(client, sample):
    html = client.get(reverse("bank:question", args=["sample-self-attention"])).content.decode()
    section = html[html.index('<section class="follow-ups">') :]
    section = section[: section.index("</section>")]
    assert section.count("<li>") == 3 and "为什么要除以 √d_k？" in section
    answer = re.search(r"不缩放会怎样？\s*<details><summary>参考答案</summary>(.*?)</details>", section, re.S)
    assert answer and "softmax 饱和，梯度很小" in answer.group(1) and "arithmatex" in answer.group(1)
    assert re.search(r'7B 模型的权重占多少显存？ <a href="/questions/sample-7b-weights/">答案见这道题', section)
    assert section.count("<details>") == 1


def test_unknown_question_and_topic_are_404(client, sample):
    assert client.get(reverse("bank:question", args=["nope"])).status_code == 404
    assert client.get(reverse("bank:topic", args=["nope"])).status_code == 404


def test_topic_filters_by_tag_and_difficulty(client, sample):
    url = reverse("bank:topic", args=["sample"])
    html = client.get(url, {"difficulty": "medium"}).content.decode()
    assert "7B 模型" in html and "什么是自注意力" not in html
    html = client.get(url, {"tag": "注意力"}).content.decode()
    assert "什么是自注意力" in html and "7B 模型" not in html


def test_topic_as_htmx_partial_and_full_page(client, sample):
    url = reverse("bank:topic", args=["sample"])
    partial = client.get(url, {"difficulty": "easy"}, **HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="question-list"') and "<html" not in partial
    full = client.get(url, {"difficulty": "easy"}).content.decode()
    assert "<html" in full and 'id="question-list"' in full


def test_garbage_parameters_get_a_page_not_a_500(client, sample):
    url = reverse("bank:topic", args=["sample"])
    assert client.get(url, {"difficulty": "<script>", "page": "abc"}).status_code == 200
    response = client.get(reverse("bank:search"), {"q": "x", "difficulty": "nope", "page": "-3"})
    assert response.status_code == 400
    assert "搜索条件无效" in response.content.decode()


def test_page_query_counts_do_not_grow_with_questions(client, content_dir):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    urls = [
        reverse("bank:home"),
        reverse("bank:topic", args=["sample"]),
        reverse("bank:question", args=["sample-self-attention"]),
    ]
    small = [count_queries(client, u) for u in urls]
    grow(content_dir, 120)
    urls[1] = reverse("bank:topic", args=["big"])
    large = [count_queries(client, u) for u in urls]
    assert small == large
    assert small[0] <= 2 and small[1] <= 5 and small[2] <= 5


def test_search_query_count_is_fixed(client, bundled, settings):
    settings.QUIZBANK_INDEX_SYNC_SECONDS = 0  # each search checks the index's change log: one query
    url = reverse("bank:search")
    with CaptureQueriesContext(connection) as one:
        client.get(url, {"q": "LoRA"})
    with CaptureQueriesContext(connection) as two:
        client.get(url, {"q": "LoRA 量化 注意力 检索 RAG MCP"})
    assert len(one.captured_queries) == len(two.captured_queries) <= 4


def test_search_as_htmx_partial_and_full_page(client, bundled):
    url = reverse("bank:search")
    partial = client.get(url, {"q": "KV cache"}, **HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="results"') and "<html" not in partial
    assert "<mark>" in partial
    full = client.get(url, {"q": "KV cache"}).content.decode()
    assert "<html" in full and 'id="results"' in full and "<mark>" in full


def test_english_ui_is_available(client, sample):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("bank:home")).content.decode()
    assert '<html lang="en">' in html
    assert "Question sets" in html


def test_the_ui_is_chinese_even_for_an_english_browser(client, sample):
    html = client.get(reverse("bank:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and "题集" in html


def test_tag_filters_offer_only_tags_used_more_than_once_and_not_numbers_or_dates():
    from quizbank.bank.selectors import useful_tags

    tags = list(useful_tags())
    names = [t.name for t in tags]
    assert "MCP" in names and "429" not in names and "2026-07-28" not in names
    assert all(t.n >= 2 for t in tags) and 100 < len(tags) < 400  # of 911 tags in the bundled bank
    assert names == sorted(names, key=str.lower)


def test_a_sets_tag_select_offers_its_tags_used_more_than_once_and_the_one_filtered_on(client):
    url = reverse("bank:topic", args=["rag"])
    options = re.findall(r'<option value="([^"]+)"', client.get(url).content.decode())
    assert options and "HyDE" not in options  # on one question only
    html = client.get(url, {"tag": "HyDE"}).content.decode()
    assert '<option value="HyDE" selected>' in html


@pytest.mark.django_db
def test_a_nul_character_is_never_a_database_error(client, bundled):
    # a path with one names nothing; in values it is dropped and the rest kept
    assert client.get("/questions/a%00b/").status_code == 404
    page = client.get(reverse("bank:search"), {"q": "GPTQ\x00 AWQ"})
    assert page.status_code == 200 and "GPTQ AWQ" in page.content.decode()
    assert client.post(reverse("login"), {"username": "x\x00", "password": "y"}).status_code == 400
