"""Lenient import: ordinary Markdown interview notes become draft questions, and the rest is reported.

Pure module (no Django) behind `load_questions --lenient`. `parse_notes(text)` never raises. It reads
questions written as headings, whole bold lines, "Q:"/"问：" lines and numbered-list items that carry an
answer, as found in popular interview-note repositories; everything it does not take as a question
(front matter, badges, tables of contents, reference lists, category intros, empty or duplicate
questions) comes back in `skipped` with its line and a short reason in Chinese.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

MAX_TITLE = 300
SNIPPET = 60

FRONT_MATTER = "文件开头的元数据（front matter）"
TOC = "目录/链接列表"
BADGES = "徽章/图片"
REFERENCES = "参考资料，不是问题"
QUESTION_LIST = "只有问题的列表，没有答案（{} 条）"
CODE_HASH = "代码块里的 # 不是标题（这段代码不属于任何问题）"
CODE = "不属于任何问题的代码块"
INTRO_TOP = "开头的说明文字，不属于任何问题"
INTRO_CATEGORY = "分类标题下的说明文字，不是答案"
EMPTY_HEADING = "标题下面没有答案"
EMPTY_QUESTION = "问题下面没有答案"
NO_TITLE = "标题为空"
LONG_TITLE = f"标题太长（超过 {MAX_TITLE} 字）"
DUPLICATE = "与第 {} 行的问题重复"
PLACEHOLDER = "答案只是占位（{}）"
IMAGE_ONLY = "答案只有图片，没有文字"
# an answer that is only a placeholder: 略, 待补充, TODO, 同上, …
PLACEHOLDER_RE = re.compile(
    r"[（(]?(略|暂略|待补充|待补|待续|待更新|未完待续|同上|todo|tbd|wip|\.\.\.|…+)[）)]?[。.]?", re.I
)
IMAGE_ONLY_RE = re.compile(r"(?:!\[[^\]]*\]\([^)]*\)\s*|<img\b[^>]*>\s*)+", re.I)


@dataclass
class NoteQuestion:
    title: str
    answer: str
    line: int
    end_line: int
    section: str = ""


@dataclass
class Skipped:
    line: int
    text: str
    reason: str


@dataclass
class Notes:
    questions: list[NoteQuestion] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


FENCE_OPEN_RE = re.compile(r"^\s*(`{3,}(?=[^`]*$)|~{3,})")
# A CJK character right after the hashes counts too ("##什么是 LoRA"): common in notes, meant as a heading.
ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*)|([\u3400-\u9fff].*))?$")
SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
HR_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]\s+|[0-9]{1,3}[.)、]\s*|[一二三四五六七八九十]{1,3}、\s*)(?P<t>.*)$")
NUMBERED_RE = re.compile(r"^(?P<n>[0-9]{1,3}|[一二三四五六七八九十]{1,3})(?:[.．](?![0-9])|、|[)）])\s*(?P<t>\S.*)$")
BOLD_LINE_RE = re.compile(r"^(\*\*|__)(?P<t>(?:(?!\1).)+)\1\s*+[:：]?\s*+$")
BOLD_NUMBER_RE = re.compile(r"^\*\*(?P<n>[0-9]{1,3})[.、．]?\*\*\s*(?P<t>\S.*)$")
Q_RE = re.compile(
    r"^(?:[-*+]\s++)?(?:\*\*|__)?\s*+(?P<p>question|q|问题|问)\s*+[0-9]{0,3}\s*+(?:\*\*|__)?\s*+[:：.．、]"
    r"\s*+(?:\*\*|__)?\s*+(?P<t>\S.*)$",
    re.I,
)
INLINE_ANSWER_RE = re.compile(r"(?<!\s)\s++(?:\*\*)?(?:A|答案|答)(?:\*\*)?\s*+[:：]\s*+")
ANSWER_LEAD_RE = re.compile(
    r"^(?:[-*+]\s++)?(?:\*\*|__)?\s*+(?:answer|a|答案|回答|答)\s*+(?:\*\*|__)?\s*+[:：]\s*+(?:\*\*|__)?\s*+", re.I
)
BACKLINK_RE = re.compile(r"^\s*+\[(?P<t>[^\[\]]*)\]\(#[^()]*\)\s*+$")
BACKLINK_WORDS_RE = re.compile(r"返回|回到|目录|顶部|top|back", re.I)
TOC_MARK_RE = re.compile(r"^\s*\[\[?_?toc_?\]?\]\s*$", re.I)
COMMENT_RE = re.compile(r"^\s*+<!--.*-->\s*+$")
IMAGE_RE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
LINK_RE = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
HTML_TAG_RE = re.compile(r"<!--(?:(?!<!--|-->).)*-->|</?[A-Za-z][^<>]*>")
ANCHOR_ATTR_RE = re.compile(r"(?<!\s)\s*+\{#[^{}]*\}\s*+$")
CLOSING_HASHES_RE = re.compile(r"(?:^|(?<![ \t])[ \t]++)#++[ \t]*+$")
PREFIX_RES = (
    re.compile(r"^(?:question|q|问题|问)\s*(?P<n>[0-9]{0,3})\s*[:：.．、]\s*", re.I),
    re.compile(r"^q\s*(?P<n>[0-9]{1,3})\s+", re.I),
    re.compile(r"^(?P<n>[0-9]{1,3})(?:\.[0-9]{1,3})*[.．、:：)）](?![0-9])\s*"),
    re.compile(r"^(?P<n>[0-9]{1,3})(?:\.[0-9]{1,3})+\s+"),
    re.compile(r"^(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．:：)）]\s*"),
    re.compile(r"^[(（](?P<n>[0-9]{1,3}|[一二三四五六七八九十]{1,3})[)）]\s*"),
    re.compile(r"^第(?P<n>[0-9]{1,3}|[一二三四五六七八九十]{1,3})[题问]\s*[:：、.．]?\s*"),
)
QUESTION_WORDS_RE = re.compile(
    r"^(?:请|简述|简要|简单(?:说|介绍|讲|谈)|介绍|说说|说一下|讲讲|讲一下|谈谈|聊聊|解释|描述|阐述|对比|比较|列举|"
    r"手写|手撕|写出|写一下|推导|分析一下|如何|怎么|怎样|为什么|为何|什么是|是否)"
    r"|(?:吗|呢|么)[。.]?$|什么|哪些|哪个|哪种|为什么|为何|如何|怎么|怎样|多少|是否|区别|异同|优缺点|能否|可否"
    r"|^(?:what|why|how|when|which|who|explain|describe|compare|define|derive|implement|is|are|does|do|can|should)\b",
    re.I,
)
TOC_KEYS = {"目录", "目錄", "contents", "tableofcontents", "toc", "索引", "大纲"}
REFERENCES_RE = re.compile(
    r"(参考(资料|文献|链接|文章|来源)?|references?|引用|资料来源|相关链接|延伸阅读|扩展阅读|推荐阅读|furtherreading|seealso)"
)


def parse_notes(text: str) -> Notes:
    """Questions and their answers found in Markdown notes, and what was skipped, with 1-based lines."""
    return _Parser(text).parse()


def title_key(title: str) -> str:
    """What two titles share when they ask the same question: case, width and spacing aside."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title).casefold())
    return key.rstrip("?？。.!！:：")


def clean_title(raw: str) -> tuple[str, int | None]:
    """A question's text without Markdown, numbering or "Q:" prefix, and the number it carried."""
    t = ANCHOR_ATTR_RE.sub("", re.sub(r"\s+", " ", raw[: 4 * MAX_TITLE]).strip())
    t = CLOSING_HASHES_RE.sub("", t)
    t = IMAGE_RE.sub("", HTML_TAG_RE.sub("", t))
    t = LINK_RE.sub(r"\1", t)
    t = re.sub(r"\s+", " ", _unbold(t)).strip()
    number = None
    for _ in range(3):
        match = next((m for m in (rx.match(t) for rx in PREFIX_RES) if m), None)
        if not match:
            break
        if number is None and match.groupdict().get("n"):
            number = _number(match["n"])
        t = _unbold(t[match.end() :]).strip()
    return t.rstrip(":：").strip(), number


def is_question_like(title: str) -> bool:
    """Whether a cleaned title reads as a question: a question mark, or a question word (什么/如何/介绍/why…)."""
    return "?" in title or "？" in title or bool(QUESTION_WORDS_RE.search(title))


def _unbold(t: str) -> str:
    parts = re.split(r"(`[^`]*`)", t)
    t = "".join(part if i % 2 else part.replace("**", "") for i, part in enumerate(parts)).strip()
    for mark in ("__", "*"):
        if len(t) > 2 * len(mark) and t.startswith(mark) and t.endswith(mark):
            t = t[len(mark) : -len(mark)].strip()
    return t


def _number(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        return (digits.get(tens, 0) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(text) if len(text) == 1 else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@dataclass
class _Heading:
    line: int  # 0-based index of the title line
    body: int  # first line after the heading (two lines down for a setext heading)
    level: int
    raw: str
    own_end: int = 0  # where its own text stops: the next heading of any level
    end: int = 0  # where its part of the notes stops: the next heading of the same or a higher level
    children: list[_Heading] = field(default_factory=list)


@dataclass
class _Draft:
    kind: str  # "h" heading, "b" bold line, "q" Q:/问：, "n" numbered-list item
    raw: str
    line: int
    body: int
    end: int
    section: str = ""
    number: int | None = None
    inline: str = ""  # an answer on the question's own line ("Q: …？ A: …")


class _Parser:
    def __init__(self, text: str):
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.lines = [_expand_indent(line) for line in lines]
        self.mask = [False] * len(self.lines)  # inside front matter, a code fence, an HTML comment, a $$ block
        self.comment = [False] * len(self.lines)  # inside a multi-line HTML comment
        self.drafts: list[_Draft] = []
        self.skipped: list[Skipped] = []

    def parse(self) -> Notes:
        start = self._front_matter()
        self._mask_blocks(start)
        headings = self._headings(start)
        self._flat(start, headings[0].line if headings else len(self.lines), None, "", INTRO_TOP)
        for heading in self._tree(headings):
            self._heading(heading, "")
        return self._finish()

    # --- reading the lines -------------------------------------------------------------------

    def _front_matter(self) -> int:
        if not self.lines or self.lines[0].strip() not in ("---", "+++"):
            return 0
        closers = ("---", "...") if self.lines[0].strip() == "---" else ("+++",)
        for j in range(1, min(len(self.lines), 200)):
            if self.lines[j].strip() in closers:
                if not any(re.match(r"^[A-Za-z_][\w-]*\s*[:=]", line) for line in self.lines[1:j]):
                    return 0
                self.mask[: j + 1] = [True] * (j + 1)
                self._skip(0, FRONT_MATTER)
                return j + 1
        return 0

    def _mask_blocks(self, start: int) -> None:
        """Code fences (CommonMark: an unclosed one runs to the end), HTML comments and $$ blocks."""
        n = len(self.lines)
        comment_ends = [j for j in range(start, n) if "-->" in self.lines[j]]
        math_marks = [j for j in range(start, n) if "$$" in self.lines[j]]

        def after(marks: list[int], i: int) -> int | None:
            k = bisect.bisect_right(marks, i)
            return marks[k] if k < len(marks) else None

        i = start
        while i < n:
            line, close = self.lines[i], None
            if fence := FENCE_OPEN_RE.match(line):
                mark = fence.group(1)
                closer = re.compile(rf"^\s*{re.escape(mark[0])}{{{len(mark)},}}\s*$")
                close = next((j for j in range(i + 1, n) if closer.match(self.lines[j])), n - 1)
            elif line.lstrip().startswith("<!--") and "-->" not in line:
                close = after(comment_ends, i)
            elif line.strip().startswith("$$") and line.strip().count("$$") == 1:
                close = after(math_marks, i)
            if close is None:
                i += 1
                continue
            self.mask[i : close + 1] = [True] * (close + 1 - i)
            if line.lstrip().startswith("<!--"):
                self.comment[i : close + 1] = [True] * (close + 1 - i)
            i = close + 1

    def _headings(self, start: int) -> list[_Heading]:
        found: list[_Heading] = []
        for i in range(start, len(self.lines)):
            if self.mask[i]:
                continue
            line = self.lines[i]
            if m := ATX_RE.match(line):
                found.append(_Heading(i, i + 1, len(m[1]), (m[2] if m[2] is not None else m[3] or "").strip()))
            elif (m := SETEXT_RE.match(line)) and self._setext_text(i - 1, start):
                found.append(_Heading(i - 1, i + 1, 1 if m[1][0] == "=" else 2, self.lines[i - 1]))
        return found

    def _setext_text(self, k: int, start: int) -> bool:
        """A one-line paragraph right above a === or --- line is a heading."""
        if k < start or self.mask[k]:
            return False
        line = self.lines[k]
        s = line.strip()
        if not s or _indent(line) > 3 or s[0] in ">|" or LIST_ITEM_RE.match(line):
            return False
        if ATX_RE.match(line) or HR_RE.match(line) or SETEXT_RE.match(line):
            return False
        return k == start or not self.lines[k - 1].strip() or bool(ATX_RE.match(self.lines[k - 1]))

    def _tree(self, headings: list[_Heading]) -> list[_Heading]:
        roots: list[_Heading] = []
        stack: list[_Heading] = []
        for index, heading in enumerate(headings):
            heading.own_end = headings[index + 1].line if index + 1 < len(headings) else len(self.lines)
            while stack and stack[-1].level >= heading.level:
                stack.pop().end = heading.line
            (stack[-1].children if stack else roots).append(heading)
            stack.append(heading)
        for heading in stack:
            heading.end = len(self.lines)
        return roots

    # --- deciding what is a question -----------------------------------------------------------

    def _heading(self, h: _Heading, section: str) -> None:
        title, number = clean_title(h.raw)
        if reason := _special(title):
            self._skip(h.line, reason)
            for child in h.children:
                self._heading(child, section)
            return
        if len(title) > MAX_TITLE:
            self._skip(h.line, LONG_TITLE)
            for child in h.children:
                self._heading(child, section)
            return
        free = self._flat(h.body, h.own_end, None, section, "", dry=True)
        text_end = free[0] if free else h.own_end
        if not any(self._meaningful(k) for k in range(h.body, text_end)):
            if free or h.children:
                self._category(h, title or section)
            else:
                self._skip(h.line, EMPTY_HEADING)
            return
        if not is_question_like(title) and (
            free
            or (h.level == 1 and h.children)
            or self._only_clutter(h.body, text_end)
            or any(self._question_ish(child) for child in h.children)
        ):
            self._category(h, title or section)
            return
        # A question (or a topic with its own text): plain sub-headings right under it are part of its answer.
        draft = _Draft("h", h.raw, h.line, h.body, h.own_end, section, number)
        self.drafts.append(draft)
        owned = self._flat(h.body, h.own_end, draft, section, "")
        rest = h.children
        while not owned and rest and self._absorbable(rest[0]):
            draft.end, rest = rest[0].end, rest[1:]
        for child in rest:
            self._heading(child, section)

    def _category(self, h: _Heading, section: str) -> None:
        self._flat(h.body, h.own_end, None, section, INTRO_CATEGORY)
        for child in h.children:
            self._heading(child, section)

    def _question_ish(self, h: _Heading) -> bool:
        title, number = clean_title(h.raw)
        return is_question_like(title) or number is not None or any(self._question_ish(c) for c in h.children)

    def _absorbable(self, h: _Heading) -> bool:
        def plain(node: _Heading) -> bool:
            title = clean_title(node.raw)[0]
            return not is_question_like(title) and not _special(title) and all(plain(c) for c in node.children)

        owner = _Draft("h", "", h.line, h.body, h.end)
        return plain(h) and not any(
            not self.mask[k] and self.lines[k].strip() and self._starter(k, owner) for k in range(h.body, h.end)
        )

    def _flat(
        self, start: int, end: int, owner: _Draft | None, section: str, intro: str, dry: bool = False
    ) -> list[int]:
        """Questions started by lines (bold, Q:, numbered) in a stretch with no headings; their lines."""
        current, found = owner, []
        for i in range(start, end):
            if self.mask[i] or not self.lines[i].strip():
                continue
            started = self._starter(i, current)
            if started is None:
                continue
            found.append(i)
            if current is not None:
                current.end = i
            kind, raw, number, inline = started
            current = _Draft(kind, raw, i, i + 1, end, section, number, inline)
            if not dry:
                self.drafts.append(current)
        if owner is None and not dry:
            self._intro(start, found[0] if found else end, intro)
        return found

    def _starter(self, i: int, current: _Draft | None) -> tuple[str, str, int | None, str] | None:
        line = self.lines[i]
        if _indent(line) > 1:
            return None
        s = line.strip()
        if m := Q_RE.match(s):
            raw, inline = m["t"], ""
            split = INLINE_ANSWER_RE.search(raw)
            if split and ("?" in raw[: split.start()] or "？" in raw[: split.start()]):
                raw, inline = raw[: split.start()], raw[split.end() :]
            if m["p"] != "问题" or is_question_like(clean_title(raw)[0]):
                return "q", raw, None, inline
        m = BOLD_NUMBER_RE.match(s) or BOLD_LINE_RE.match(s)
        if m:
            raw = f"{m['n']}. {m['t']}" if m.re is BOLD_NUMBER_RE else m["t"]
            title, number = clean_title(raw)
            in_sequence = current is not None and current.kind == "b" and current.number is not None
            if len(title) <= MAX_TITLE and (
                "?" in title
                or "？" in title
                or number is not None
                and (is_question_like(title) or in_sequence and number == current.number + 1)
            ):
                return "b", raw, number, ""
        if _indent(line) == 0 and (m := NUMBERED_RE.match(s)):
            title, number = clean_title(m["t"])[0], _number(m["n"])
            if not title or len(title) > MAX_TITLE:
                return None
            if current is None:
                ok = is_question_like(title) and self._has_body(i)
            else:
                sibling = current.kind == "n" and number is not None and number == (current.number or 0) + 1
                restart = current.kind == "n" and number == 1 and is_question_like(title) and self._has_body(i)
                ok = restart or sibling and (is_question_like(title) or self._has_body(i))
            if ok:
                return "n", m["t"], number, ""
        return None

    def _has_body(self, i: int) -> bool:
        """Whether a numbered item is followed by an answer: indented lines, or a paragraph after it."""
        j = i + 1
        while j < len(self.lines) and not self.mask[j] and not self.lines[j].strip():
            j += 1
        if j >= len(self.lines):
            return False
        line = self.lines[j]
        if _indent(line) >= 2 or self.mask[j]:
            return True
        s = line.strip()
        if ATX_RE.match(line) or NUMBERED_RE.match(s) or HR_RE.match(line) or Q_RE.match(s):
            return False
        bold = BOLD_LINE_RE.match(s)
        return not (bold and ("?" in bold["t"] or "？" in bold["t"]))

    def _meaningful(self, k: int) -> bool:
        line = self.lines[k]
        if not line.strip():
            return False
        if self.mask[k]:
            return not self.comment[k]
        return not (HR_RE.match(line) or COMMENT_RE.match(line) or _backlink(line))

    # --- what is left over ---------------------------------------------------------------------

    def _chunks(self, start: int, end: int) -> list[list[int]]:
        chunks: list[list[int]] = []
        current: list[int] = []
        for k in range(start, end):
            if self.mask[k] or self.lines[k].strip():
                current.append(k)
            elif current:
                chunks.append(current)
                current = []
        if current:
            chunks.append(current)
        return chunks

    def _chunk_kind(self, chunk: list[int]) -> tuple[str | None, int]:
        lines = [self.lines[k] for k in chunk]
        if not any(self._meaningful(k) for k in chunk):
            return None, 0
        if all(TOC_MARK_RE.match(line) or not self._meaningful(k) for k, line in zip(chunk, lines, strict=True)):
            return TOC, 0
        if all(self.mask[k] for k in chunk) and FENCE_OPEN_RE.match(lines[0]):
            return (CODE_HASH if any(ATX_RE.match(line) for line in lines[1:]) else CODE), 0
        if any(IMAGE_RE.search(line) or "<img" in line.lower() for line in lines) and all(
            not LINK_RE.sub("", IMAGE_RE.sub("", HTML_TAG_RE.sub("", line))).strip() for line in lines
        ):
            return BADGES, 0
        items = [LIST_ITEM_RE.match(line) for line in lines]
        if all(items):
            texts = [m["t"] for m in items if m]
            links = sum(1 for t in texts if LINK_RE.search(t) and len(LINK_RE.sub("", t).strip(" -|:：")) <= 2)
            if links * 10 >= len(texts) * 6:
                return TOC, 0
            # In an outline only the innermost items are questions; the others name their groups.
            depths = [_indent(line) for line in lines]
            leaves = [t for j, t in enumerate(texts) if j + 1 == len(texts) or depths[j + 1] <= depths[j]]
            if sum(is_question_like(clean_title(t)[0]) for t in leaves) * 2 >= len(leaves):
                return QUESTION_LIST, len(leaves)
        return "", 0

    def _only_clutter(self, start: int, end: int) -> bool:
        """Whether a stretch holds only badges, links, bare question lists or rules: nothing to answer with."""
        kinds = {self._chunk_kind(chunk)[0] for chunk in self._chunks(start, end)}
        return kinds <= {None, TOC, BADGES, QUESTION_LIST}

    def _intro(self, start: int, end: int, reason: str) -> None:
        runs: list[list] = []
        for chunk in self._chunks(start, end):
            kind, count = self._chunk_kind(chunk)
            if kind is None:
                continue
            if runs and runs[-1][0] == kind:
                runs[-1][2] += count
            else:
                runs.append([kind, chunk[0], count])
        for kind, first, count in runs:
            self._skip(first, kind.format(count) if kind else reason)

    def _skip(self, k: int, reason: str) -> None:
        self.skipped.append(Skipped(k + 1, self.lines[k].strip()[:SNIPPET], reason))

    def _answer(self, draft: _Draft) -> tuple[str, int]:
        entries = [(k, self.lines[k]) for k in range(draft.body, draft.end)]
        if draft.inline.strip():
            entries.insert(0, (draft.line, draft.inline))

        def clutter(k: int, line: str) -> bool:
            return k != draft.line and not self._meaningful(k)

        while entries and clutter(*entries[0]):
            entries.pop(0)
        if entries and not self.mask[entries[0][0]]:
            k, line = entries[0]
            if lead := ANSWER_LEAD_RE.match(line.lstrip()):
                rest = line.lstrip()[lead.end() :]
                if rest.strip():
                    entries[0] = (k, " " * _indent(line) + rest)
                else:
                    entries.pop(0)
                    while entries and clutter(*entries[0]):
                        entries.pop(0)
        while entries and clutter(*entries[-1]):
            entries.pop()
        if not entries:
            return "", draft.line
        texts = [line for _, line in entries]
        if draft.kind == "n":  # the answer indented under the item, then maybe paragraphs after the list
            lead = next(
                (
                    j
                    for j, (k, line) in enumerate(entries)
                    if self._meaningful(k)
                    and _indent(line) < 2
                    and k > draft.line
                    and not (self.mask[k] and self.mask[k - 1])
                ),
                len(entries),
            )
            texts[:lead] = _dedent(texts[:lead])
        return "\n".join(_dedent(texts)), entries[-1][0]

    def _finish(self) -> Notes:
        questions: list[NoteQuestion] = []
        seen: dict[str, int] = {}
        for draft in sorted(self.drafts, key=lambda d: d.line):
            title = clean_title(draft.raw)[0]
            if not title:
                self._skip(draft.line, NO_TITLE)
                continue
            if len(title) > MAX_TITLE:
                self._skip(draft.line, LONG_TITLE)
                continue
            answer, last = self._answer(draft)
            if not answer.strip():
                self._skip(draft.line, EMPTY_HEADING if draft.kind == "h" else EMPTY_QUESTION)
                continue
            if PLACEHOLDER_RE.fullmatch(answer.strip()):
                self._skip(draft.line, PLACEHOLDER.format(answer.strip()[:10]))
                continue
            if IMAGE_ONLY_RE.fullmatch(answer.strip()):
                self._skip(draft.line, IMAGE_ONLY)
                continue
            key = title_key(title)
            if key in seen:
                self._skip(draft.line, DUPLICATE.format(seen[key]))
                continue
            seen[key] = draft.line + 1
            questions.append(NoteQuestion(title, answer, draft.line + 1, last + 1, draft.section))
        return Notes(questions, sorted(self.skipped, key=lambda s: s.line))


def _special(title: str) -> str:
    key = re.sub(r"\s+", "", title.casefold())
    if key in TOC_KEYS:
        return TOC
    return REFERENCES if REFERENCES_RE.fullmatch(key) else ""


def _backlink(line: str) -> bool:
    """A "back to the table of contents" link that closes a section."""
    m = BACKLINK_RE.match(line)
    return bool(m and BACKLINK_WORDS_RE.search(m["t"]))


def _expand_indent(line: str) -> str:
    body = line.lstrip(" \t")
    return line[: len(line) - len(body)].expandtabs(4) + body


def _dedent(lines: list[str]) -> list[str]:
    depth = min((_indent(line) for line in lines if line.strip()), default=0)
    return [line[min(depth, _indent(line)) :] if line.strip() else "" for line in lines]
