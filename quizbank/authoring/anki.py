"""The bank as an Anki package (.apkg, genanki): one deck per set, one note per question, with
ids that stay the same from export to export so that importing again updates instead of
duplicating; optionally one learner's schedule (anki_schedule.py). See docs/anki.md."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from html import escape
from pathlib import Path

import genanki
from django.urls import reverse
from django.utils.translation import gettext as _
from pygments.formatters import HtmlFormatter

from quizbank.authoring.anki_schedule import apply_schedule
from quizbank.bank.models import Question, QuestionSet

DECK_PREFIX = "QuizBank::"
FIELDS = [
    "Question",
    "Options",
    "Correct",
    "Answer",
    "KeyPoints",
    "Extended",
    "FollowUps",
    "Sources",
    "Set",
    "Difficulty",
    "Link",
    "Id",
]
# The site's renderer (bank/rendering.py, arithmatex "generic") writes math as \(…\) and \[…\]
# inside these wrappers: exactly the delimiters Anki's MathJax reads; the wrappers are dropped.
_INLINE_MATH_RE = re.compile(r'<span class="arithmatex">(\\\(.*?\\\)|\\\[.*?\\\])</span>', re.S)
_DISPLAY_MATH_RE = re.compile(r'<div class="arithmatex">(\\\[.*?\\\])</div>', re.S)


class AnkiExportError(Exception):
    """The export was refused (a bad set, nothing to export...); nothing was written."""


@dataclass(frozen=True)
class AnkiSummary:
    path: Path
    notes: int
    decks: int
    with_scheduling: bool
    scheduled: int = 0  # cards carrying the learner's schedule (not new)
    reviews: int = 0  # review log entries written

    def as_dict(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


def stable_id(name: str) -> int:
    """An id in genanki's advised range [2**30, 2**31), the same on every export."""
    digest = hashlib.sha256(f"quizbank:{name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def deck_id(slug: str) -> int:
    return stable_id(f"deck:{slug}")


def note_guid(question_id: str) -> str:
    return genanki.guid_for("quizbank", question_id)


def anki_math(html: str) -> str:
    """Rendered HTML with its math as bare \\(…\\) and \\[…\\] for Anki's MathJax. Entities in a
    formula (&lt; &amp;) stay: Anki fields are HTML and MathJax reads the decoded text."""
    html = _DISPLAY_MATH_RE.sub(r'<div class="qb-math">\1</div>', html)
    return _INLINE_MATH_RE.sub(r"\1", html)


def anki_tag(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip())


@cache
def card_css() -> str:
    """The note type's CSS: the site's code colours (Pygments default, monokai in night mode)
    inlined, so that nothing is fetched."""
    light = HtmlFormatter(style="default")
    dark = HtmlFormatter(style="monokai")
    night = [".nightMode .highlight", ".night_mode .highlight"]
    rules = [
        *light.get_background_style_defs(".highlight"),
        *light.get_token_style_defs(".highlight"),
        *dark.get_background_style_defs(night),
        *dark.get_token_style_defs(night),
    ]
    return BASE_CSS + "\n".join(rules)


BASE_CSS = """\
.card { font-family: -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
  font-size: 18px; line-height: 1.6; text-align: left; max-width: 46em; margin: 0 auto; padding: 0 .5em; }
.qb-meta { font-size: .8em; opacity: .65; }
.qb-title { font-size: 1.2em; font-weight: 600; margin: .3em 0 .6em; }
.card h3 { font-size: 1em; margin: 1.2em 0 .3em; opacity: .8; }
.qb-options li, .qb-marked li { margin: .25em 0; }
.qb-right { font-weight: 600; color: #15803d; }
.nightMode .qb-right, .night_mode .qb-right { color: #4ade80; }
.qb-weight { font-size: .8em; opacity: .6; }
.qb-followup-answer { margin: .2em 0 .6em; opacity: .85; }
.qb-math { overflow-x: auto; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em;
  background: rgba(127, 127, 127, .15); border-radius: 4px; padding: 0 .2em; }
.highlight { border-radius: 6px; overflow-x: auto; }
.highlight pre { margin: 0; padding: .7em .9em; line-height: 1.4; white-space: pre; }
.highlight code { background: none; padding: 0; font-size: .85em; }
table { border-collapse: collapse; } th, td { border: 1px solid rgba(127, 127, 127, .4); padding: .2em .5em; }
"""


def _section(field: str, title: str) -> str:
    return f"{{{{#{field}}}}}<h3>{title}</h3>{{{{{field}}}}}{{{{/{field}}}}}"


def note_model() -> genanki.Model:
    """One note type for every question (a stable id: a later export updates it)."""
    front = (
        '<div class="qb-meta">{{Set}} · {{Difficulty}}</div>\n{{Question}}\n'
        '{{#Options}}<div class="qb-options">{{Options}}</div>{{/Options}}'
    )
    back = "\n".join(
        [
            '<div class="qb-meta">{{Set}} · {{Difficulty}}</div>\n{{Question}}',
            '<hr id="answer">',
            '{{#Correct}}<div class="qb-correct">{{Correct}}</div>{{/Correct}}',
            _section("Answer", _("回答重点")),
            _section("KeyPoints", _("关键点")),
            _section("Extended", _("扩展知识")),
            _section("FollowUps", _("追问")),
            _section("Sources", _("来源")),
            '<p class="qb-meta">{{Id}}{{#Link}} · <a href="{{Link}}">QuizBank</a>{{/Link}}</p>',
        ]
    )
    return genanki.Model(
        stable_id("note-type:question"),
        "QuizBank",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "QuizBank", "qfmt": front, "afmt": back}],
        css=card_css(),
    )


def _list(tag: str, items: list[str], css: str = "") -> str:
    if not items:
        return ""
    attrs = f' class="{css}"' if css else ""
    return f"<{tag}{attrs}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"


def _options(q: Question) -> tuple[str, str]:
    """The options as listed on the front, and the back's list with the right ones marked."""
    if not q.is_choice:
        return "", ""
    htmls = [o.get("html") or escape(o["text"]) for o in q.options]
    front = '<ol class="qb-options" type="A">' + "".join(f"<li>{h}</li>" for h in htmls) + "</ol>"
    marked = "".join(
        f'<li class="qb-right">✓ {h}</li>' if o["correct"] else f"<li>{h}</li>"
        for o, h in zip(q.options, htmls, strict=True)
    )
    letters = "、".join(chr(ord("A") + i) for i, o in enumerate(q.options) if o["correct"])
    verdict = f"<p>{_('正确选项：')}<strong>{letters}</strong></p>"
    return front, verdict + f'<ol class="qb-marked" type="A">{marked}</ol>'


def _correct(q: Question, marked_options: str) -> str:
    if q.qtype == "numeric" and q.numeric_answer:
        value = escape(f"{q.numeric_answer} {q.unit}".strip())
        tolerance = _("（容差 ±%(t)s）") % {"t": escape(q.tolerance)} if q.tolerance else ""
        return f"<p>{_('答案：')}<strong>{value}</strong> {tolerance}</p>"
    return marked_options


def _key_points(q: Question) -> str:
    items = []
    for data, html in zip(q.key_points, q.key_points_html, strict=False):
        weight = data.get("weight", 1) if isinstance(data, dict) else 1
        items.append(html + (f' <span class="qb-weight">×{weight}</span>' if weight > 1 else ""))
    return _list("ol", items)


def _follow_ups(q: Question, titles: dict[str, str]) -> str:
    items = []
    for f in q.follow_up_items:
        item = f["text"]
        if f["see"]:
            item += f' <span class="qb-meta">（{_("答案见这道题")}：{escape(titles.get(f["see"], f["see"]))}）</span>'
        if f["answer"]:
            item += f'<div class="qb-followup-answer">{f["answer"]}</div>'
        items.append(item)
    return _list("ol", items)


def note_fields(q: Question, *, titles: dict[str, str], base_url: str = "") -> list[str]:
    """The note's fields, in FIELDS order, as HTML."""
    options, marked = _options(q)
    link = escape(base_url.rstrip("/") + reverse("bank:question", args=[q.id])) if base_url else ""
    values = {
        "Question": f'<div class="qb-title">{escape(q.title)}</div>{q.body_html}',
        "Options": options,
        "Correct": _correct(q, marked),
        "Answer": q.answer_html,
        "KeyPoints": _key_points(q),
        "Extended": q.extended_html,
        "FollowUps": _follow_ups(q, titles),
        "Sources": _list("ul", q.sources_html),
        "Set": escape(q.question_set.title),
        "Difficulty": escape(str(q.get_difficulty_display())),
        "Link": link,
        "Id": escape(q.id),
    }
    return [anki_math(values[name]) for name in FIELDS]


def _selected_sets(set_slugs: list[str] | None) -> list[QuestionSet]:
    sets = QuestionSet.objects.active()
    if not set_slugs:
        return list(sets)
    found = {s.slug: s for s in sets.filter(slug__in=set_slugs)}
    missing = [slug for slug in dict.fromkeys(set_slugs) if slug not in found]
    if missing:
        names = ", ".join(missing)
        raise AnkiExportError(f"没有这个题集（或已下线）/ no such set (or retired): {names}")
    return [found[slug] for slug in dict.fromkeys(set_slugs)]


def _decks(sets: list[QuestionSet], questions: list[Question], *, base_url: str) -> tuple[list, dict[str, str]]:
    """The genanki decks holding the questions' notes, and each question's note guid."""
    see = {f["see"] for q in questions for f in q.follow_up_items if f["see"]}
    titles = dict(Question.objects.filter(id__in=see).values_list("id", "title"))
    model = note_model()
    decks = {
        s.pk: genanki.Deck(deck_id(s.slug), DECK_PREFIX + s.title.replace("::", "："), description=s.description)
        for s in sets
    }
    guids = {}
    for position, q in enumerate(questions, start=1):
        tags = dict.fromkeys([*(anki_tag(t.name) for t in q.tags.all()), q.question_set.slug])
        guids[q.id] = note_guid(q.id)
        note = genanki.Note(
            model=model,
            fields=note_fields(q, titles=titles, base_url=base_url),
            sort_field=q.title,
            tags=[t for t in tags if t],
            guid=guids[q.id],
            due=position,  # new cards come in the bank's order
        )
        decks[q.question_set_id].add_note(note)
    return [deck for deck in decks.values() if deck.notes], guids


def export_anki(
    path: Path, *, set_slugs: list[str] | None = None, user=None, base_url: str = "", now: datetime | None = None
) -> AnkiSummary:
    """Write the active questions of the chosen sets (default: all) to an .apkg at `path`, with
    `user`'s schedule when given; atomically: on any error nothing is written."""
    path = Path(path)
    if not path.parent.is_dir():
        raise AnkiExportError(f"目录不存在 / no such directory: {path.parent}")
    now = now or datetime.now(UTC)
    sets = _selected_sets(set_slugs)
    questions = list(
        Question.objects.active()
        .filter(question_set__in=sets)
        .select_related("question_set")
        .prefetch_related("tags")
        .order_by("question_set__order", "question_set__slug", "position")
    )
    if not questions:
        raise AnkiExportError("没有可导出的题目 / no questions to export")
    used, guids = _decks(sets, questions, base_url=base_url)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        scheduled = _write_package(tmp, genanki.Package(used), user=user, guids=guids, now=now)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return AnkiSummary(
        path=path,
        notes=len(questions),
        decks=len(used),
        with_scheduling=user is not None,
        scheduled=scheduled.cards if scheduled else 0,
        reviews=scheduled.reviews if scheduled else 0,
    )


def _write_package(out: Path, package: genanki.Package, *, user, guids: dict[str, str], now: datetime):
    """genanki's package, its collection rewritten with `user`'s schedule when there is one, and
    compressed: genanki stores it as is, Anki's own exporter deflates it (rslib/src/import_export/
    package/colpkg/export.rs), a third of the size."""
    with tempfile.TemporaryDirectory() as work:
        written, collection = Path(work) / "genanki.apkg", Path(work) / "collection.anki2"
        package.write_to_file(written, timestamp=now.timestamp())
        with zipfile.ZipFile(written) as apkg:
            members = {name: apkg.read(name) for name in apkg.namelist() if name != "collection.anki2"}
            with apkg.open("collection.anki2") as src, collection.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        scheduled = apply_schedule(collection, user=user, guids=guids, now=now) if user is not None else None
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as apkg:
            apkg.write(collection, "collection.anki2")
            for name, data in members.items():
                apkg.writestr(name, data)
    return scheduled
