"""Markdown to safe HTML, once, at load time: Pygments highlighting, math left for KaTeX,
and everything passed through nh3 so that nothing in a content file can run script."""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from functools import lru_cache
from html import escape as html_escape
from html import unescape as html_unescape
from pathlib import Path
from xml.etree import ElementTree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_PARAGRAPH_RE = re.compile(r"^<p>(.*)</p>$", re.S)
# Characters that can make a one-liner more than plain text; lines without them skip Markdown.
_MARKUP_RE = re.compile(r"[*_`\[\]$<>&\\~|!#]|^\s*(?:[-+]|\d+[.)])\s")

_local = threading.local()
# Math left in the HTML outside the elements arithmatex made and outside code: not rendered.
_MATH_ELEMENT_RE = re.compile(r'<(span|div) class="arithmatex">.*?</\1>|<pre.*?</pre>|<code.*?</code>', re.S)
_STRAY_MATH_RE = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)")


class _DisplayMathInParagraph(InlineProcessor):
    """`$$…$$` inside a paragraph or a list item (right after a line of text): arithmatex only
    sees display math that starts a block of its own, so the delimiters would be left as text."""

    def handleMatch(self, m, data):
        element = ElementTree.Element("span", {"class": "arithmatex"})
        element.text = AtomicString(f"\\[{m.group(1)}\\]")
        return element, m.start(0), m.end(0)


class _DisplayMathExtension(Extension):
    def extendMarkdown(self, md):
        md.inlinePatterns.register(_DisplayMathInParagraph(r"(?s)\$\$(.+?)\$\$", md), "display-math-inline", 189.95)


_FORMULA_RE = re.compile(r'<(span|div) class="arithmatex">(?P<tex>.*?)</\1>', re.S)
_COMMAND_RE = re.compile(r"\\([a-zA-Z]+)")
KATEX_JS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "katex" / "katex.min.js"


def formulas(html: str) -> list[str]:
    """The TeX of every formula in rendered HTML, without its \\( \\) or \\[ \\] delimiters."""
    out = []
    for match in _FORMULA_RE.finditer(html):
        tex = html_unescape(match.group("tex")).strip()
        if tex[:2] in ("\\(", "\\["):
            tex = tex[2:]
        if tex[-2:] in ("\\)", "\\]"):
            tex = tex[:-2]
        out.append(tex.strip())
    return out


def unbalanced_math(html: str) -> str | None:
    """The first formula whose braces { } or \\begin/\\end do not pair up, if any."""
    for tex in formulas(html):
        plain = re.sub(r"\\[{}]", "", tex)  # \\{ and \\} are literal braces
        depth = 0
        for char in plain:
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                break
        if depth != 0 or plain.count("\\begin{") != plain.count("\\end{"):
            return tex
    return None


@lru_cache(maxsize=1)
def katex_commands() -> frozenset[str]:
    """The commands the vendored KaTeX defines (read from its own source); empty if it is absent."""
    try:
        source = KATEX_JS.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(name.replace("\\\\", "\\") for name in re.findall(r'"(\\\\[a-zA-Z]+)"', source))


def unknown_math_command(html: str) -> str | None:
    """The first \\command in a formula that KaTeX does not know (it would show it in red)."""
    known = katex_commands()
    if not known:
        return None
    for tex in formulas(html):
        for name in _COMMAND_RE.findall(tex):
            if f"\\{name}" not in known:
                return f"\\{name}"
    return None


def stray_math(html: str) -> str | None:
    """The first math delimiter left in rendered HTML (so not rendered by KaTeX), if any."""
    match = _STRAY_MATH_RE.search(_MATH_ELEMENT_RE.sub("", html))
    return match.group(0) if match else None


def _markdown() -> markdown.Markdown:
    # Building a Markdown instance costs far more than converting a short text: keep one per
    # thread and reset it between documents.
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=[
                "pymdownx.arithmatex",
                "fenced_code",
                "codehilite",
                "tables",
                "sane_lists",
                _DisplayMathExtension(),
            ],
            extension_configs={
                "pymdownx.arithmatex": {"generic": True},
                "codehilite": {"css_class": "highlight", "guess_lang": False},
            },
            output_format="html",
        )
        _local.md = md
    return md


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


_LIST_ITEM_RE = re.compile(r"^( *)([-*+]|\d+[.)])( +)")
_FENCE_LINE_RE = re.compile(r"^ *(```|~~~)")


def nest_lists(text: str) -> str:
    """Indent nested list items the way Python-Markdown reads them (4 spaces a level). Authors
    (and CommonMark) indent a nested item by 2 or 3 spaces — under the text of its parent —
    which Python-Markdown would flatten into the parent list. Only list-item lines move; fenced
    code and every other line are left as written."""
    out, stack, fenced = [], [], False
    for line in text.split("\n"):
        if _FENCE_LINE_RE.match(line):
            fenced = not fenced
        if fenced or _FENCE_LINE_RE.match(line):
            out.append(line)
            continue
        item = _LIST_ITEM_RE.match(line)
        if item:
            indent = len(item.group(1))
            while stack and indent < stack[-1]:
                stack.pop()
            if not stack or indent > stack[-1]:
                stack.append(indent)
            out.append(" " * (4 * (len(stack) - 1)) + line.lstrip(" "))
        else:
            if line.strip() and not line.startswith(" "):
                stack = []  # a paragraph at the margin ends the list
            out.append(line)  # other lines as written: continuations stay as the author meant
    return "\n".join(out)


def render_markdown(text: str) -> str:
    """Render a block of Markdown to sanitized HTML."""
    if not text:
        return ""
    md = _markdown()
    try:
        return sanitize(md.convert(nest_lists(text)))
    finally:
        md.reset()


def render_inline(text: str) -> str:
    """Render one line (a key point, an option, a source) without the wrapping <p>."""
    if not _MARKUP_RE.search(text):
        return html_escape(text)
    html = render_markdown(text)
    match = _PARAGRAPH_RE.match(html)
    return match.group(1) if match and "<p>" not in match.group(1) else html


def render_question(q) -> dict:
    """Every HTML field of a question (a markup.QuestionData), keyed by model field name."""
    return {
        "body_html": render_markdown(q.body),
        "answer_html": render_markdown(q.answer),
        "extended_html": render_markdown(q.extended),
        "key_points_html": [render_inline(k.text) for k in q.key_points],
        "follow_ups_html": [{"text": render_inline(f.text), "answer": render_markdown(f.answer)} for f in q.follow_ups],
        "sources_html": [render_inline(t) for t in q.sources],
        "options_html": [render_inline(o.text) for o in q.options],
    }


PARALLEL_THRESHOLD = 400
# Bump when the same Markdown renders or is stored differently (a fixed math rule, a new sanitiser
# setting, a new shape of a JSON field): the loader then re-reads every file, stores and renders
# its questions again, without a new version. 3: follow-ups became dicts (answer, key points).
RENDERER_VERSION = "4"  # 4: nested lists indented by 2-3 spaces are nested (nest_lists)


class BackgroundRendering:
    """Questions rendered while the caller goes on (the loader parses the next file, measures
    alias shares, reads the rows): `submit` a set as soon as it is parsed, `results` when the
    HTML is needed. Once PARALLEL_THRESHOLD questions are submitted, forked workers (one per
    core) render them; fewer are rendered in this process when the results are asked for.
    Results are keyed by id() of the submitted objects, which the caller keeps alive. Use it as
    a context manager: leaving it stops the workers, also on an error."""

    def __init__(self) -> None:
        self.workers = min(os.cpu_count() or 1, 8)
        self.pool = None
        self.waiting: list = []  # submitted, not yet handed to the pool
        self.pending: list[tuple[list, object]] = []  # (questions, AsyncResult)

    def submit(self, questions) -> None:
        self.waiting.extend(questions)
        if self.pool is None and (self.workers < 2 or len(self.waiting) < PARALLEL_THRESHOLD):
            return
        if self.pool is None:
            self.pool = multiprocessing.get_context("fork").Pool(self.workers)
        batch, self.waiting = self.waiting, []
        chunk = max(25, len(batch) // (self.workers * 4))
        self.pending.append((batch, self.pool.map_async(render_question, batch, chunksize=chunk)))

    def results(self) -> dict[int, dict]:
        """{id(question): render_question(question)} for everything submitted."""
        out = {id(q): render_question(q) for q in self.waiting}
        for batch, result in self.pending:
            out.update(zip(map(id, batch), result.get(), strict=True))
        self.waiting, self.pending = [], []
        return out

    def __enter__(self) -> BackgroundRendering:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            if exc[0] is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()
            self.pool = None
