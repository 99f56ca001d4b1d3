"""Word-level diffs of Markdown prose, Chinese included.

Tokens: jieba words for Chinese, whole Latin words and numbers (`one-hot`, `3.14`), every
whitespace run and punctuation mark, and as single tokens a formula (`$…$`, `$$…$$`, `\\(…\\)`),
inline code, a URL and each line of a fenced code block, so that a change never cuts one in
half. Pure module.
"""

from __future__ import annotations

import logging
import re
from difflib import SequenceMatcher
from typing import NamedTuple

import jieba

from quizbank.bank.markup import FENCE_RE

jieba.setLogLevel(logging.WARNING)

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
INLINE_RE = re.compile(
    r"\$\$.+?\$\$"  # display math
    r"|(`+)[^\n]+?\1"  # inline code
    r"|\$[^\s$](?:[^$\n]*[^\s$])?\$"  # inline math
    r"|\\\(.+?\\\)|\\\[.+?\\\]"
    r"|https?://[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+",
    re.S,
)
PLAIN_RE = re.compile(
    rf"\s+|[{HAN}]+|[^\W{HAN}]+(?:['’.\-][^\W{HAN}]+)*|(.)\1*",
    re.S,
)


class Segment(NamedTuple):
    op: str  # equal | insert | delete
    text: str


def tokenize(text: str) -> list[str]:
    """Words for a diff; `"".join(tokenize(t)) == t`. A code block's lines, formulas, inline
    code and URLs stay whole."""
    tokens: list[str] = []
    prose: list[str] = []
    fence = ""
    for line in text.splitlines(keepends=True):
        opens = FENCE_RE.match(line)
        if fence or opens:
            if prose:
                tokens += _inline_tokens("".join(prose))
                prose = []
            tokens.append(line)
            if opens and (not fence or opens.group(1).startswith(fence)):
                fence = "" if fence else opens.group(1)
        else:
            prose.append(line)
    if prose:
        tokens += _inline_tokens("".join(prose))
    return tokens


def _inline_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    start = 0
    for match in INLINE_RE.finditer(text):
        tokens += _plain_tokens(text[start : match.start()])
        tokens.append(match.group(0))
        start = match.end()
    return tokens + _plain_tokens(text[start:])


def _plain_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for match in PLAIN_RE.finditer(text):
        run = match.group(0)
        if re.fullmatch(f"[{HAN}]+", run) and len(run) > 1:
            # no HMM: its guesses at unknown words depend on the neighbours (维度越大点积越大 is cut
            # 越大点|积越|大), so an edit would re-cut unchanged text; unknown words go by character
            words = list(jieba.cut(run, HMM=False))
            tokens += words if "".join(words) == run else list(run)
        else:
            tokens.append(run)
    return tokens


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-level diff: joining the equal and delete segments gives `old`, equal and insert `new`."""
    return _diff_tokens(tokenize(old), tokenize(new))


def line_diff(old: str, new: str) -> list[Segment]:
    return _diff_tokens(old.splitlines(keepends=True), new.splitlines(keepends=True), absorb=False)


def _diff_tokens(a: list[str], b: list[str], absorb: bool = True) -> list[Segment]:
    raw: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(Segment(EQUAL, "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(Segment(DELETE, "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(Segment(INSERT, "".join(b[j1:j2])))
    if absorb:  # a lone space between two changes reads better as part of one change
        for i in range(1, len(raw) - 1):
            if raw[i].op == EQUAL and not raw[i].text.strip() and raw[i - 1].op != EQUAL != raw[i + 1].op:
                raw[i] = Segment("both", raw[i].text)
    return _merge(raw)


def _merge(raw: list[Segment]) -> list[Segment]:
    """Adjacent equal segments joined; each run of changes as one delete then one insert."""
    out: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(Segment(DELETE, "".join(deleted)))
        if inserted:
            out.append(Segment(INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op, text in raw:
        if op == EQUAL:
            flush()
            if out and out[-1].op == EQUAL:
                out[-1] = Segment(EQUAL, out[-1].text + text)
            elif text:
                out.append(Segment(EQUAL, text))
            continue
        if op in (DELETE, "both"):
            deleted.append(text)
        if op in (INSERT, "both"):
            inserted.append(text)
    flush()
    return out


def changed(segments: list[Segment]) -> bool:
    return any(s.op != EQUAL for s in segments)


def count_words(segments: list[Segment], op: str) -> int:
    return sum(1 for s in segments if s.op == op for t in tokenize(s.text) if t.strip())
