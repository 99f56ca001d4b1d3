"""The domain glossary (术语表): the ways people say each of the bank's terms.

Pure module (no Django). One entry is one concept with its Chinese, English and everyday
wordings (`平方根 | 根号 | √ | sqrt`); an entry may name its opposite (`增大` vs `减小`). Two
consumers share it: the offline grader matches answers in concept space (a paraphrase in plain
words meets the rubric's term), and search expands a query with the other wordings.

File format (`content/glossary/*.md`, documented in docs/content-format.md):

    ---
    title: 术语表 · 注意力
    ---
    ## 小标题（可选，只用于分组）
    - 梯度消失 | vanishing gradient | 梯度几乎为零 {opposite="梯度爆炸"}

Every problem is reported with file and line; a term may belong to one entry only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from quizbank.bank.markup import ATTR_RE, ContentError, ContentErrors

ENTRY_RE = re.compile(r"^\s{0,3}[-*+]\s+(?P<body>.*)$")
ATTRS_RE = re.compile(r"\s*\{(?P<attrs>[^{}]*)\}\s*$")
_ALNUM = re.compile(r"[0-9a-z]")
MAX_TERM = 40


@lru_cache(maxsize=65536)
def fold(ch: str) -> str:
    """One character, normalised for matching (full-width to half-width, case-folded); one
    character in, one out, so positions in the folded text are positions in the original."""
    out = unicodedata.normalize("NFKC", ch).casefold()
    return out if len(out) == 1 else ch.casefold()[:1] or ch


def fold_text(text: str) -> str:
    return "".join(map(fold, text))


def compact(term: str) -> str:
    """A term as it is matched: folded, spaces, underscores and hyphens between letters dropped
    (`KV cache` = `kvcache` = `KV-Cache`, `d_k` = `dk`)."""
    return re.sub(r"[\s_\-]+", "", fold_text(term))


@dataclass(frozen=True)
class Entry:
    name: str
    terms: tuple[str, ...]
    opposite: str = ""
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entry: int  # index into Glossary.entries


@dataclass
class Glossary:
    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._trie: dict = {}
        self._by_term: dict[str, int] = {}
        self._by_name = {fold_text(e.name): i for i, e in enumerate(self.entries)}
        for index, entry in enumerate(self.entries):
            for term in entry.terms:
                key = compact(term)
                self._by_term[key] = index
                node = self._trie
                for ch in key:
                    node = node.setdefault(ch, {})
                node[""] = (index, bool(_ALNUM.match(key[0])), bool(_ALNUM.match(key[-1])))

    def __len__(self) -> int:
        return len(self.entries)

    def entry_of(self, term: str) -> int | None:
        """The entry a whole term belongs to (any of its wordings), or None."""
        return self._by_term.get(compact(term))

    def opposite_of(self, index: int) -> int | None:
        name = self.entries[index].opposite
        return self._by_name.get(fold_text(name)) if name else None

    def find(self, text: str, overlapping: bool = False) -> list[Match]:
        """Every glossary term in `text`: leftmost-longest and not overlapping, or (overlapping)
        every occurrence of every term. Spaces, `_` and `-` inside a term are optional; a term
        that starts or ends with a letter or digit must not be glued to another letter or digit
        (`ring` is not found in `bring`)."""
        folded = fold_text(text)
        # the text without separators, and where each of its characters came from
        keep = [i for i, ch in enumerate(folded) if not (ch.isspace() or ch in "_-")]
        squeezed = "".join(folded[i] for i in keep)
        matches, i = [], 0
        while i < len(squeezed):
            node, j, best = self._trie, i, None
            while j < len(squeezed) and squeezed[j] in node:
                node = node[squeezed[j]]
                j += 1
                if "" in node:
                    index, alnum_start, alnum_end = node[""]
                    start, end = keep[i], keep[j - 1] + 1
                    if alnum_start and start > 0 and _ALNUM.match(folded[start - 1]):
                        continue
                    if alnum_end and end < len(folded) and _ALNUM.match(folded[end]):
                        continue
                    best = (j, Match(start, end, index))
                    if overlapping:
                        matches.append(best[1])
            if best and not overlapping:
                matches.append(best[1])
                i = best[0]
            else:
                i += 1
        return matches

    def expansions(self, text: str) -> list[str]:
        """The other wordings of every glossary term found in `text` (for query expansion)."""
        found = dict.fromkeys(m.entry for m in self.find(text))
        said = {compact(text[m.start : m.end]) for m in self.find(text)}
        out = []
        for index in found:
            out.extend(t for t in self.entries[index].terms if compact(t) not in said)
        return out


class _Parser:
    def __init__(self, text: str, path: str):
        self.path, self.errors = path, []
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def error(self, line: int, message: str) -> None:
        self.errors.append(ContentError(self.path, line, message))

    def parse(self) -> list[Entry]:
        start = self.front_matter()
        entries = []
        for n in range(start + 1, len(self.lines) + 1):
            line = self.lines[n - 1]
            if not line.strip() or line.startswith("#") or line.lstrip().startswith("<!--"):
                continue
            bullet = ENTRY_RE.match(line)
            if not bullet:
                self.error(n, "术语表只能是列表项（- 术语 | 同义词 | …）、小标题或空行")
                continue
            entry = self.entry(n, bullet.group("body"))
            if entry:
                entries.append(entry)
        return entries

    def front_matter(self) -> int:
        if not self.lines or self.lines[0].strip() != "---":
            return 0
        for i in range(1, len(self.lines)):
            if self.lines[i].strip() == "---":
                try:
                    meta = yaml.safe_load("\n".join(self.lines[1:i])) or {}
                except yaml.YAMLError:
                    meta = None
                if not isinstance(meta, dict) or set(meta) - {"title", "description"}:
                    self.error(2, "术语表的 front matter 只能有 title 和 description")
                return i + 1
        self.error(1, "front matter 没有结束的 ---")
        return len(self.lines)

    def entry(self, n: int, body: str) -> Entry | None:
        opposite = ""
        attrs = ATTRS_RE.search(body)
        if attrs:
            body, raw, consumed = body[: attrs.start()], attrs.group("attrs"), 0
            for m in ATTR_RE.finditer(raw):
                consumed += len(m.group(0))
                if m.group("key") != "opposite":
                    self.error(n, f"术语的未知属性 {m.group('key')!r}（可用：opposite）")
                    return None
                opposite = (m.group("quoted") or m.group("bare") or "").strip()
            if consumed != len(raw.rstrip()) or not opposite:
                self.error(n, f'属性写法不对：{{{raw}}}（例如 {{opposite="减小"}}）')
                return None
        terms = [t.strip() for t in body.split("|")]
        if any(not t for t in terms):
            self.error(n, "有空的术语（两个 | 之间什么都没有）")
            return None
        for term in terms:
            problem = term_problem(term)
            if problem:
                self.error(n, f"术语 {term!r}：{problem}")
                return None
        seen: dict[str, str] = {}
        for term in terms:
            if compact(term) in seen:
                self.error(n, f"术语 {term!r} 与同一行的 {seen[compact(term)]!r} 重复")
                return None
            seen[compact(term)] = term
        return Entry(name=terms[0], terms=tuple(terms), opposite=opposite, path=self.path, line=n)


# a negation inside a wording would hide it from the grader, which reads negations itself
NEGATION_IN_TERM = re.compile(r"不需要|不用|没有|不会|不能|并不|无需|无须|不必|没必要|不是|并非|不要|不存在")


def term_problem(term: str) -> str:
    key = compact(term)
    if NEGATION_IN_TERM.search(term):
        return "含否定词：评分器自己读否定，术语里只写肯定的说法（不稳定、非凸这类词可以）"
    if len(key) > MAX_TERM:
        return f"太长（最多 {MAX_TERM} 个字符）"
    if len(key) < 2 and (key.isalnum() or not key):
        return "太短：单个字母、数字或汉字会匹配到太多无关的地方"
    if "{" in term or "}" in term:
        return "不能包含 { }"
    return ""


def parse_glossary(text: str, path: str = "<string>") -> list[Entry]:
    """Parse one glossary file; raise ContentErrors naming file and line for every problem."""
    parser = _Parser(text, path)
    entries = parser.parse()
    if parser.errors:
        raise ContentErrors(parser.errors)
    return entries


def build(entries: list[Entry]) -> Glossary:
    """Check entries across files (a term in two entries, an unknown opposite) and index them."""
    errors, owner = [], {}
    names = {fold_text(e.name) for e in entries}
    for e in entries:
        for term in e.terms:
            key = compact(term)
            if key in owner:
                other = owner[key]
                errors.append(
                    ContentError(e.path, e.line, f"术语 {term!r} 已在 {other.path}:{other.line}（{other.name}）中")
                )
            else:
                owner[key] = e
        if e.opposite and fold_text(e.opposite) not in names:
            errors.append(ContentError(e.path, e.line, f"opposite={e.opposite!r} 不是任何词条的名字（每行第一个术语）"))
    if errors:
        raise ContentErrors(errors)
    return Glossary(entries)


def glossary_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.md") if p.is_file() and not p.name.startswith((".", "_")))


def load_glossary(directory: Path, display=str) -> Glossary:
    """Read every glossary file in `directory` (none: an empty glossary)."""
    entries, errors = [], []
    for path in glossary_files(directory):
        try:
            entries.extend(parse_glossary(path.read_text(encoding="utf-8"), display(path)))
        except ContentErrors as exc:
            errors.extend(exc.errors)
        except UnicodeDecodeError:
            errors.append(ContentError(display(path), 1, "文件不是 UTF-8 编码"))
    if errors:
        raise ContentErrors(errors)
    return build(entries)
