"""Search: relevance on the bundled content for Chinese, English and mixed queries; a broken
index is rebuilt; the command line."""

import json
import re

import pytest
from django.urls import reverse

from quizbank.bank import search
from quizbank.bank.analysis import weighted_terms
from quizbank.bank.models import Question
from quizbank.bank.search import terms
from quizbank.bank.snippets import highlight
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


# query -> the question that must come first
FIRST = {
    "LoRA 的秩怎么选": "lora-rank-choice",  # was third, after two titles that only share "LoRA"
    "ZeRO 三个阶段": "gpu-memory-zero-stages",  # was DeepSeek-R1, for its "R1-Zero"
    "LLMs": "llm-basics-what-makes-llm-large",
    "transformers": "transformer-architecture-overview",
    "R1-Zero": "alignment-deepseek-r1-pipeline",
    "cross-encoders": "rag-rerank-cross-encoder",
}


@pytest.mark.parametrize(("query", "expected"), FIRST.items())
def test_the_expected_question_comes_first(bundled, query, expected):
    hits, _, _ = search.search(query, limit=5)
    assert hits[0].id == expected, [h.id for h in hits]


def test_a_title_said_word_for_word_comes_first(bundled):
    wrong = []
    for question_id, title in Question.objects.active().values_list("id", "title"):
        first_clause = title.split("？")[0]
        hits, _, _ = search.search(first_clause, limit=1)
        if hits[0].id != question_id:
            wrong.append((first_clause, hits[0].id))
    assert not wrong


def test_a_hyphenated_name_counts_less_than_the_word_on_its_own():
    assert ("zero", 0.5) in weighted_terms("R1-Zero") and ("r1zero", 1.0) in weighted_terms("R1-Zero")
    assert weighted_terms("ZeRO-2") == [("zero", 1.0), ("2", 1.0)]
    assert ("crossencoder", 1.0) in weighted_terms("cross-encoder")


def test_english_plurals_are_reduced_to_the_singular(bundled):
    assert terms("LLMs Transformers queries losses bias") == ["llm", "transformer", "query", "loss", "bias"]
    assert [h.id for h in search.search("LLMs")[0]] == [h.id for h in search.search("LLM")[0]]


def test_a_misspelt_english_word_gets_the_closest_known_word(bundled):
    assert search.suggestion("transfomer") == "transformer"
    assert search.suggestion("Attension 机制") == "attention 机制"
    assert search.suggestion("transformer") == "" and search.suggestion("注意力") == ""


def test_tex_command_names_are_not_indexed_or_suggested(client, bundled):
    for command in ("lvert", "mathrm", "operatorname", "tfrac"):
        assert search.search(command)[1] == 0, command
    assert search.suggestion("alert") != "lvert"


def test_full_width_letters_search_like_half_width(client, bundled):
    def ids(q):
        return re.findall(r'href="/questions/([^/"]+)/', client.get(reverse("bank:search"), {"q": q}).content.decode())

    assert ids("ｌｏｒａ 的秩怎么选") == ids("lora 的秩怎么选") and ids("lora 的秩怎么选")


def test_a_misspelt_query_shows_the_results_of_its_correction(client, bundled):
    from quizbank.bank.selectors import search_questions

    found = search_questions("transfomer")
    assert found.corrected == "transformer" and found.results[0].question.id == "transformer-architecture-overview"
    response = client.get(reverse("bank:search"), {"q": "transfomer"})
    html = response.content.decode()
    assert "“transformer”的结果" in html and "/questions/transformer-architecture-overview/" in html


def test_a_query_with_a_misspelt_word_offers_the_correction(client, bundled):
    html = client.get(reverse("bank:search"), {"q": "attension 机制"}).content.decode()
    assert "你是不是要找：" in html and "?q=attention%20%E6%9C%BA%E5%88%B6" in html


def test_an_index_built_by_an_older_analyser_is_rebuilt(content_dir, private_index, monkeypatch):
    write_set(content_dir, "sample.md", sample_text())
    with monkeypatch.context() as patched:
        patched.setattr(search, "ANALYZER_VERSION", 1)
        load(content_dir)
    search.default_index()._close()
    hits, _, _ = search.search("自注意力", topic="sample")
    assert hits[0].id == "sample-self-attention"
    assert search.default_index()._open().schema["title"].analyzer.version == search.ANALYZER_VERSION


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


def test_a_rebuild_by_another_process_is_seen_by_a_searcher_already_open(content_dir, private_index):
    """Two web workers share one index directory; a rebuild replaces the directory and starts
    whoosh's generation at 1 again, so the other worker must notice the new directory."""
    from quizbank.bank.models import Question

    write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    this_worker, other_worker = search.SearchIndex(private_index), search.SearchIndex(private_index)
    assert [h.id for h in this_worker.search("自注意力", topic="sample")[0]][:1] == ["sample-self-attention"]
    Question.objects.filter(id="sample-self-attention").update(title="Zyxwvu 探针")
    other_worker.rebuild(search.indexable_questions())
    assert [h.id for h in this_worker.search("Zyxwvu")[0]] == ["sample-self-attention"]


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


def test_a_query_matching_nearly_every_question_lists_only_the_most_relevant(client, bundled):
    url = reverse("bank:search")
    html = client.get(url, {"q": "模型"}).content.decode()
    assert "下面是最相关的 20 道" in html and "找到 315 道题" not in html
    assert "下一页" in html
    html = client.get(url, {"q": "模型", "page": 2}).content.decode()
    assert html.count('<p class="snippet">') == 10 and "下一页" not in html
    html = client.get(url, {"q": "LoRA 的秩怎么选"}).content.decode()
    assert "找到 " in html and "最相关的" not in html


def test_a_page_past_the_end_shows_the_last_page_not_nothing_found(client, bundled):
    url = reverse("bank:search")
    last = client.get(url, {"q": "模型", "page": 2}).content.decode()
    for page in (3, 999, 1000):
        html = client.get(url, {"q": "模型", "page": page}).content.decode()
        assert "没有找到相关题目" not in html and html.count('<p class="snippet">') == 10
        assert 'start="11"' in html and "上一页" in html and "下一页" not in html
        assert html.split('<ol class="results"')[1] == last.split('<ol class="results"')[1]
    html = client.get(url, {"q": "LoRA 的秩怎么选", "page": 999}).content.decode()  # not a broad query
    assert "没有找到相关题目" not in html and '<p class="snippet">' in html


def test_only_the_results_near_the_best_are_listed_for_a_broad_query():
    hits = [search.Hit("best", 20.0), *(search.Hit(f"q{i}", 2.0) for i in range(30))]
    listed, broad = search.most_relevant(hits, total=285, in_scope=315)
    assert broad and [h.id for h in listed] == ["best"]
    listed, broad = search.most_relevant(hits, total=31, in_scope=315)
    assert not broad and listed == hits


def test_a_query_of_only_question_words_asks_for_a_concept(client, bundled):
    html = client.get(reverse("bank:search"), {"q": "什么是"}).content.decode()
    assert "只有常见的提问用语" in html and "没有找到相关题目" not in html


@pytest.mark.parametrize("query", ["*", "(", "?", "🙂", "\\"])
def test_a_query_of_only_symbols_says_there_is_nothing_to_search_for(client, bundled, query):
    html = client.get(reverse("bank:search"), {"q": query}).content.decode()
    assert "没有可以搜索的字词" in html and "提问用语" not in html


def test_a_too_long_query_is_a_400_that_says_so_in_plain_words(client, bundled):
    response = client.get(reverse("bank:search"), {"q": "注意力" * 1000})
    assert response.status_code == 400 and "搜索词最长 200 个字" in response.content.decode()


@pytest.mark.parametrize("block", [3, search.POSTING_BLOCK])
def test_scores_are_whooshs_own_bm25f_over_blocks_segments_and_deletions(
    content_dir, private_index, monkeypatch, block
):
    """Search adds up the postings itself (numpy, a term at a time); whoosh's own collector over
    the same (field, term, boost)s must give the same documents and scores, whatever the block
    size, with several segments and deleted documents."""
    import numpy as np
    from whoosh import query as wq

    from quizbank.bank.synthetic import synthetic_set

    monkeypatch.setattr(search, "POSTING_BLOCK", block)
    write_set(content_dir, "syn.md", synthetic_set("syn", 60, seed=3))
    path = write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    path.write_text(sample_text().replace("什么是自注意力？", "什么是自注意力与交叉注意力？"), encoding="utf-8")
    load(content_dir)  # the changed question is deleted from its segment and added in a new one
    index = search.default_index()
    searcher, kept = index._current()
    readers = [leaf.reader() for leaf, _ in searcher.leaf_searchers()]
    assert len(readers) > 1 and any(r.has_deletions() for r in readers)
    compared = 0
    for query in [
        "自注意力",
        "交叉注意力 softmax",
        "检索 召回 排序",
        "LoRA 的秩怎么选",
        "显存 优化器",
        "三个阶段",
        "zzzz",
    ]:
        weighted = search.weighted_query(query, *search.query_terms(query))
        scores, matched = index._scores(searcher, kept, weighted)
        theirs = {
            hit.docnum: hit.score
            for hit in searcher.search(wq.Or([wq.Term(f, t, boost=b) for f, t, b in weighted]), limit=None)
        }
        assert set(np.flatnonzero(matched).tolist()) == set(theirs), query
        assert all(scores[doc] == pytest.approx(score, rel=1e-9) for doc, score in theirs.items()), query
        compared += len(theirs)
    assert compared > 100


def test_threads_searching_at_once_read_their_own_postings(bundled):
    """A web process's threads share one searcher, whose readers keep one file position per
    segment: reads of postings not kept yet must not interleave (they read each other's blocks,
    and the wrong postings would then be kept for every later search)."""
    import sys
    import threading

    queries = [
        "LoRA 的秩怎么选",
        "KV cache",
        "检索 召回 排序",
        "显存 优化器",
        "位置编码 rope",
        "量化 int8",
        "幻觉 评估",
    ]
    index = search.SearchIndex(bundled)
    expected = {}
    for q in queries:
        index.forget_postings()
        expected[q] = [(h.id, h.score) for h in index.search(q, limit=20)[0]]
    failures = []

    def run(offset: int) -> None:
        for round_ in range(12):
            q = queries[(offset + round_) % len(queries)]
            try:
                index.forget_postings()
                got = [(h.id, h.score) for h in index.search(q, limit=20)[0]]
            except Exception as exc:  # noqa: BLE001 — a broken read is what this looks for
                failures.append((q, repr(exc)))
                continue
            if got != expected[q]:
                failures.append((q, got[:3]))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures[:5]


def test_a_search_under_way_finishes_when_another_thread_opens_the_changed_index(content_dir, private_index):
    """One thread's search still reads the searcher it started with while another, after a
    publish, opens the new one: the old searcher is let go, not closed under it."""
    path = write_set(content_dir, "sample.md", sample_text())
    load(content_dir)
    index = search.default_index()
    searcher, kept = index._current()
    weighted = search.weighted_query("自注意力", *search.query_terms("自注意力"))

    def best_of_the_first_thread() -> str:
        scores, matched = index._scores(searcher, kept, weighted)
        return searcher.stored_fields(int(scores.argmax()))["id"] if matched.any() else ""

    before = best_of_the_first_thread()
    path.write_text(sample_text().replace("什么是自注意力？", "什么是自注意力与交叉注意力？"), encoding="utf-8")
    load(content_dir)
    assert index.search("交叉注意力", topic="sample")[0][0].id == "sample-self-attention"  # the new searcher
    assert index._current()[0] is not searcher
    kept.clear_terms()  # the first thread reads its postings from its own searcher's files again
    assert before and best_of_the_first_thread() == before
