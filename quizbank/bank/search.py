"""Full-text search over the question bank: a whoosh index with jieba segmentation.

One index per process, one searcher kept open and refreshed when the index changes, and
jieba loaded once per process. Queries are built directly from the analysed terms (no query
parser) and only the shown hits are scored and highlighted. A missing or corrupt index is
rebuilt from the database instead of failing the page.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from dataclasses import dataclass
from html import escape
from pathlib import Path

import jieba
from django.conf import settings
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.scoring import BM25F

from quizbank.bank import vocabulary

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

STOPWORDS = frozenset(
    """的 了 是 和 与 及 或 在 对 把 被 有 吗 呢 吧 啊 么 要 会 能 该 就 都 也 还 而 之 其 这 那 哪
    一个 一种 什么 为什么 怎么 怎样 如何 哪些 哪个 多少 是否 可以 如果 那么 以及 还是 有哪些 区别
    请 介绍 一下 说说 讲讲 谈谈 简述 解释 选 为啥 咋
    a an the of to in on for and or is are be what why how which with vs""".split()
)
_SPLIT_RE = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")
_WORD_RE = re.compile(r"\w", re.UNICODE)
# Two text fields, not one per part: every extra field is another posting list to walk for
# each query term, and whoosh walks them in Python (see docs/performance.md).
FIELD_BOOSTS = {"title": 3.0, "body": 1.0}
EXPANSION_BOOST = 0.4  # a glossary synonym counts less than the word the user typed
MAX_EXPANSIONS = 24
_init_lock = threading.Lock()


def normalize(text: str) -> str:
    """Unify spellings people mix: d_k ~ dk, √ ~ 根号, full-width ~ half-width."""
    return _SPLIT_RE.sub("", text).replace("√", " 根号 ").casefold()


def terms(text: str, for_index: bool = False) -> list[str]:
    """The analysed terms of a text: jieba words, lower-cased, without stopwords and punctuation."""
    cut = jieba.cut_for_search if for_index else jieba.cut
    words = (w.strip() for w in cut(normalize(text)))
    return [w for w in words if w and _WORD_RE.search(w) and w not in STOPWORDS]


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """The query's own terms, and the terms of the other wordings the glossary knows for what it
    says ("根号" also finds "平方根", "sqrt"); expansions of one-character terms are left out."""
    words = list(dict.fromkeys(terms(text)))
    extra: list[str] = []
    for wording in vocabulary.glossary().expansions(text):
        analysed = terms(wording)
        if analysed and all(len(t) >= 2 for t in analysed):
            extra.extend(t for t in analysed if t not in words and t not in extra)
    return words, extra[:MAX_EXPANSIONS]


class JiebaTokenizer(Tokenizer):
    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(terms(value, for_index=mode == "index"), start=start_pos):
            token.text = token.original = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            yield token


def schema() -> Schema:
    analyzer = JiebaTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        set=ID(stored=True),
        difficulty=ID,
        title=TEXT(analyzer=analyzer, field_boost=FIELD_BOOSTS["title"], phrase=False),
        body=TEXT(analyzer=analyzer, phrase=False),
    )


def document(question) -> dict:
    """What the index holds of one question (a Question row or anything with its fields)."""
    points = " ".join(" ".join([p["text"], *p.get("aliases", [])]) for p in question.key_points)
    tags = " ".join(t.name for t in question.tags.all())
    return {
        "id": question.id,
        "set": question.question_set.slug,
        "difficulty": question.difficulty,
        "title": f"{question.title}\n{tags}",
        "body": "\n".join([points, question.body_md, question.answer_md, question.extended_md]),
    }


@dataclass
class Hit:
    id: str
    score: float


class SearchIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._index = None
        self._searcher = None
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------
    def rebuild(self, questions) -> int:
        """Build a fresh index from an iterable of questions; returns the document count."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        ix = whoosh_index.create_in(str(tmp), schema())
        writer = ix.writer(limitmb=256)
        count = 0
        for question in questions:
            writer.add_document(**document(question))
            count += 1
        writer.commit()
        ix.close()
        with self._lock:
            self._close()
            shutil.rmtree(self.path, ignore_errors=True)
            tmp.rename(self.path)
        return count

    def update(self, changed, removed_ids) -> None:
        """Index changed questions and drop removed ones; rebuild when there is no index."""
        ix = self._open()
        writer = ix.writer(limitmb=128)
        for question_id in removed_ids:
            writer.delete_by_term("id", question_id)
        for question in changed:
            writer.update_document(**document(question))
        writer.commit()

    # -- reading ---------------------------------------------------------------------------
    def _open(self):
        if self._index is None:
            self._index = whoosh_index.open_dir(str(self.path))
        return self._index

    def _close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None
        self._index = None

    def searcher(self):
        with self._lock:
            if self._searcher is None:
                self._searcher = self._open().searcher(weighting=BM25F())
            elif not self._searcher.up_to_date():
                # Searcher.refresh() can keep serving deleted documents: reopen instead.
                self._close()
                self._searcher = self._open().searcher(weighting=BM25F())
            return self._searcher

    def search(
        self, text: str, *, topic: str = "", difficulty: str = "", limit: int = 10, offset: int = 0
    ) -> tuple[list[Hit], int, list[str]]:
        """Return (hits of the page, total matches, the query's terms)."""
        words, extra = query_terms(text)
        if not words:
            return [], 0, []
        query = wq.Or(
            [wq.Term(field, w) for field in FIELD_BOOSTS for w in words]
            + [wq.Term(field, w, boost=EXPANSION_BOOST) for field in FIELD_BOOSTS for w in extra]
        )
        # a binary tree of unions can skip blocks that cannot reach the top `limit` (block-max)
        query.matcher_type = wq.Or.DEFAULT_MATCHER
        filters = [wq.Term("set", topic)] if topic else []
        if difficulty:
            filters.append(wq.Term("difficulty", difficulty))
        filter_query = wq.And(filters) if filters else None
        searcher = self.searcher()
        results = searcher.search(query, limit=offset + limit, filter=filter_query)
        hits = [Hit(r["id"], r.score) for r in results[offset : offset + limit]]
        return hits, len(results) if results.has_exact_length() else results.estimated_length(), words + extra


_default: SearchIndex | None = None


def default_index() -> SearchIndex:
    global _default
    with _init_lock:
        if _default is None or _default.path != Path(settings.QUIZBANK_INDEX_DIR):
            _default = SearchIndex(settings.QUIZBANK_INDEX_DIR)
        return _default


def indexable_questions():
    from quizbank.bank.models import Question

    return Question.objects.active().select_related("question_set").prefetch_related("tags").iterator(chunk_size=2000)


def rebuild_index() -> int:
    """Rebuild the whole index from the database."""
    return default_index().rebuild(indexable_questions())


def search(text: str, **kwargs) -> tuple[list[Hit], int, list[str]]:
    """Search, rebuilding the index first if it is missing or unreadable."""
    index = default_index()
    try:
        return index.search(text, **kwargs)
    except Exception:  # noqa: BLE001 — any broken index is rebuilt, never shown as a 500
        logger.exception("search index at %s unusable; rebuilding", index.path)
        with index._lock:
            index._close()
        rebuild_index()
        return index.search(text, **kwargs)


def highlight(text: str, words: list[str], *, width: int | None = None) -> str:
    """Escape text and wrap the query's words in <mark>; with width, cut a window around the
    first match."""
    if width and len(text) > width:
        lowered = normalize(text)
        first = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
        start = max(0, first - width // 4)
        text = ("…" if start else "") + text[start : start + width] + "…"
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def warm_up() -> None:
    """Load jieba's dictionary now (about a second): call before forking web workers."""
    jieba.initialize()
