"""Full-text search over the question bank: a whoosh index with jieba segmentation.

One index per process, one searcher kept open and refreshed when the index changes, and
jieba loaded once per process. Queries are built directly from the analysed terms (no query
parser). whoosh stores and reads the postings; the BM25F sum over them is done here in numpy, a
term at a time, with the recently searched terms' postings kept in memory (docs/performance.md).
A missing or corrupt index is rebuilt from the database instead of failing the page.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import jieba
import numpy as np
from django.conf import settings
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F

from quizbank.bank import index_sync, vocabulary
from quizbank.bank.analysis import (
    counted_numbers,
    grams,
    normalize,
    singular_words,
    terms,
    title_overlap,
    weighted_terms,
)
from quizbank.bank.snippets import formulas_as_text

__all__ = ["normalize", "terms", "search", "query_terms", "suggestion"]
logger = logging.getLogger(__name__)

# Two text fields, not one per part: every extra field is another posting list to walk for
# each query term, and whoosh walks them in Python (see docs/performance.md).
FIELD_BOOSTS = {"title": 3.0, "body": 1.0}
EXPANSION_BOOST = 0.4  # a glossary synonym counts less than the word the user typed
MAX_EXPANSIONS = 24
# The best RERANK_DEPTH hits are re-ordered by how much of the query their title says; a title
# that says (nearly) all of it comes first.
RERANK_DEPTH = 20
# Scored postings kept per process for the terms searched most recently (16 bytes each).
POSTINGS_KEPT = 1_000_000
POSTING_BLOCK = 1024
NEAR_EXACT = 0.9
# A query that matches at least BROAD_SHARE of the questions in scope (say "模型") lists only
# its BROAD_LIMIT best results, and of those only the ones scoring RELEVANCE_FLOOR of the best.
BROAD_SHARE = 0.5
BROAD_LIMIT = 20
RELEVANCE_FLOOR = 0.2
# Bump when the analyser changes: an index built by an older one is rebuilt when opened.
ANALYZER_VERSION = 3  # 3: formulas indexed as text (no TeX command names)
_init_lock = threading.Lock()


class StaleIndex(Exception):
    pass


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """The query's own terms, and the terms of the other wordings the glossary knows for what it
    says ("根号" also finds "平方根", "sqrt"); expansions of one-character terms are left out."""
    words = list(dict.fromkeys(terms(text)))
    extra: list[str] = []
    said = text if singular_words(text) == text else f"{text}\n{singular_words(text)}"
    for wording in vocabulary.glossary().expansions(said):
        analysed = terms(wording)
        if analysed and all(len(t) >= 2 for t in analysed):
            extra.extend(t for t in analysed if t not in words and t not in extra)
    return words, extra[:MAX_EXPANSIONS]


def weighted_query(text: str, words: list[str], extra: list[str]) -> list[tuple[str, str, float]]:
    """What a search scores: (field, term, boost) for the query's words and its expansions."""
    return (
        [(field, w, 1.0) for field in FIELD_BOOSTS for w in words]
        + [(field, w, EXPANSION_BOOST) for field in FIELD_BOOSTS for w in extra]
        # a count only in titles: "3" is in most bodies
        + [("title", n, EXPANSION_BOOST) for n in counted_numbers(text) if n not in words]
    )


class JiebaTokenizer(Tokenizer):
    def __init__(self, version: int):
        self.version = version  # pickled with the index's schema

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
        analysed = weighted_terms(value, for_index=mode == "index")
        for pos, (word, weight) in enumerate(analysed, start=start_pos):
            token.text = token.original = word
            token.boost = weight
            token.stopped = False
            if positions:
                token.pos = pos
            yield token


def schema() -> Schema:
    analyzer = JiebaTokenizer(ANALYZER_VERSION)
    return Schema(
        id=ID(stored=True, unique=True),
        set=ID(stored=True),
        difficulty=ID,
        title=TEXT(analyzer=analyzer, field_boost=FIELD_BOOSTS["title"], phrase=False),
        title_text=STORED,
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
        "title_text": question.title,
        "body": formulas_as_text("\n".join([points, question.body_md, question.answer_md, question.extended_md])),
    }


def _codec():
    """whoosh's codec with posting blocks of POSTING_BLOCK (128 by default): search reads whole
    posting lists, and each block costs a few Python calls whatever its size."""
    return default_codec(blocklimit=POSTING_BLOCK)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


@dataclass
class Hit:
    id: str
    score: float


class SearchIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._index = None
        self._searcher = None
        self._opened = None  # the directory's inode when opened: a rebuild elsewhere replaces it
        self._vocabulary: tuple[object, list[str]] | None = None
        self._posting_cache = _PostingCache(None, None)
        self._lock = threading.Lock()
        self.checked_at = float("-inf")  # when this process last caught up (bank/index_sync.py)
        self.sync_lock = threading.Lock()
        self.rebuild_thread: threading.Thread | None = None  # a search's background rebuild

    # -- writing ---------------------------------------------------------------------------
    def rebuild(self, questions, mark=None) -> int:
        """Build a fresh index from an iterable of questions; returns the document count. `mark`
        (an index_sync.Mark) is the change-log generation the questions reflect."""
        # a folder of its own: two processes rebuilding at once must not share one
        tmp = self.path.with_name(f"{self.path.name}.tmp{os.getpid()}-{threading.get_ident()}")
        self._remove_abandoned_builds()
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            ix = whoosh_index.create_in(str(tmp), schema())
            writer = ix.writer(limitmb=256, codec=_codec())
            count = 0
            for question in questions:
                writer.add_document(**document(question))
                count += 1
            writer.commit()
            ix.close()
            if mark is not None:
                index_sync.write_mark(tmp, mark)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with self._lock:
            self._close()
            for _ in range(3):  # another process may put its rebuild in place meanwhile
                shutil.rmtree(self.path, ignore_errors=True)
                try:
                    tmp.rename(self.path)
                    break
                except OSError:
                    continue
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        return count

    def _remove_abandoned_builds(self) -> None:
        """Folders of rebuilds whose process is gone (a web worker stopped mid-rebuild)."""
        for folder in self.path.parent.glob(f"{self.path.name}.tmp*-*"):
            pid = folder.name[len(self.path.name) + 4 :].split("-", 1)[0]
            if not pid.isdigit():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass  # alive, another user's

    def update(self, changed, removed_ids, *, wait: bool = True) -> bool:
        """Index changed questions and drop removed ones. False (nothing written) when another
        process holds the write lock and `wait` is off; with `wait`, wait up to 10 s for it."""
        ix = self._open()
        try:
            writer = ix.writer(limitmb=128, timeout=10.0 if wait else 0.0, delay=0.05, codec=_codec())
        except LockError:
            if wait:
                raise
            return False
        for question_id in removed_ids:
            writer.delete_by_term("id", question_id)
        for question in changed:
            writer.update_document(**document(question))
        writer.commit()
        return True

    # -- reading ---------------------------------------------------------------------------
    def _open(self):
        if self._index is not None and self._opened != _inode(self.path):
            # another process rebuilt the index (a new directory whose generation starts again
            # at 1, so up_to_date() cannot tell): drop the old one
            self._close()
        if self._index is None:
            self._opened = _inode(self.path)
            index = whoosh_index.open_dir(str(self.path))
            if getattr(index.schema["title"].analyzer, "version", 1) != ANALYZER_VERSION:
                index.close()
                raise StaleIndex(f"index at {self.path} was built by an older analyser")
            self._index = index
        return self._index

    def _close(self) -> None:
        """Let go of the open index and searcher. They are not closed: another thread may be
        searching with them, and closing would fail its search; their files close when the last
        search using them ends."""
        self._searcher = None
        self._index = None

    def searcher(self):
        return self._current()[0]

    def _current(self) -> tuple[object, _PostingCache]:
        """The searcher of the index as it is now, and what is kept of it."""
        with self._lock:
            if self._searcher is not None and self._opened != _inode(self.path):
                self._close()
            if self._searcher is not None and not self._searcher.up_to_date():
                self._close()  # Searcher.refresh() can keep serving deleted documents: reopen
            if self._searcher is None:
                self._searcher = self._open().searcher(weighting=BM25F())
                self._posting_cache = _PostingCache(self._searcher, self._posting_cache)
            return self._searcher, self._posting_cache

    def search(
        self, text: str, *, topic: str = "", difficulty: str = "", limit: int = 10, offset: int = 0
    ) -> tuple[list[Hit], int, list[str]]:
        """Return (hits of the page, total matches, the query's terms)."""
        words, extra = query_terms(text)
        if not words:
            return [], 0, []
        searcher, cache = self._current()
        scores, matched = self._scores(searcher, cache, weighted_query(text, words, extra))
        if topic or difficulty:
            filters = [wq.Term("set", topic)] if topic else []
            if difficulty:
                filters.append(wq.Term("difficulty", difficulty))
            allowed = np.zeros(len(matched), dtype=bool)
            with cache.reading:
                allowed[np.fromiter(searcher.docs_for_query(wq.And(filters)), dtype=np.int64)] = True
            matched &= allowed
        found = np.flatnonzero(matched)
        best = _best(found, scores[found], max(offset + limit, RERANK_DEPTH))
        with cache.reading:
            results = [_Found(searcher.stored_fields(doc), score) for doc, score in best]
        hits = _rerank(text, results[:RERANK_DEPTH]) + [Hit(r["id"], r.score) for r in results[RERANK_DEPTH:]]
        return hits[offset : offset + limit], len(found), words + extra

    def _scores(self, searcher, cache: _PostingCache, weighted: list[tuple[str, str, float]]):
        """BM25F score of every document (indexed by document number) for the (field, term,
        boost)s, and which documents match any of them: a term at a time, in numpy (whoosh's
        union of matchers costs tens of Python calls per posting, docs/performance.md). Each
        document's terms are added in the order of `weighted`, in float64."""
        size = searcher.doc_count_all()
        scores, matched = np.zeros(size), np.zeros(size, dtype=bool)
        for field, text, boost in weighted:
            docs, contributions, idf = self._postings(searcher, cache, field, text)
            if len(docs):
                np.add.at(scores, docs, contributions * (idf * boost))
                matched[docs] = True
        return scores, matched

    def _postings(self, searcher, cache: _PostingCache, field: str, text: str):
        """A term's documents (numbers across segments, deleted ones left out), each one's
        tf·(k1+1)/(tf+norm), and the term's idf; kept for the next searches."""
        key = (field, text)
        kept = cache.get(key)
        if kept is not None:
            return kept
        weighting = searcher.weighting
        k1, b = weighting.K1, weighting._field_B.get(field, weighting.B)
        all_docs, all_contributions = [], []
        with cache.reading:  # whoosh's readers share one file position per segment
            for leaf, offset in searcher.leaf_searchers():
                reader = leaf.reader()
                if (field, text) not in reader:
                    continue
                norms = cache.norms(reader, field, k1, b, searcher.avg_field_length(field) or 1)
                deleted = cache.deleted(reader)
                docs, tf = _read_postings(reader.postings(field, text))
                if deleted is not None:
                    keep = ~deleted[docs]
                    docs, tf = docs[keep], tf[keep]
                all_docs.append(docs + offset)
                all_contributions.append(tf * (k1 + 1) / (tf + norms[docs]))
            idf = searcher.idf(field, text) if all_docs else 0.0
        kept = (
            np.concatenate(all_docs) if all_docs else np.zeros(0, dtype=np.int64),
            np.concatenate(all_contributions) if all_contributions else np.zeros(0),
            idf,
        )
        cache.add(key, kept)
        return kept

    def forget_postings(self) -> None:
        """Drop the postings kept between searches (bench/foundation.py times a search that reads
        them all)."""
        self._current()[1].clear_terms()

    def suggestion(self, text: str) -> str:
        """The query with each English word the index does not know replaced by the closest one
        it knows ("transfomer" -> "transformer"); "" when there is nothing to correct."""
        searcher, cache = self._current()
        reader = searcher.reader()
        corrected = text
        for word in dict.fromkeys(terms(text)):
            if not re.fullmatch(r"[a-z]{4,}", word):
                continue
            with cache.reading:
                if any(reader.doc_frequency(f, word) for f in FIELD_BOOSTS):
                    continue
                known = self._known_words(searcher)
            close = difflib.get_close_matches(word, known, n=1, cutoff=0.8)
            if close:
                corrected = re.sub(re.escape(word), close[0], corrected, flags=re.I)
        return corrected if corrected != text else ""

    def _known_words(self, searcher) -> list[str]:
        if self._vocabulary is None or self._vocabulary[0] is not searcher:
            reader = searcher.reader()
            found = {
                word.decode()
                for field in FIELD_BOOSTS
                for word, info in reader.iter_field(field)
                if info.doc_frequency() >= 2 and re.fullmatch(rb"[a-z]{4,}", word)
            }
            self._vocabulary = (searcher, sorted(found))
        return self._vocabulary[1]


class _Found(dict):
    """A hit's stored fields and its score (what _rerank reads of a whoosh hit)."""

    def __init__(self, fields: dict, score: float):
        super().__init__(fields)
        self.score = score


class _PostingCache:
    """What scoring reads of one searcher's index, made with the searcher and dropped with it:
    each term's scored postings (the oldest dropped first beyond POSTINGS_KEPT, 16 bytes each)
    and each segment's deleted documents; the documents' field lengths are carried over from
    the previous searcher for the segments the two share (a publish adds a small segment).
    `reading` serialises reads of the searcher's files: whoosh's readers keep one file position
    per segment, and two threads reading postings at once read each other's blocks."""

    def __init__(self, searcher, previous: _PostingCache | None):
        self.reading = threading.Lock()
        self._terms: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray, float]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._deleted: dict[int, np.ndarray | None] = {}
        self._lengths: dict[tuple[object, str], np.ndarray] = {}
        self._norms: dict[tuple[object, str], np.ndarray] = {}
        if previous is not None and searcher is not None:
            shared = {_segment_id(leaf.reader()) for leaf, _ in searcher.leaf_searchers()}
            self._lengths = {key: v for key, v in previous._lengths.items() if key[0] in shared}

    def get(self, key: tuple[str, str]):
        with self._lock:
            kept = self._terms.get(key)
            if kept is not None:
                self._terms.move_to_end(key)
            return kept

    def add(self, key: tuple[str, str], kept) -> None:
        with self._lock:
            if key in self._terms:
                return
            self._terms[key] = kept
            self._size += len(kept[0])
            while self._size > POSTINGS_KEPT and len(self._terms) > 1:
                _, (docs, _contributions, _idf) = self._terms.popitem(last=False)
                self._size -= len(docs)

    def clear_terms(self) -> None:
        with self._lock:
            self._terms.clear()
            self._size = 0

    def deleted(self, reader) -> np.ndarray | None:
        """Which documents of a segment are deleted (an update deletes the old version and adds
        a new one), None when none is. Call holding `reading`."""
        if id(reader) not in self._deleted:
            deleted = None
            if reader.has_deletions():
                deleted = np.zeros(reader.doc_count_all(), dtype=bool)
                deleted[np.fromiter(_deleted(reader), dtype=np.int64)] = True
            self._deleted[id(reader)] = deleted
        return self._deleted[id(reader)]

    def norms(self, reader, field: str, k1: float, b: float, average: float) -> np.ndarray:
        """BM25's k1·((1-b) + b·length/average) of every document of a segment in a field.
        Call holding `reading`."""
        key = (_segment_id(reader), field)
        if key not in self._norms:
            if key not in self._lengths:  # 1 for a document without the field, as whoosh reads it
                self._lengths[key] = np.fromiter(
                    (reader.doc_field_length(doc, field, 1) or 1 for doc in range(reader.doc_count_all())),
                    dtype=np.float64,
                )
            self._norms[key] = k1 * ((1 - b) + b * self._lengths[key] / average)
        return self._norms[key]


def _segment_id(reader) -> object:
    """A segment's own id (its documents and their lengths never change), or the reader's."""
    segment = getattr(reader, "segment", None)
    return segment().segment_id() if callable(segment) else id(reader)


def _best(docs: np.ndarray, scores: np.ndarray, count: int) -> list[tuple[int, float]]:
    """The `count` best (document, score), best first; equal scores in index order, as whoosh's
    collector sorts them."""
    if len(docs) > count:
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        keep = scores >= threshold  # every document tied with the last one, sorted below
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))[:count]
    return [(int(docs[i]), float(scores[i])) for i in order]


def _deleted(reader) -> frozenset[int]:
    """The segment's deleted documents (an update deletes the old version and adds a new one)."""
    found = getattr(reader, "deleted_docs_set", None)  # whoosh's segment reader caches it
    if found is not None:
        return found
    return frozenset(doc for doc in range(reader.doc_count_all()) if reader.is_deleted(doc))


def _read_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """A posting list's document numbers and weights as arrays. From whoosh's own codec, block
    by block without decoding a posting in Python: its ids are stored as deltas from the
    block's start, summed here in numpy. From any other matcher, one posting at a time."""
    if isinstance(matcher, FilterMatcher):  # deletions: the caller skips them
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        deltas, weights, lengths = [], [], []
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            ids, found = matcher._data[:2]
            deltas.extend(ids)
            # all 1.0 is stored as None, all equal as one number (W3PostingsWriter._mini_weights)
            if found is None or isinstance(found, float):
                found = [1.0 if found is None else found] * len(ids)
            weights.extend(found)
            lengths.append(len(ids))
            matcher._next_block()
        summed = np.cumsum(np.array(deltas, dtype=np.int64))
        if len(lengths) > 1:  # each block starts again from 0: take off the blocks before it
            ends = np.cumsum(lengths)[:-1] - 1
            summed -= np.repeat(np.concatenate(([0], summed[ends])), lengths)
        return summed, np.array(weights, dtype=np.float64)
    ids, found = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        found.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(found, dtype=np.float64)


def _rerank(text: str, results) -> list[Hit]:
    """Put titles that say the query first: a near-exact title before everything, and more of
    the query in the title scores more."""
    scored, wanted = [], grams(text)
    for r in results:
        overlap = title_overlap(wanted, r.get("title_text", ""))
        scored.append((overlap >= NEAR_EXACT, r.score * (1 + overlap**2), r["id"]))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [Hit(doc_id, score) for _, score, doc_id in scored]


def most_relevant(hits: list[Hit], total: int, in_scope: int) -> tuple[list[Hit], bool]:
    """The hits worth listing, and whether the query was too broad to list them all: when it
    matches (nearly) every question, the count says nothing and the tail is noise."""
    if total <= BROAD_LIMIT or total < BROAD_SHARE * in_scope:
        return hits, False
    best = hits[0].score if hits else 0.0
    return [h for h in hits[:BROAD_LIMIT] if h.score >= RELEVANCE_FLOOR * best], True


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
    """Rebuild this node's index from the database."""
    return default_index().rebuild(indexable_questions(), mark=index_sync.current())


def catch_up(*, force: bool = False, rebuild: bool = True, background: bool = False) -> str:
    """Apply the changes other processes and nodes published (bank/index_sync.py); a database
    that cannot answer leaves the index as it is."""
    try:
        return index_sync.catch_up(default_index(), force=force, rebuild=rebuild, background=background)
    except Exception:  # noqa: BLE001 — an index a few seconds behind beats an error page
        logger.exception("search index not caught up")
        return "failed"


def search(text: str, **kwargs) -> tuple[list[Hit], int, list[str]]:
    """Search, after applying the changes published elsewhere. An outdated index is rebuilt in
    the background while it answers; a missing or unreadable one is rebuilt first."""
    catch_up(background=True)
    index = default_index()
    for attempt in range(2):
        try:
            return index.search(text, **kwargs)
        except Exception:  # noqa: BLE001 — any broken index is rebuilt, never shown as a 500
            # the first time, reopen: a rebuild may have swapped the folder under this search
            logger.exception("search index at %s unusable; %s", index.path, "rebuilding" if attempt else "reopening")
            with index._lock:
                index._close()
    rebuild_index()
    return index.search(text, **kwargs)


def suggestion(text: str) -> str:
    """A corrected spelling of the query, or "" (also when the index cannot say)."""
    try:
        return default_index().suggestion(text)
    except Exception:  # noqa: BLE001 — a suggestion is a nicety; search() rebuilds broken indexes
        logger.exception("no spelling suggestion for %r", text)
        return ""


def warm_up() -> None:
    """Load jieba's dictionary now (about a second): call before forking web workers."""
    jieba.initialize()
