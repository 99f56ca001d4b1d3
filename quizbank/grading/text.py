"""Reading an answer the way the offline grader needs it (pure, no Django).

A text is cut into clauses (at 。，；！？ and line breaks); each clause becomes *units*: glossary
concepts (`§softmax` for softmax / 归一化指数 / soft max), jieba words (English ones stemmed),
and Chinese character bigrams for the places where jieba splits a domain term one way here and
another way there. Each unit knows whether it is negated in its clause (不 / 没有 / 无需 / not /
never … scoping over the next few words), and each clause lists its numbers with their units
(`16 字节`, `112 GB`, `4 倍`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
import jieba.posseg

from quizbank.bank.glossary import Glossary, fold_text

# -- vocabularies --------------------------------------------------------------------------
STOPWORDS = frozenset(
    """的 了 是 和 与 及 或 在 对 把 被 有 吗 呢 吧 啊 么 要 会 能 该 就 都 也 还 而 之 其 这 那 哪 个 种
    一个 一种 一些 这个 那个 这些 那些 这样 那样 什么 为什么 怎么 怎样 如何 哪些 哪个 多少 是否 可以 如果
    那么 以及 还是 有哪些 区别 请 介绍 一下 说说 讲讲 谈谈 简述 解释 选 为啥 咋 我 你 他 它 我们 你们 他们
    它们 就是 其实 然后 比如 例如 因为 所以 但是 但 而且 并且 或者 以 为 于 由 从 到 等 等等 即 则 又 再 只
    才 已 已经 将 着 过 得 地 来 去 上 下 中 里 时 时候 后 之后 前 之前 可能 应该 需要 进行 通过 使用 用 用来
    一般 通常 主要 比较 非常 很 更 最 太 较 每 各 某 本 该 此 嗯 呃 吧 哦 说 讲 看 觉得 认为 知道 为了 给 并 向 跟
    用于 其中 所有 一样
    a an the of to in on for and or is are was were be been being it its this that these those
    with by as at from into than then so such which who what why how when where there their they
    we you i he she them our your his her can could will would should may might must do does did
    has have had also just very more most much many some any each other about over under via vs""".split()
)
NEGATIONS = frozenset(
    """不 没 没有 无 未 非 别 勿 莫 不是 并非 并不 不会 不能 不可 不可以 不用 不必 无需 无须 不需 不需要
    毫无 从不 从未 绝不 决不 不再 不要 无法 不得 并未 没法 不该 不应 不应该 而非 而不是 不存在 不属于 难以
    未必 不一定 去掉 去除 移除 删掉 删除 省掉 省去 拿掉 丢掉 免去 免掉
    并不需要 并不会 并不是 并没有 并不能 并不存在 没必要 不必要 毫无必要 用不上 用不着 没用 从来不
    从来没有 不太 无关 没什么 并没
    not no never without cannot neither nor none nothing doesn isn aren wasn weren don didn won wouldn
    shouldn couldn hasn haven""".split()
)
# negation-looking words that negate nothing (不同 = different, 不断 = continuously …)
NOT_NEGATIONS = frozenset(
    """不同 不断 不仅 不少 不过 不管 不论 不久 不如 不止 不但 不光 不然 无论 非常 未来 无数 无限 不一 非得
    不时 不妨 无穷 没准 不足""".split()
)
# words that end a negation's reach: "不缩放的话 | 方差会变大", "不是 A 而是 | B"
SCOPE_BREAKS = frozenset(
    """的话 如果 若 要是 假如 但 但是 而 而是 所以 因此 因而 于是 就 才 只是 而且 并且 同时 然而 却 从而 进而
    以致 以便 时 时候 之后 以后 之前 以前 because but so however instead rather while whereas which that
    therefore thus hence when""".split()
)
# verbs a negation reaches through without using up its reach: 不会导致|梯度消失
LIGHT_VERBS = frozenset(
    "导致 使 使得 让 造成 引起 带来 出现 发生 存在 需要 影响 产生 引入 有 会 能 cause causes lead leads".split()
)
# a negation after the verb: 区分不了, 做不到
NEGATED_COMPLEMENTS = frozenset("不了 不到 不出 不动 不起 不住 不下 不来 不成 不好 不清".split())
CONDITIONAL_RE = re.compile(r"如果|假如|假设|要是|若是|若不|一旦|的话|否则|\b(?:if|unless|otherwise|without)\b", re.I)
CONJUNCTIONS = r"以及|或者|和|与|及|跟|\band\b|\bor\b"
NEGATION_SCOPE = 3  # content words a negation reaches
# part-of-speech tags (jieba's dictionary) that make a clause a statement rather than a term
_SUFFIXES = ("ization", "ations", "ation", "ings", "ing", "ies", "ed", "es", "ly", "s")
CLAUSE_RE = re.compile(r"[。；;！!？?\n，,：:→⇒]+|=>|->|(?<![0-9A-Za-z])\.(?![0-9])|(?<![0-9])\.(?=\s)|\.$")
_LIST_MARK = re.compile(r"^\s*(?:[-*•·]|\(?\d{1,2}[.)、）]|[（(]\d{1,2}[)）]|[①-⑩])\s*")
_CJK = re.compile(r"[\u3400-\u9fff]")
WORD_RE = re.compile(r"[^\W_]", re.UNICODE)
NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>%|％|倍|x\b|×|字节|bytes?\b|gib\b|gb\b|mib\b|mb\b|kb\b|tb\b|"
    r"b\b|bit\b|bits\b|位|比特|k\b|千|万|亿|m\b|层|头|维|步|秒|ms\b|s\b|tokens?\b|token|轮|卡)?",
    re.IGNORECASE,
)
UNITS = {
    "％": "%",
    "x": "倍",
    "×": "倍",
    "bytes": "字节",
    "byte": "字节",
    "bit": "位",
    "bits": "位",
    "比特": "位",
    "token": "token",
    "tokens": "token",
}


def stem(word: str) -> str:
    """A crude English stem (enough to match 'quantized' with 'quantization')."""
    if not word.isascii() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass
class Unit:
    key: str  # "§name" for a glossary concept, a word, or "²xy" for a character bigram
    start: int
    end: int
    negated: bool = False
    kind: str = "word"  # concept | word | bigram
    predicate: bool = False  # a verb or adjective: what a negation usually denies
    name: bool = False  # a proper name: top-k, E4M3, W4A16, Self-RAG, BPE, PTQ


def negation_map(units) -> dict[str, bool]:
    """Per key, whether every mention of it is negated (any plain mention wins)."""
    out: dict[str, bool] = {}
    for u in units:
        out[u.key] = out.get(u.key, True) and u.negated
    return out


@dataclass
class Clause:
    start: int
    end: int
    text: str
    units: list[Unit] = field(default_factory=list)
    numbers: list[tuple[float, str]] = field(default_factory=list)
    conditional: bool = False  # "如果不缩放……": a negation here is not a denial

    @property
    def keys(self) -> set[str]:
        return {u.key for u in self.units}

    def negated(self, key: str) -> bool | None:
        """Whether `key` is negated here (None: not in this clause; any plain mention wins)."""
        found = [u.negated for u in self.units if u.key == key]
        return None if not found else all(found)


@dataclass
class Analysis:
    text: str
    clauses: list[Clause]

    @property
    def keys(self) -> set[str]:
        return {u.key for c in self.clauses for u in c.units}

    def units(self) -> list[Unit]:
        return [u for c in self.clauses for u in c.units]


# -- clauses -------------------------------------------------------------------------------
def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, list markers and spaces trimmed; empty clauses dropped."""
    spans, last = [], 0
    for m in CLAUSE_RE.finditer(text):
        spans.append((last, m.start()))
        last = m.end()
    spans.append((last, len(text)))
    out = []
    for start, end in spans:
        piece = text[start:end]
        marker = _LIST_MARK.match(piece)
        if marker:
            start += marker.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start and WORD_RE.search(text[start:end]):
            out.append((start, end))
    return out


def sentence_of(text: str, start: int, end: int, limit: int = 120) -> str:
    """The whole clause around [start, end) — what evidence quotes, never cut mid-word."""
    for s, e in clause_spans(text):
        if s <= start < e or s < end <= e:
            quote = text[s:e]
            return quote if len(quote) <= limit else quote[: limit - 1] + "…"
    return text[start:end]


# -- units ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _tags() -> dict:
    jieba.initialize()
    return jieba.posseg.dt.word_tag_tab


def tag(word: str) -> str:
    return _tags().get(word) or ""


IDENTIFIER_RE = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")


def tokens(text: str) -> list[tuple[str, int, int]]:
    """jieba words for Chinese; a Latin identifier stays one word (top-k, d_k, W4A16, ZeRO-3)."""
    out, last = [], 0
    for m in IDENTIFIER_RE.finditer(text):
        out.extend(
            (w.casefold(), last + s, last + e) for w, s, e in jieba.tokenize(text[last : m.start()]) if w.strip()
        )
        word = m.group(0).casefold()
        out.append((re.sub(r"[-_]", "", word) if re.search(r"[a-z]", word) else word, m.start(), m.end()))
        last = m.end()
    out.extend((w.casefold(), last + s, last + e) for w, s, e in jieba.tokenize(text[last:]) if w.strip())
    return out


def analyse_clause(text: str, start: int, end: int, glossary: Glossary | None, bigrams: bool = True) -> Clause:
    piece = text[start:end]
    clause = Clause(start, end, piece)
    sequence: list[tuple[int, str, Unit | None]] = []  # (position, raw token, unit or None)
    masked = list(piece)
    for m in glossary.find(piece) if glossary else []:
        name = glossary.entries[m.entry].name
        unit = Unit("§" + name, start + m.start, start + m.end, kind="concept", predicate=is_predicate_word(name))
        unit.name = is_name(name)
        sequence.append((m.start, "", unit))
        masked[m.start : m.end] = " " * (m.end - m.start)
    masked_text = "".join(masked)
    for word, s, e in tokens(masked_text):
        if not WORD_RE.search(word):
            sequence.append((s, word, None))
            continue
        if word in STOPWORDS or word in NEGATIONS or word in SCOPE_BREAKS or word in NEGATED_COMPLEMENTS:
            sequence.append((s, word, None))
            continue
        if len(word) >= 3 and word[0] in "不无没非未" and word not in NOT_NEGATIONS and word[:2] not in NOT_NEGATIONS:
            # 不稳定 = not 稳定, 无条件 = not 条件: the word negates itself and nothing after it
            sequence.append((s + 1, "", Unit(word[1:], start + s + 1, start + e, negated=True, predicate=True)))
            continue
        key = stem(word) if word.isascii() else word
        unit = Unit(key, start + s, start + e, predicate=is_predicate_word(word), name=is_name(masked_text[s:e]))
        sequence.append((s, word, unit))
    sequence.sort(key=lambda item: item[0])
    _mark_negations(sequence, piece)
    clause.units = [u for _, _, u in sequence if u is not None]
    if bigrams:
        clause.units.extend(_bigrams(piece, start))
    clause.numbers = numbers(piece)
    clause.conditional = bool(CONDITIONAL_RE.search(piece))
    return clause


def _mark_negations(sequence, piece: str) -> None:
    """Mark the units a negation reaches: the next NEGATION_SCOPE content words, up to a clause
    break. "没有外部反馈的自我纠错" negates nothing (a modifier, 的), nor does 能不能 (a question);
    区分不了 negates 区分."""
    reach, reached, previous, existential = 0, [], None, False
    for position, raw, unit in sequence:
        if unit is None:
            if raw in NEGATED_COMPLEMENTS and previous is not None:
                previous.negated = True  # 起不到|作用, 解决不了|问题: the object is denied too
                reach, reached = NEGATION_SCOPE, [previous]
            elif raw in NEGATIONS and raw not in NOT_NEGATIONS and not _a_not_a(piece, position, raw):
                reach = WIDE_SCOPE if raw in WIDE_NEGATIONS else NEGATION_SCOPE
                reached, existential = [], raw in EXISTENTIAL
            elif raw in MODALS and reach and not reached:
                reach = WIDE_SCOPE  # 没|必要, 不|需要: a denied need covers the whole rest
            elif re.fullmatch(r"和|与|及|以及|、|/|and", raw or "", re.I):
                if previous is not None and previous.negated:
                    reach = max(reach, 1)  # 不渲染外部图片、链接: the negation covers both
                continue
            elif raw == "的" and reached and existential:
                if _modifies(sequence, position):  # 没有外部反馈的|自我纠错: a modifier, not a denial
                    for u in reached:
                        u.negated = False
                reach, reached = 0, []
            elif raw in SCOPE_BREAKS or not WORD_RE.search(raw or "x"):
                reach, reached = 0, []
            continue
        previous = unit
        if unit.key[:1] == "时" and len(unit.key) <= 2:
            reach = 0  # 不可靠|时用网络搜索: jieba glues the 时 that ends a condition to the next word
        if reach and not reached and unit.key in MODALS:
            reach = WIDE_SCOPE  # 没|必要, 不|需要: a denied need covers the whole rest
            continue
        if reach:
            unit.negated = True
            reached.append(unit)
            if unit.key not in LIGHT_VERBS and (len(unit.key) >= 2 or unit.kind == "concept"):
                reach -= 1
            if re.fullmatch(r"[\d.]+", unit.key):
                reach = 0  # 不为 0, 不超过 8: a negated comparison ends at its number
            if len(reached) == 1 and tag(unit.key) in ("a", "ad", "an"):
                reach = 0  # 不可靠|时用网络搜索: an adjective is all a 不 denies


# negations that deny a whole proposition, up to the next clause break: 不是 A 等价于 B
WIDE_NEGATIONS = frozenset(
    "不是 并不是 并非 而不是 而非 不会 并不会 不能 并不能 并不需要 不需要 无需 无须 无法 难以 从不 not never".split()
)
WIDE_SCOPE = 12
MODALS = frozenset("必要 需要 用 必".split())
EXISTENTIAL = frozenset("没有 没 无 毫无 并没有 从来没有 不存在 without no".split())
DENIED_HEADS = frozenset(
    "问题 情况 风险 现象 必要 可能 影响 效果 作用 隐患 麻烦 毛病 缺点 说法 开销 代价 限制 要求".split()
)


def _modifies(sequence, position: int) -> bool:
    """Whether a 的 after a negated phrase makes it a modifier of the next noun (没有外部反馈的
    自我纠错), rather than a denial (没有梯度消失的问题, 并不是按列切的)."""
    after = [raw or (u.key if u else "") for p, raw, u in sequence if p > position]
    after = [w for w in after if w.strip() and WORD_RE.search(w)]
    return bool(after) and after[0] not in DENIED_HEADS


def _a_not_a(piece: str, position: int, cue: str) -> bool:
    """能不能, 是不是, 有没有: a question, not a denial."""
    before = piece[position - 1 : position]
    after = piece[position + 1 : position + 2] if cue[0] in "不没" else ""
    return bool(_CJK.match(before)) and before == after


def is_name(surface: str) -> bool:
    """A proper name as written: a Latin identifier with a digit or an inner - or _ (top-k, E4M3,
    Self-RAG, ZeRO-3), or with two capitals (BPE, PTQ, LoRA, QueryFusionRetriever)."""
    surface = surface.strip()
    if not surface.isascii() or not IDENTIFIER_RE.fullmatch(surface) or not re.search(r"[A-Za-z]", surface):
        return False
    return bool(re.search(r"\d|[A-Za-z][-_][A-Za-z0-9]", surface)) or len(re.findall(r"[A-Z]", surface)) >= 2


def _bigrams(masked: str, offset: int) -> list[Unit]:
    out = []
    for run in re.finditer(r"[\u3400-\u9fff]{2,}", masked):
        chars = run.group(0)
        for i in range(len(chars) - 1):
            pair = chars[i : i + 2]
            if pair[0] in "的了是在和与" or pair[1] in "的了是在和与":
                continue
            out.append(Unit("²" + pair, offset + run.start() + i, offset + run.start() + i + 2, kind="bigram"))
    return out


def numbers(text: str) -> list[tuple[float, str]]:
    """Numbers that carry a unit (or a percent): (value, normalised unit)."""
    out = []
    for m in NUMBER_RE.finditer(text):
        unit = (m.group("unit") or "").casefold()
        if not unit:
            continue
        value = float(m.group("value"))
        out.append((value, UNITS.get(unit, unit)))
    return out


def complete_terms(text: str, glossary: Glossary | None) -> bool:
    """Whether every word of a short phrase survives analysis (no stopword or negation dropped):
    only then may it match by its units rather than word for word."""
    masked = list(text)
    for m in glossary.find(text) if glossary else []:
        masked[m.start : m.end] = " " * (m.end - m.start)
    for word, _, _ in tokens("".join(masked)):
        if WORD_RE.search(word) and (word in STOPWORDS or word in NEGATIONS or word in SCOPE_BREAKS):
            return False
    return True


def analyse(text: str, glossary: Glossary | None, bigrams: bool = True) -> Analysis:
    return Analysis(text, [analyse_clause(text, s, e, glossary, bigrams) for s, e in clause_spans(text)])


def is_predicate_word(word: str) -> bool:
    """A verb or adjective by jieba's dictionary (增大, 饱和, 稳定), not a verbal noun (训练)."""
    t = tag(word.casefold())
    return bool(t) and t[0] in "va" and t not in ("vn", "an")


# -- helpers for scoring -------------------------------------------------------------------
def char_ngrams(text: str, n: int = 5) -> set[str]:
    squeezed = re.sub(r"[\W_]+", "", fold_text(text))
    return {squeezed[i : i + n] for i in range(len(squeezed) - n + 1)}


def idf_weights(documents: list[set[str]]) -> dict[str, float]:
    """Inverse document frequency, scaled to 0–1 (a unit in every document weighs little; a unit
    seen in no document is absent and weighs 1)."""
    n = len(documents)
    if not n:
        return {}
    df: dict[str, int] = {}
    for doc in documents:
        for key in doc:
            df[key] = df.get(key, 0) + 1
    top = math.log(n + 1)
    return {k: max(0.05, math.log((n + 1) / (v + 0.5)) / top) for k, v in df.items()}


def surface(text: str) -> Counter:
    """Word-for-word units: Chinese characters and English word stems (stopwords dropped)."""
    folded = fold_text(text)
    units = Counter(_CJK.findall(folded))
    units.update(stem(w) for w in re.findall(r"[a-z][a-z0-9']*", folded) if w not in STOPWORDS)
    return units


def recall(reference: Counter, text: str) -> float:
    """The share of the reference's surface units (with multiplicity) that the text has."""
    total = sum(reference.values())
    if not total:
        return 0.0
    mine = surface(text)
    return sum(min(n, mine[u]) for u, n in reference.items()) / total
