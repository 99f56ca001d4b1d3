"""How search reads text: jieba words with stopwords dropped, English plurals reduced, hyphenated
names kept whole, and a character-level measure of how much of a query a title says."""

from __future__ import annotations

import functools
import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

STOPWORDS = frozenset(
    """的 了 是 和 与 及 或 在 对 把 被 有 吗 呢 吧 啊 么 要 会 能 该 就 都 也 还 而 之 其 这 那 哪
    一个 一种 什么 为什么 怎么 怎样 如何 哪些 哪个 多少 是否 可以 如果 那么 以及 还是 有哪些 区别
    请 介绍 一下 说说 讲讲 谈谈 简述 解释 选 为啥 咋
    a an the of to in on for and or is are be what why how which with vs""".split()
)
# A part of a hyphenated name ("zero" in "R1-Zero") counts this much of the word on its own.
COMPOUND_PART_BOOST = 0.5
_SPLIT_RE = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")
_WORD_RE = re.compile(r"\w", re.UNICODE)
_LATIN_RE = re.compile(r"[a-z0-9][a-z0-9.]*")
_PLURAL_RE = re.compile(r"[a-z]{3,}s")
_NOT_PLURAL = ("ss", "us", "is", "as")
# "三个阶段" also looks for "3" (a title that says ZeRO-1/2/3)
_COUNTED_RE = re.compile(r"([一二两三四五六七八九])(?=个|种|类|步|层|次|阶段|部分|大|条|点|件)")
_NUMERALS = dict(zip("一二两三四五六七八九", "1223456789", strict=True))


def normalize(text: str) -> str:
    """Unify spellings people mix: d_k ~ dk, √ ~ 根号, full-width ~ half-width."""
    return _SPLIT_RE.sub("", text).replace("√", " 根号 ").casefold()


def singular(word: str) -> str:
    """LLMs -> llm, queries -> query, losses -> loss; other words as they are."""
    if not _PLURAL_RE.fullmatch(word) or word.endswith(_NOT_PLURAL):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "tches")):
        return word[:-2]
    return word[:-1]


def singular_words(text: str) -> str:
    """The text with its English plurals made singular ("LLMs 的幻觉" -> "llm 的幻觉")."""

    def one(match: re.Match) -> str:
        word = match.group(0)
        base = singular(word.casefold())
        return word if base == word.casefold() else base

    return re.sub(r"[A-Za-z]+", one, text)


def _starts_name(word: str) -> bool:
    return bool(word) and word[0].isalpha() and word.isascii()


def _is_name(word: str) -> bool:
    return bool(_LATIN_RE.fullmatch(word)) and any(c.isalpha() for c in word)


def weighted_terms(text: str, for_index: bool = False) -> list[tuple[str, float]]:
    """The analysed terms of a text with their weights. A hyphenated name whose parts are words
    ("R1-Zero", "cross-encoder", not "ZeRO-2") gives the joined name at full weight and its parts
    at COMPOUND_PART_BOOST, so "zero" finds ZeRO before R1-Zero."""
    cut = jieba.cut_for_search if for_index else jieba.cut
    words = [w.strip() for w in cut(normalize(text))]
    out: list[tuple[str, float]] = []
    i = 0
    while i < len(words):
        j = i
        while j + 2 < len(words) and words[j + 1] == "-" and _is_name(words[j]) and _starts_name(words[j + 2]):
            j += 2
        if j > i:
            parts = words[i : j + 1 : 2]
            out.extend((singular(p), COMPOUND_PART_BOOST) for p in parts if p not in STOPWORDS)
            out.append((singular("".join(parts)), 1.0))
        elif words[i] and _WORD_RE.search(words[i]) and words[i] not in STOPWORDS:
            out.append((singular(words[i]), 1.0))
        i = j + 1
    return out


def terms(text: str, for_index: bool = False) -> list[str]:
    """The analysed terms of a text: jieba words, lower-cased, without stopwords and punctuation."""
    return [word for word, _ in weighted_terms(text, for_index)]


def counted_numbers(text: str) -> list[str]:
    """The digits a query's Chinese counts stand for ("三个阶段" -> ["3"])."""
    return [_NUMERALS[m.group(1)] for m in _COUNTED_RE.finditer(text)]


# -- how much of a query a title says ------------------------------------------------------
_COMPOUND_RE = re.compile(r"[a-z0-9.]*[a-z][a-z0-9.]*(?:-[a-z][a-z0-9.]*)+")
_UNIT_RE = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*|[\u3400-\u9fff]")


def units(text: str) -> list[str]:
    """A text as Chinese characters and whole Latin words (hyphenated names joined)."""
    joined = _COMPOUND_RE.sub(lambda m: m.group(0).replace("-", ""), normalize(text))
    return [singular(u) for u in _UNIT_RE.findall(joined)]


# Characters of question phrasing (什么、怎么、是否…): a title sharing only these says little.
_FUNCTION_CHARS = frozenset("".join(w for w in STOPWORDS if not w.isascii()))
_FUNCTION_WEIGHT = 0.25


def grams(text: str) -> dict[str, float]:
    """The units of a text and its adjacent pairs of units, each with its weight."""
    found = units(text)
    pairs = [a + b for a, b in zip(found, found[1:], strict=False)]
    return {g: _FUNCTION_WEIGHT if set(g) <= _FUNCTION_CHARS else 1.0 for g in [*found, *pairs]}


@functools.lru_cache(maxsize=2048)
def _title_grams(title: str) -> frozenset[str]:
    """A title's grams, kept: search compares its best 20 titles with every query."""
    return frozenset(grams(title))


def title_overlap(query: str | dict[str, float], title: str) -> float:
    """The weighted share of the query's characters, words and adjacent pairs (or of its
    precomputed grams) that the title contains: 1.0 when the title says the query word for word."""
    wanted = grams(query) if isinstance(query, str) else query
    total = sum(wanted.values())
    have = _title_grams(title)
    return sum(w for g, w in wanted.items() if g in have) / total if total else 0.0
