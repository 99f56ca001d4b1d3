"""Search: relevance on the bundled content for Chinese, English and mixed queries; a broken
index is rebuilt; the command line."""

import json

import pytest
from django.urls import reverse

from quizbank.bank import search
from quizbank.bank.search import highlight, terms
from tests.helpers import load, run_command, sample_text, write_set

pytestmark = pytest.mark.django_db

# query -> the question that must be in the top 5
RELEVANCE = {
    "LoRA 的秩怎么选": "lora-rank-choice",
    "KV cache 显存怎么算": "transformer-kv-cache-size-gqa",
    "为什么要除以根号dk": "transformer-attention-scaling-sqrt-dk",
    "MCP 传输方式": "mcp-transports-stdio-sse-streamable-http",
    "GPTQ 和 AWQ 区别": "quantization-gptq-vs-awq",
    "rerank cross-encoder": "rag-rerank-cross-encoder",
    "混合检索 RRF": "rag-rrf-score-calculation",
    "召回效果差怎么排查": "rag-bad-recall-diagnosis",
    "SmoothQuant": "quantization-smoothquant",
    "Streamable HTTP": "mcp-transports-stdio-sse-streamable-http",
    "位置编码 RoPE": "transformer-positional-encoding",
}


@pytest.mark.parametrize(("query", "expected"), RELEVANCE.items())
def test_the_right_question_is_in_the_top_five(bundled, query, expected):
    hits, total, _ = search.search(query, limit=5)
    assert expected in [h.id for h in hits], [h.id for h in hits]
    assert total >= len(hits)


def test_terms_mix_chinese_and_english_and_drop_stopwords():
    assert terms("LoRA 的秩怎么选") == ["lora", "秩"]
    assert terms("为什么要除以根号dk") == ["除以", "根号", "dk"]
    assert "dk" in terms("除以 √d_k", for_index=True) and "根号" in terms("√d_k", for_index=True)


def test_filters_by_topic_and_difficulty(bundled):
    hits, _, _ = search.search("量化", topic="lora", limit=50)
    assert hits and all(h.id.startswith("lora-") for h in hits)
    hits, _, _ = search.search("量化", difficulty="hard", limit=50)
    from quizbank.bank.models import Question

    assert hits and set(Question.objects.filter(id__in=[h.id for h in hits]).values_list("difficulty", flat=True)) == {
        "hard"
    }


def test_highlight_escapes_and_marks():
    assert highlight("<b>LoRA</b> 的秩", ["lora", "秩"]) == "&lt;b&gt;<mark>LoRA</mark>&lt;/b&gt; 的<mark>秩</mark>"


def test_search_page_highlights_matched_terms(client, bundled):
    html = client.get(reverse("bank:search"), {"q": "GPTQ 和 AWQ 区别"}).content.decode()
    assert "<mark>GPTQ</mark>" in html and "<mark>AWQ</mark>" in html


def test_a_missing_index_is_rebuilt_instead_of_failing(content_dir, private_index):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    search.default_index()._close()
    import shutil

    shutil.rmtree(private_index)
    hits, _, _ = search.search("自注意力", topic="sample")
    assert hits[0].id == "sample-self-attention"


def test_a_corrupt_index_is_rebuilt_instead_of_failing(client, content_dir, private_index):
    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    search.default_index()._close()
    for f in private_index.iterdir():
        f.write_bytes(b"garbage")
    response = client.get(reverse("bank:search"), {"q": "自注意力", "topic": "sample"})
    assert response.status_code == 200 and "/questions/sample-self-attention/" in response.content.decode()


def test_the_loader_updates_the_index_for_what_changed(content_dir, private_index):
    path = write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    path.write_text(sample_text().replace("什么是自注意力？", "什么是自注意力与交叉注意力？"), encoding="utf-8")
    load(content_dir)
    hits, _, _ = search.search("交叉注意力", topic="sample")
    assert hits[0].id == "sample-self-attention"
    text = sample_text()
    path.write_text(text[: text.index("## 下列哪些是")], encoding="utf-8")
    load(content_dir)
    assert "sample-mcp-primitives" not in [h.id for h in search.search("Sampling MCP", limit=50)[0]]


def test_search_command_prints_json(bundled):
    results = json.loads(run_command("search", "GPTQ 和 AWQ 区别", "--json"))
    assert results[0]["id"] == "quantization-gptq-vs-awq"
    assert set(results[0]) == {"id", "set", "title", "score"}
    results = json.loads(run_command("search", "量化", "--topic", "lora", "--json"))
    assert all(r["set"] == "lora" for r in results)


PLAIN_WORDS = [
    ("为什么要除以维数的平方根", "transformer-attention-scaling-sqrt-dk"),
    ("显存炸了怎么排查", "gpu-memory-oom-troubleshooting"),
    ("大模型胡编乱造怎么评估", "evaluation-hallucination"),
    ("深层网络学不动是什么原因", "dl-basics-vanishing-exploding-gradients"),
    ("小模型打草稿大模型验证", "inference-speculative-decoding"),
    ("打字机效果是怎么实现的", "llm-api-streaming-sse-basics"),
]


@pytest.mark.parametrize(("query", "expected"), PLAIN_WORDS)
def test_everyday_words_find_the_question_through_the_glossary(bundled, query, expected):
    hits, _, words = search.search(query, limit=5)
    assert expected in [h.id for h in hits]


def test_the_query_is_expanded_with_the_glossarys_other_wordings(bundled):
    words, extra = search.query_terms("胡编乱造")
    assert "幻觉" in extra and "hallucination" in extra and "胡编乱造" in words
