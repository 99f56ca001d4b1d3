"""Ordinary Markdown notes in, draft questions out (`load_questions --lenient PATH --set SLUG`):
each question found becomes a draft with its answer as the 回答重点 and no key points yet — an
editor finishes it in the editor (where the LLM can suggest the rubric). All or nothing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from quizbank.authoring import lenient
from quizbank.authoring.models import Draft, DraftOrigin
from quizbank.authoring.services import create_draft
from quizbank.bank.markup import FENCE_RE, SLUG_RE, ContentError, ContentErrors
from quizbank.bank.models import Question, QuestionSet

HEADING_RE = re.compile(r"^(\s{0,3})(#{1,6})\s+(.*?)\s*#*\s*$")
TRAILING_ATTRS_RE = re.compile(r"\s*\{[^{}]*\}\s*$")
FOLD_RE = re.compile(r"^\s*(?:</?details[^>]*>|<summary>.*?</summary>)\s*$", re.I)


@dataclass
class Imported:
    line: int
    end_line: int
    title: str
    target_id: str
    draft_id: int


@dataclass
class NotesImport:
    path: str
    set_slug: str
    imported: list[Imported] = field(default_factory=list)
    skipped: list[lenient.Skipped] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "set": self.set_slug,
            "imported": [vars(i) for i in self.imported],
            "skipped": [{"line": s.line, "text": s.text, "reason": s.reason} for s in self.skipped],
        }


def import_notes(path: Path, *, set_slug: str, display: str, user=None, check: bool = False) -> NotesImport:
    """Raise ContentErrors (nothing written) when the file or the set is unusable. `check`: the
    same import, rolled back — what would be imported, with the ids it would get."""
    question_set = _question_set(set_slug, display)
    text = _read(path, display)
    notes = lenient.parse_notes(text)
    result = NotesImport(display, set_slug, skipped=list(notes.skipped))
    known = _known_titles()
    taken: set[str] = set()
    with transaction.atomic():
        for note in notes.questions:
            key = lenient.title_key(note.title)
            if key in known:
                where, qid = known[key]
                result.skipped.append(lenient.Skipped(note.line, note.title[:60], f"{where}已有同样的题目：{qid}"))
                continue
            qid = _new_id(set_slug, note.title, taken)
            taken.add(qid)
            draft = create_draft(
                user=user,
                question_set=question_set,
                source=draft_block(note, qid),
                origin=DraftOrigin.IMPORT,
                note=f"{display}:{note.line}",
            )
            result.imported.append(Imported(note.line, note.end_line, note.title, draft.target_id, draft.pk))
        if check:
            transaction.set_rollback(True)
    result.skipped.sort(key=lambda s: s.line)
    return result


def draft_block(note: lenient.NoteQuestion, qid: str) -> str:
    """The question block of a note: its answer, headings inside it made bold (a `##` there
    would start another question), and an empty 关键点 for the editor to write."""
    title = TRAILING_ATTRS_RE.sub("", note.title).strip() or note.title
    tags = f"tags: [{_yaml_tag(note.section)}]\n" if note.section else ""
    return (
        f"## {title} {{#{qid}}}\ndifficulty: medium\n{tags}\n### 回答重点\n\n{demote_headings(note.answer).strip()}\n\n"
        "### 关键点\n\n"
    )


def demote_headings(markdown: str) -> str:
    """Headings inside an answer made bold, and a <details> fold around it dropped."""
    out, fence = [], ""
    for line in markdown.split("\n"):
        match = FENCE_RE.match(line)
        if match and (not fence or match.group(1).startswith(fence)):
            fence = "" if fence else match.group(1)
        if not fence and not match and FOLD_RE.match(line):
            continue  # a <details>/<summary> fold around the answer ("点击查看答案"): the answer is shown anyway
        heading = None if fence or match else HEADING_RE.match(line)
        out.append(f"{heading.group(1)}**{heading.group(3)}**" if heading and heading.group(3) else line)
    return "\n".join(out)


def _yaml_tag(section: str) -> str:
    tag = re.sub(r"[\[\]{},:#&*!|>'\"%@`]", " ", section).strip()
    return re.sub(r"\s+", " ", tag)[:60]


def _new_id(set_slug: str, title: str, taken: set[str]) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", title.casefold()) if w not in set_slug.split("-")]
    stem = "-".join(words)[:40].strip("-")
    digest = hashlib.sha1(title.encode()).hexdigest()[:6]  # noqa: S324 — a name, not a secret
    base = f"{set_slug}-{stem}-{digest}" if stem else f"{set_slug}-note-{digest}"
    qid, n = base[:80], 2
    while (
        qid in taken or Question.objects.filter(id=qid).exists() or Draft.objects.open().filter(target_id=qid).exists()
    ):
        qid, n = f"{base[:76]}-{n}", n + 1
    return qid


def _known_titles() -> dict[str, tuple[str, str]]:
    """title key → (where, id), for the open drafts and the bank's questions."""
    drafts = Draft.objects.open().values_list("target_id", "title")
    known = {lenient.title_key(t): ("草稿里", qid) for qid, t in drafts if t}
    bank = Question.objects.active().values_list("id", "title")
    known.update({lenient.title_key(t): ("题库里", qid) for qid, t in bank})
    return known


def _question_set(slug: str, display: str) -> QuestionSet:
    question_set = QuestionSet.objects.active().filter(slug=slug).first() if SLUG_RE.match(slug or "") else None
    if question_set is None:
        slugs = ", ".join(QuestionSet.objects.active().values_list("slug", flat=True))
        raise ContentErrors([ContentError(display, 0, f"没有题集 {slug!r}（--set 可用：{slugs}）")])
    return question_set


def _read(path: Path, display: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentErrors([ContentError(display, 0, f"读不了这个文件：{exc.strerror or exc}")]) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentErrors([ContentError(display, line, "文件不是 UTF-8 编码")]) from exc
