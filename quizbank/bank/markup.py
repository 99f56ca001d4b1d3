"""The question-set Markdown format: parse a file into plain data, and format it back.

Pure module (no Django): `parse_set(text, path)` returns a `SetData` or raises `ContentErrors`
listing every problem with its file and line; `format_set(data)` writes the canonical text, so
that `parse_set(format_set(x)) == x`. The format is documented in docs/content-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
QUESTION_RE = re.compile(r"^##\s+(?P<title>.*?)\s*(?:\{\s*#(?P<id>[^}\s]*)\s*\})?\s*$")
SECTION_RE = re.compile(r"^###\s+(?P<name>.+?)\s*$")
FENCE_RE = re.compile(r"^\s*(```+|~~~+)")
# The attribute block ending a key point: key=value pairs, a quoted value may hold braces (R_{n-m}).
KEY_POINT_ATTRS_RE = re.compile(
    r'\s*\{(?P<attrs>\s*[a-z_]+=(?:"[^"]*"|[^\s"{}]*)(?:\s+[a-z_]+=(?:"[^"]*"|[^\s"{}]*))*\s*)\}\s*$'
)
# Anything still looking like an attribute block after parsing was not understood.
UNPARSED_ATTRS_RE = re.compile(r"(?<!\\)\{\s*[a-z_]+\s*=")
ATTR_RE = re.compile(r'\s*(?P<key>[a-z_]+)=(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))')
TASK_RE = re.compile(r"^\[(?P<mark>[ xX])\]\s+(?P<text>.+)$")
# A follow-up is a top-level item (indented 0–1 spaces); its answer and key points are indented 2.
FOLLOW_UP_RE = re.compile(r"^\s?(?:[-*+]|\d+[.)])\s+(.*)$")
NESTED_BULLET_RE = re.compile(r"^[-*+]\s+(.*)$")
PROBE_RE = re.compile(r"^[0-9]+$")
KEY_POINT_ATTRS = ("weight", "aliases")
KEY_POINT_EXAMPLE = '{weight=2 aliases="低秩|low-rank"}'
FOLLOW_UP_ATTRS = ("see", "probes")
FOLLOW_UP_EXAMPLE = '{see=some-question-id probes="1|3"}'
MAX_FOLLOW_UP_POINTS = 3
MAX_TITLE = 300

# libyaml's loader when PyYAML was built with it: ~10x faster on thousands of small blocks.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DIFFICULTIES = ("easy", "medium", "hard")
TYPES = ("free", "single", "multi", "numeric")
SET_FIELDS = ("slug", "title", "description", "order")
REQUIRED_SET_FIELDS = ("slug", "title", "order")  # an empty description is written back as ''; it loads
QUESTION_FIELDS = ("difficulty", "tags", "type", "answer", "tolerance", "unit")

# Canonical (Chinese) section names, with the English names also accepted.
SECTIONS = {
    "options": ("选项", "Options"),
    "answer": ("回答重点", "Answer"),
    "extended": ("扩展知识", "Extended"),
    "key_points": ("关键点", "Key points"),
    "follow_ups": ("追问", "Follow-ups"),
    "sources": ("来源", "Sources"),
    "samples": ("样例答案", "Samples"),
}
SECTION_BY_NAME = {name.casefold(): key for key, names in SECTIONS.items() for name in names}
LIST_SECTIONS = ("options", "key_points", "follow_ups", "sources", "samples")
# Sample answers of the rubric test (docs/authoring.md): what each must score under the offline grader.
SAMPLE_KINDS = {
    "strong": "strong",
    "partial": "partial",
    "wrong": "wrong",
    "完整": "strong",
    "部分": "partial",
    "错误": "wrong",
}
SAMPLE_RE = re.compile(r"^(?P<kind>[a-z]+|完整|部分|错误)\s*[:：]\s*(?P<text>.+)$", re.S)


@dataclass(frozen=True)
class KeyPoint:
    text: str
    weight: int = 1
    aliases: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class FollowUp:
    """A 追问: linked to a bank question (`see`), answered in place (`answer` + 1–3 key points),
    or open (neither: shown on the page, never asked by a mock interview)."""

    text: str
    see: str = ""
    answer: str = ""
    key_points: tuple[KeyPoint, ...] = ()
    probes: tuple[int, ...] = ()  # 0-based indexes of the parent question's key points
    line: int = field(default=0, compare=False)

    @property
    def is_open(self) -> bool:
        return not self.see and not self.answer


@dataclass(frozen=True)
class Sample:
    """A sample answer kept with the question: a strong one must pass the rubric, a wrong one fail."""

    kind: str  # strong | partial | wrong
    text: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool


@dataclass
class QuestionData:
    id: str
    title: str
    difficulty: str
    line: int = 0
    qtype: str = "free"
    tags: tuple[str, ...] = ()
    body: str = ""
    answer: str = ""
    extended: str = ""
    key_points: tuple[KeyPoint, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    sources: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    numeric_answer: Decimal | None = None
    tolerance: str = ""
    unit: str = ""
    samples: tuple[Sample, ...] = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuestionData):
            return NotImplemented
        return self.comparable() == other.comparable()

    def comparable(self) -> tuple:
        """Everything but the line number: what makes two versions of a question the same."""
        return tuple(getattr(self, f) for f in self.__dataclass_fields__ if f != "line")


@dataclass
class SetData:
    slug: str
    title: str
    description: str
    order: int
    path: str = ""
    questions: list[QuestionData] = field(default_factory=list)


@dataclass(frozen=True)
class ContentError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentErrors(Exception):
    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def parse_tolerance(text: str) -> tuple[Decimal, bool]:
    """'10%' -> (10, True); '0.5' -> (0.5, False). Raises ValueError."""
    text = str(text).strip()
    relative = text.endswith("%")
    try:
        value = Decimal(text[:-1].strip() if relative else text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite() or value < 0:
        raise ValueError(text)
    return value, relative


def numeric_matches(given: Decimal, answer: Decimal, tolerance: str) -> bool:
    value, relative = parse_tolerance(tolerance)
    allowed = abs(answer) * value / 100 if relative else value
    return abs(given - answer) <= allowed


class _Parser:
    def __init__(self, text: str, path: str):
        self.path = path
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.errors: list[ContentError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(ContentError(self.path, line, message))

    def parse(self) -> SetData:
        start, meta = self.front_matter()
        data = self.set_data(meta)
        for line_no, chunk in self.question_chunks(start):
            question = self.question(line_no, chunk)
            if question is not None:
                data.questions.append(question)
        self.check_unique_ids(data.questions)
        if self.errors:
            raise ContentErrors(self.errors)
        return data

    # -- the set ---------------------------------------------------------------------------
    def front_matter(self) -> tuple[int, dict]:
        if not self.lines or self.lines[0].strip() != "---":
            self.error(1, "文件必须以 YAML front matter 开头（第一行是 ---）")
            return 0, {}
        for i in range(1, len(self.lines)):
            if self.lines[i].strip() == "---":
                meta = self.yaml_mapping("\n".join(self.lines[1:i]), 2, "front matter")
                return i + 1, meta
        self.error(1, "front matter 没有结束的 ---")
        return len(self.lines), {}

    def yaml_mapping(self, text: str, first_line: int, what: str) -> dict:
        try:
            value = yaml.load(text, Loader=SAFE_LOADER) if text.strip() else {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            # a mark past the end (an unclosed bracket) points at the block's last line
            last = max(0, len(text.rstrip("\n").split("\n")) - 1)
            line = first_line + min(mark.line if mark else 0, last)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.error(line, f"{what} 不是合法的 YAML（每行写成 key: value，列表写成 [a, b]）：{problem}")
            return {}
        if not isinstance(value, dict):
            self.error(first_line, f"{what} 必须是 key: value 形式的映射")
            return {}
        return value

    def set_data(self, meta: dict) -> SetData:
        for key in meta:
            if key not in SET_FIELDS:
                self.error(self.meta_line(key), f"未知的题集字段 {key!r}（可用：{', '.join(SET_FIELDS)}）")
        for key in REQUIRED_SET_FIELDS:
            if meta.get(key) in (None, ""):
                if meta or not self.errors:
                    self.error(1, f"front matter 缺少 {key}")
        slug = str(meta.get("slug") or "")
        if slug and not SLUG_RE.match(slug):
            self.error(self.meta_line("slug"), f"slug {slug!r} 只能包含小写字母、数字和 -")
        order = meta.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool):
            self.error(self.meta_line("order"), f"order 必须是整数，而不是 {order!r}")
            order = 0
        return SetData(
            slug=slug,
            title=str(meta.get("title") or "").strip(),
            description=str(meta.get("description") or "").strip(),
            order=order,
            path=self.path,
        )

    def meta_line(self, key: str) -> int:
        for i, line in enumerate(self.lines[1:], start=2):
            if line.strip() == "---":
                break
            if line.startswith(f"{key}:"):
                return i
        return 1

    # -- questions -------------------------------------------------------------------------
    def question_chunks(self, start: int):
        """Yield (line number of the heading, [(line number, text), ...]) per question."""
        current: list[tuple[int, str]] | None = None
        in_fence, fence_line = "", 0
        for i in range(start, len(self.lines)):
            line, line_no = self.lines[i], i + 1
            fence = FENCE_RE.match(line)
            if fence and (not in_fence or fence.group(1).startswith(in_fence)):
                in_fence, fence_line = ("", 0) if in_fence else (fence.group(1), line_no)
            if not in_fence and line.startswith("## "):
                if current:
                    yield current[0][0], current
                current = [(line_no, line)]
            elif current is not None:
                current.append((line_no, line))
            elif line.strip():
                self.error(line_no, "第一个问题（## 标题 {#id}）之前不能有正文")
        if in_fence:
            self.unclosed_fence = fence_line
            self.error(fence_line, f"代码块没有闭合：这一行开始的 {in_fence} 到文件末尾都没有结束的 {in_fence}")
        if current:
            yield current[0][0], current

    def question(self, line_no: int, chunk: list[tuple[int, str]]) -> QuestionData | None:
        match = QUESTION_RE.match(chunk[0][1])
        title, qid = match.group("title"), match.group("id")
        errors_before = len(self.errors)
        if not qid and "{#" in title:
            self.error(line_no, "id 只能包含小写字母、数字和 -，写在标题末尾的 {#…} 里，例如 {#rag-rerank}")
        elif not qid:
            self.error(line_no, f"问题缺少 id：标题后面要写 {{#some-id}}（{title[:30]}）")
        elif not ID_RE.match(qid):
            self.error(line_no, f"id {qid!r} 只能包含小写字母、数字和 -，最长 80 个字符")
        if not title:
            self.error(line_no, "问题标题为空")
        elif len(title) > MAX_TITLE:
            self.error(line_no, f"问题标题太长：{len(title)} 个字符，最多 {MAX_TITLE} 个（细节写进题干）")

        # metadata: the lines right under the heading, up to the first blank line
        rest = chunk[1:]
        meta_lines: list[tuple[int, str]] = []
        while rest and rest[0][1].strip() and not rest[0][1].startswith("#"):
            meta_lines.append(rest.pop(0))
        errors_before_meta = len(self.errors)
        meta = self.yaml_mapping(
            "\n".join(text for _, text in meta_lines), meta_lines[0][0] if meta_lines else line_no, "元数据"
        )
        q = QuestionData(id=qid or "", title=title, difficulty="", line=line_no)
        if len(self.errors) == errors_before_meta:  # unreadable metadata: its fields are not "missing"
            self.question_meta(q, meta, meta_lines, line_no)
        self.question_sections(q, rest, line_no)
        self.question_checks(q, line_no)
        return q if len(self.errors) == errors_before else None

    def question_meta(self, q: QuestionData, meta: dict, meta_lines, line_no: int) -> None:
        def line_of(key: str) -> int:
            for n, text in meta_lines:
                if text.startswith(f"{key}:"):
                    return n
            return line_no

        for key in meta:
            if key not in QUESTION_FIELDS:
                self.error(line_of(key), f"未知的问题字段 {key!r}（可用：{', '.join(QUESTION_FIELDS)}）")
        difficulty = meta.get("difficulty")
        if difficulty is None:
            self.error(line_no, "缺少 difficulty（easy / medium / hard）")
        elif difficulty not in DIFFICULTIES:
            self.error(line_of("difficulty"), f"difficulty 必须是 easy / medium / hard，而不是 {difficulty!r}")
        q.difficulty = difficulty or ""
        qtype = meta.get("type", "free")
        if qtype not in TYPES:
            self.error(line_of("type"), f"type 必须是 {' / '.join(TYPES)} 之一，而不是 {qtype!r}")
        q.qtype = qtype if qtype in TYPES else "free"
        tags = meta.get("tags") or []
        if isinstance(tags, str):
            tags = [t for t in re.split(r"[,，]", tags)]
        if not isinstance(tags, list) or any(isinstance(t, (dict, list)) for t in tags):
            self.error(line_of("tags"), "tags 必须是词的列表，例如 [rag, rerank]")
            tags = []
        q.tags = tuple(dict.fromkeys(str(t).strip() for t in tags if str(t).strip()))
        q.unit = str(meta.get("unit") or "").strip()
        if q.qtype == "numeric":
            self.numeric_meta(q, meta, meta_lines, line_of)
        else:
            for key in ("answer", "tolerance", "unit"):
                if key in meta:
                    self.error(line_of(key), f"{key} 只用于 type: numeric 的问题")

    def numeric_meta(self, q: QuestionData, meta: dict, meta_lines, line_of) -> None:
        raw = meta.get("answer")
        # the literal text, not YAML's float, so that 1.5e9 or 0.10 survive a round trip
        for _, text in meta_lines:
            if text.startswith("answer:") and raw is not None:
                raw = text.split(":", 1)[1].strip().strip("'\"")
        if raw is None or isinstance(raw, bool):
            self.error(line_of("type"), "numeric 问题缺少 answer（数值答案）")
        else:
            try:
                q.numeric_answer = Decimal(str(raw).strip().replace(",", ""))
                if not q.numeric_answer.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                self.error(line_of("answer"), f"answer {raw!r} 不是数字")
        tolerance = meta.get("tolerance")
        if tolerance is None:
            self.error(line_of("type"), "numeric 问题缺少 tolerance（例如 0.5 或 10%）")
            return
        try:
            parse_tolerance(str(tolerance))
            q.tolerance = str(tolerance).strip()
        except ValueError:
            self.error(line_of("tolerance"), f"tolerance {tolerance!r} 不是非负数或百分比（例如 0.5 或 10%）")

    def question_sections(self, q: QuestionData, rest: list[tuple[int, str]], line_no: int) -> None:
        parts: dict[str, list[tuple[int, str]]] = {"body": []}
        current = "body"
        in_fence = ""
        for n, text in rest:
            fence = FENCE_RE.match(text)
            if fence and (not in_fence or fence.group(1).startswith(in_fence)):
                in_fence = "" if in_fence else fence.group(1)
            section = SECTION_RE.match(text) if not in_fence else None
            if section:
                key = SECTION_BY_NAME.get(section.group("name").casefold())
                if key is None:
                    names = "、".join(names[0] for names in SECTIONS.values())
                    self.error(n, f"未知的小节 {section.group('name')!r}（可用：{names}）")
                    current = "_unknown"
                elif key in parts:
                    self.error(n, f"小节 {section.group('name')!r} 重复")
                    current = "_unknown"
                else:
                    current = key
                parts[current] = [(n, "")] if current != "_unknown" else []
                continue
            parts.setdefault(current, []).append((n, text))
        q.body = block(parts["body"])
        q.answer = block(parts.get("answer", []))
        q.extended = block(parts.get("extended", []))
        for key in LIST_SECTIONS:
            if key == "follow_ups":
                items = self.follow_up_items(parts.get(key, []))
                q.follow_ups = tuple(self.follow_up(n, text, lines) for n, text, lines in items)
            elif key in parts:
                items = self.list_items(parts[key], key)
                setattr(q, key, tuple(self.list_item(key, n, item) for n, item in items))
        q.options = tuple(o for o in q.options if o is not None)
        q.key_points = tuple(k for k in q.key_points if k is not None)
        q.samples = tuple(s for s in q.samples if s is not None)
        q.follow_ups = tuple(f for f in q.follow_ups if f is not None)
        self.section_lines = {key: (lines[0][0] if lines else line_no) for key, lines in parts.items()}

    def list_items(self, lines: list[tuple[int, str]], key: str) -> list[tuple[int, str]]:
        items: list[tuple[int, str]] = []
        for n, text in lines:
            if not text.strip():
                continue
            bullet = re.match(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+(.*)$", text)
            if bullet:
                items.append((n, bullet.group(1).strip()))
            elif items and text.startswith((" ", "\t")):
                items[-1] = (items[-1][0], f"{items[-1][1]} {text.strip()}")
            else:
                self.error(n, f"{SECTIONS[key][0]} 小节只能是列表（每项以 - 开头）")
        return items

    def list_item(self, key: str, n: int, item: str):
        if key == "options":
            task = TASK_RE.match(item)
            if not task:
                self.error(n, "选项必须写成任务列表：- [x] 正确选项 / - [ ] 错误选项")
                return None
            return Option(text=task.group("text").strip(), correct=task.group("mark") != " ")
        if key == "key_points":
            return self.key_point(n, item)
        if key == "samples":
            return self.sample(n, item)
        return item

    def sample(self, n: int, item: str) -> Sample | None:
        match = SAMPLE_RE.match(item)
        if not match or match.group("kind") not in SAMPLE_KINDS:
            self.error(n, "样例答案写成 - strong: … / - partial: … / - wrong: …（完整 / 部分 / 错误 也可以）")
            return None
        return Sample(SAMPLE_KINDS[match.group("kind")], match.group("text").strip(), line=n)

    def attributes(self, n: int, item: str, what: str, allowed: tuple[str, ...], example: str):
        """Split `text {key=value key="a|b"}` into (text, {key: value}); None after an error."""
        values: dict[str, str] = {}
        attrs = KEY_POINT_ATTRS_RE.search(item)
        if attrs:
            item = item[: attrs.start()].strip()
            raw = attrs.group("attrs")
            consumed = 0
            for m in ATTR_RE.finditer(raw):
                consumed += len(m.group(0))
                key, value = m.group("key"), m.group("quoted") if m.group("quoted") is not None else m.group("bare")
                if key not in allowed:
                    self.error(n, f"{what}的未知属性 {key!r}（可用：{'、'.join(allowed)}）")
                    return None
                if key in values:
                    self.error(n, f"{what}的属性 {key} 写了两次")
                    return None
                values[key] = value
            if consumed != len(raw.rstrip()):
                self.error(n, f"{what}属性写法不对：{{{raw}}}（例如 {example}）")
                return None
        if UNPARSED_ATTRS_RE.search(item):
            self.error(n, f"{what}属性没有解析：{item[:60]}（写在行尾，例如 {example}）")
            return None
        return item, values

    def key_point(self, n: int, item: str) -> KeyPoint | None:
        parsed = self.attributes(n, item, "关键点", KEY_POINT_ATTRS, KEY_POINT_EXAMPLE)
        if parsed is None:
            return None
        item, attrs = parsed
        weight = attrs.get("weight", "1")
        if not PROBE_RE.match(weight) or not 1 <= int(weight) <= 5:
            self.error(n, f"weight 必须是 1–5 的整数，而不是 {weight!r}")
            return None
        aliases = tuple(dict.fromkeys(a.strip() for a in attrs.get("aliases", "").split("|") if a.strip()))
        if not item:
            self.error(n, "关键点为空")
            return None
        return KeyPoint(text=item, weight=int(weight), aliases=aliases, line=n)

    # -- follow-ups --------------------------------------------------------------------------
    def follow_up_items(self, lines: list[tuple[int, str]]) -> list[tuple[int, str, list[tuple[int, str]]]]:
        """(line, question text, the lines after it from its first blank line on) per item."""
        items: list[tuple[int, str, list[tuple[int, str]]]] = []
        for n, text in lines:
            bullet = FOLLOW_UP_RE.match(text)
            if bullet:
                items.append((n, bullet.group(1).strip(), []))
            elif not items:
                if text.strip():
                    self.error(n, "追问 小节只能是列表（每项以 - 开头）")
            elif not text.strip():
                items[-1][2].append((n, ""))
            elif text.startswith((" ", "\t")):
                if items[-1][2] or NESTED_BULLET_RE.match(text.strip()):
                    items[-1][2].append((n, text))
                else:  # the question itself wrapped onto the next line
                    items[-1] = (items[-1][0], f"{items[-1][1]} {text.strip()}", [])
            else:
                self.error(n, "追问 小节只能是列表（每项以 - 开头；答案和关键点缩进 2 个空格）")
        return items

    def follow_up(self, n: int, item: str, lines: list[tuple[int, str]]) -> FollowUp | None:
        parsed = self.attributes(n, item, "追问", FOLLOW_UP_ATTRS, FOLLOW_UP_EXAMPLE)
        if parsed is None:
            return None
        text, attrs = parsed
        if not text:
            self.error(n, "追问为空")
            return None
        see = attrs.get("see", "")
        if "see" in attrs and not ID_RE.match(see):
            self.error(n, f"see={see!r} 不是题目 id（小写字母、数字和 -）")
            return None
        probes: list[int] = []
        for part in attrs["probes"].split("|") if "probes" in attrs else ():
            if not PROBE_RE.match(part.strip()) or int(part) < 1:
                self.error(
                    n, f'probes 里的 {part.strip()!r} 不是本题关键点的序号（从 1 开始的整数，例如 probes="1|3"）'
                )
                return None
            probes.append(int(part) - 1)
        if see and any(t.strip() for _, t in lines):
            self.error(n, f"追问有 see={see} 就不能再写答案（答案在链接的题目里）")
            return None
        answered = self.follow_up_answer(n, lines)
        if answered is None:
            return None
        answer, key_points = answered
        return FollowUp(text, see, answer, key_points, tuple(dict.fromkeys(probes)), line=n)

    def follow_up_answer(self, n: int, lines: list[tuple[int, str]]) -> tuple[str, tuple[KeyPoint, ...]] | None:
        """The indented short answer (one paragraph) and its nested list of 1–3 key points."""
        paragraph: list[str] = []
        points: list[tuple[int, str]] = []
        ended = False  # a blank line after the paragraph
        for line_no, text in lines:
            if not text.strip():
                ended = ended or bool(paragraph)
                continue
            if not text.startswith("  "):
                self.error(line_no, "追问的答案和关键点要缩进 2 个空格")
                return None
            bullet = NESTED_BULLET_RE.match(text[2:])
            if bullet:
                points.append((line_no, bullet.group(1).strip()))
            elif points and text.startswith("    "):  # a key point wrapped onto the next line
                points[-1] = (points[-1][0], f"{points[-1][1]} {text.strip()}")
            elif points:
                self.error(line_no, "追问的关键点后面不能再有正文（先写一段答案，再写关键点列表）")
                return None
            elif ended:
                self.error(line_no, "追问的答案只能是一段（1–3 句）")
                return None
            else:
                paragraph.append(text.strip())
        if not paragraph and not points:
            return "", ()
        if not paragraph:
            self.error(points[0][0], "追问的关键点前面要有一段简短答案（缩进 2 个空格）")
            return None
        if not points:
            self.error(n, "有答案的追问需要 1–3 条关键点（答案下面缩进的 - 列表）")
            return None
        if len(points) > MAX_FOLLOW_UP_POINTS:
            self.error(points[MAX_FOLLOW_UP_POINTS][0], f"追问最多 3 条关键点，这里有 {len(points)} 条")
            return None
        key_points = [self.key_point(line_no, text) for line_no, text in points]
        if None in key_points:
            return None
        return "\n".join(paragraph), tuple(key_points)

    def question_checks(self, q: QuestionData, line_no: int) -> None:
        lines = getattr(self, "section_lines", {})
        if getattr(self, "unclosed_fence", 0) >= line_no:
            return  # the open code block swallowed the rest: "no answer" / "no key points" would mislead
        if not q.answer:
            self.error(lines.get("answer", line_no), "回答重点为空（每个问题都要有 ### 回答重点）")
        seen_points: dict[str, int] = {}
        for k in q.key_points:
            same = re.sub(r"\s+", "", k.text.casefold())
            if same in seen_points:
                self.error(k.line, f"关键点重复：和第 {seen_points[same]} 行的关键点一样")
            seen_points.setdefault(same, k.line)
        if not q.key_points:
            self.error(lines.get("key_points", line_no), "没有关键点（### 关键点 下至少 1 条，建议 3–8 条）")
        elif len(q.key_points) > 8:
            self.error(lines["key_points"], f"关键点最多 8 条，这里有 {len(q.key_points)} 条")
        if q.qtype in ("single", "multi"):
            correct = sum(o.correct for o in q.options)
            where = lines.get("options", line_no)
            if len(q.options) < 2:
                self.error(where, "选择题至少要有 2 个选项（### 选项）")
            elif correct == 0:
                self.error(where, "选择题没有正确选项（用 - [x] 标出）")
            elif q.qtype == "single" and correct != 1:
                self.error(where, f"单选题只能有 1 个正确选项，这里有 {correct} 个")
        elif q.options:
            self.error(lines.get("options", line_no), "只有 single / multi 类型的问题可以有选项")
        for f in q.follow_ups:
            if f.see and f.see == q.id:
                self.error(f.line, f"追问的 see={f.see} 指向了本题自己")
            for p in f.probes:
                if q.key_points and p >= len(q.key_points):
                    self.error(f.line, f"probes 里的 {p + 1} 超出了本题的关键点条数（{len(q.key_points)} 条）")

    def check_unique_ids(self, questions: list[QuestionData]) -> None:
        seen: dict[str, int] = {}
        for q in questions:
            if q.id in seen:
                self.error(q.line, f"id {q.id!r} 重复（第 {seen[q.id]} 行已经用过）")
            else:
                seen[q.id] = q.line


def block(lines: list[tuple[int, str]]) -> str:
    """Join a section's lines, trimming blank lines at both ends."""
    text = "\n".join(t for _, t in lines)
    return text.strip("\n").rstrip()


def parse_set(text: str, path: str = "<string>") -> SetData:
    """Parse one question-set file; raise ContentErrors naming file and line for every problem."""
    return _Parser(text, path).parse()


def parse_question(text: str, path: str = "<editor>") -> QuestionData:
    """Parse one question block (`## 标题 {#id}` and what follows, no front matter): the editor's
    text. Line 1 is the heading; errors are those the loader reports for the same block."""
    parser = _Parser(text, path)
    chunks = list(parser.question_chunks(0))
    question = None
    if not chunks:
        if not parser.errors:
            parser.error(1, "问题要以 ## 标题 {#id} 开头")
    else:
        for line_no, _ in chunks[1:]:
            parser.error(line_no, "这里只能写一个问题：又出现了一个 ## 标题")
        question = parser.question(*chunks[0])
    if parser.errors or question is None:
        raise ContentErrors(parser.errors)
    return question


def heading_ids(text: str) -> list[str]:
    """The ids of a file's question headings, read without parsing the rest."""
    return [m.group("id") for line in text.split("\n") if (m := QUESTION_RE.match(line)) and m.group("id")]


def open_follow_ups(data: SetData) -> list[ContentError]:
    """One warning per follow-up with neither `see=` nor an answer (a mock interview skips it)."""
    return [
        ContentError(data.path, f.line, f"追问没有答案也没有链接（模拟面试不会问）：{f.text[:40]}")
        for q in data.questions
        for f in q.follow_ups
        if f.is_open
    ]


# -- formatting ----------------------------------------------------------------------------
def format_set(data: SetData) -> str:
    """Write a set in the canonical format (Chinese section names, fixed spacing)."""
    front = yaml.safe_dump(
        {"slug": data.slug, "title": data.title, "description": data.description, "order": data.order},
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
    )
    parts = [f"---\n{front}---\n"]
    parts += [format_question(q) for q in data.questions]
    return "\n".join(parts)


SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _yaml_scalar(value) -> str:
    text = yaml.dump(value, Dumper=SAFE_DUMPER, allow_unicode=True, default_flow_style=True, width=10_000)
    return text.strip().removesuffix("\n...").removesuffix("...").strip()


def format_question(q: QuestionData) -> str:
    lines = [f"## {q.title} {{#{q.id}}}", f"difficulty: {q.difficulty}"]
    if q.tags:
        lines.append(f"tags: {_yaml_scalar(list(q.tags))}")
    if q.qtype != "free":
        lines.append(f"type: {q.qtype}")
    if q.qtype == "numeric":
        lines.append(f"answer: {q.numeric_answer}")
        lines.append(f"tolerance: {_yaml_scalar(q.tolerance)}")
        if q.unit:
            lines.append(f"unit: {_yaml_scalar(q.unit)}")
    out = ["\n".join(lines) + "\n"]
    if q.body:
        out.append(q.body + "\n")
    if q.options:
        out.append(section("options", [f"[{'x' if o.correct else ' '}] {o.text}" for o in q.options]))
    out.append(section("answer", q.answer))
    if q.extended:
        out.append(section("extended", q.extended))
    out.append(section("key_points", [format_key_point(k) for k in q.key_points]))
    if q.follow_ups:
        out.append(section("follow_ups", "\n".join(format_follow_up(f) for f in q.follow_ups)))
    if q.sources:
        out.append(section("sources", list(q.sources)))
    if q.samples:
        out.append(section("samples", [f"{s.kind}: {s.text}" for s in q.samples]))
    return "\n".join(out)


def section(key: str, content: str | list[str]) -> str:
    text = content if isinstance(content, str) else "\n".join(f"- {item}" for item in content)
    return f"### {SECTIONS[key][0]}\n\n{text}\n"


def format_key_point(k: KeyPoint) -> str:
    attrs = []
    if k.weight != 1:
        attrs.append(f"weight={k.weight}")
    if k.aliases:
        attrs.append(f'aliases="{"|".join(k.aliases)}"')
    return f"{k.text} {{{' '.join(attrs)}}}" if attrs else k.text


def format_follow_up(f: FollowUp) -> str:
    attrs = [f"see={f.see}"] if f.see else []
    if f.probes:
        attrs.append(f'probes="{"|".join(str(p + 1) for p in f.probes)}"')
    head = f"- {f.text} {{{' '.join(attrs)}}}" if attrs else f"- {f.text}"
    if not f.answer:
        return head
    answer = "\n".join(f"  {line}" for line in f.answer.split("\n"))
    points = "\n".join(f"  - {format_key_point(k)}" for k in f.key_points)
    return f"{head}\n\n{answer}\n\n{points}"
