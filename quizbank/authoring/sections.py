"""The sections of a question block as text, for a block that may not parse yet: its title and
reference answer, and a section replaced or extended (what an LLM suggestion changes)."""

from __future__ import annotations

from quizbank.bank.markup import QUESTION_RE, SECTION_BY_NAME, SECTIONS, ContentErrors, parse_question


def heading_title(source: str) -> str:
    """The title on a block's `## … {#id}` heading, "" when there is none."""
    return next((m.group("title") for line in source.split("\n") if (m := QUESTION_RE.match(line))), "")


def title_and_reference(source: str) -> tuple[str, str]:
    """The title and the 回答重点 (+ 扩展知识) of a block, even one that does not parse yet."""
    try:
        data = parse_question(source)
        return data.title, "\n\n".join(filter(None, [data.answer, data.extended]))
    except ContentErrors:
        pass
    lines = source.replace("\r\n", "\n").split("\n")
    title = heading_title("\n".join(lines))
    spans = _sections(lines)
    reference = [
        "\n".join(lines[start + 1 : end]).strip() for key, start, end in spans if key in ("answer", "extended")
    ]
    return title, "\n\n".join(filter(None, reference))


def replace_section(source: str, key: str, body: str) -> str:
    lines = source.rstrip("\n").split("\n")
    for name, start, end in _sections(lines):
        if name == key:
            return "\n".join([*lines[: start + 1], "", body, "", *lines[end:]]).rstrip("\n") + "\n"
    return "\n".join([*lines, "", f"### {SECTIONS[key][0]}", "", body]) + "\n"


def append_to_section(source: str, key: str, body: str) -> str:
    lines = source.rstrip("\n").split("\n")
    for name, start, end in _sections(lines):
        if name == key:
            kept = "\n".join(lines[start + 1 : end]).strip("\n")
            return replace_section(source, key, f"{kept}\n{body}" if kept else body)
    return replace_section(source, key, body)


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(section key, heading index, end index) of each ### section outside code fences."""
    found, fence = [], ""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fence = "" if fence else stripped[:3]
            continue
        if fence or not (line.startswith("### ") or line.startswith("## ")):
            continue
        if found and found[-1][2] is None:
            found[-1] = (found[-1][0], found[-1][1], i)
        key = SECTION_BY_NAME.get(line[4:].strip().casefold()) if line.startswith("### ") else None
        found.append((key, i, None))
    if found and found[-1][2] is None:
        found[-1] = (found[-1][0], found[-1][1], len(lines))
    return [(k, s, e) for k, s, e in found if k]
