"""The glossary: its format and errors (file and line), matching, and the bundled one."""

import pytest

from quizbank.bank.glossary import build, load_glossary, parse_glossary
from quizbank.bank.markup import ContentErrors
from quizbank.bank.vocabulary import glossary_dir

GOOD = """---
title: 术语表 · 测试
---

## 注意力

- 平方根 | 根号 | 开根号 | √ | sqrt | square root
- 增大 | 变大 | 越来越大 | increase {opposite="减小"}
- 减小 | 变小 {opposite="增大"}
- KV Cache | KV 缓存 | 键值缓存
- ring all-reduce | 环形 all-reduce
"""


def errors_of(text, path="content/glossary/x.md"):
    with pytest.raises(ContentErrors) as raised:
        build(parse_glossary(text, path))
    return [str(e) for e in raised.value.errors]


def test_a_glossary_file_parses_into_entries_with_their_wordings_and_opposites():
    entries = parse_glossary(GOOD, "g.md")
    assert [e.name for e in entries] == ["平方根", "增大", "减小", "KV Cache", "ring all-reduce"]
    assert entries[1].opposite == "减小" and entries[1].line == 8 and entries[0].terms[3] == "√"
    glossary = build(entries)
    assert glossary.opposite_of(1) == 2 and glossary.entry_of("KV-cache") == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("- 平方根 | | 根号", "有空的术语"),
        ("- 平方根 | 方", "太短"),
        ("- 平方根 | 根号 | 根 号", "重复"),
        ('- 增大 {opposite="不存在的词"}', "不是任何词条的名字"),
        ('- 增大 {kind="x"}', "未知属性"),
        ("- 加速 | 不需要等待", "含否定词"),
        ("这一行不是列表", "只能是列表项"),
    ],
)
def test_every_problem_names_the_file_and_line(line, message):
    errors = errors_of(f"---\ntitle: t\n---\n\n{line}\n")
    assert len(errors) == 1 and errors[0].startswith("content/glossary/x.md:5:") and message in errors[0]


def test_a_wording_in_two_entries_is_an_error_naming_both_places(tmp_path):
    (tmp_path / "a.md").write_text("- 平方根 | 根号\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("\n- 开方 | 根号\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as raised:
        load_glossary(tmp_path)
    assert "b.md:2" in str(raised.value) and "a.md:1" in str(raised.value)


def test_matching_ignores_case_width_spaces_and_hyphens_but_not_word_boundaries():
    glossary = build(parse_glossary(GOOD, "g.md"))
    found = lambda text: [glossary.entries[m.entry].name for m in glossary.find(text)]  # noqa: E731
    assert found("ＫＶ-cache 和 kvcache 都占显存") == ["KV Cache", "KV Cache"]
    assert found("根号dk，数值越来越大") == ["平方根", "增大"]
    assert found("bring the ring all reduce") == ["ring all-reduce"]
    assert found("during training") == []


def test_expansions_give_the_other_wordings_of_what_the_text_says():
    glossary = build(parse_glossary(GOOD, "g.md"))
    assert glossary.expansions("为什么除以根号") == ["平方根", "开根号", "√", "sqrt", "square root"]


def test_the_bundled_glossary_loads_and_is_large():
    glossary = load_glossary(glossary_dir())
    wordings = sum(len(e.terms) for e in glossary.entries)
    assert len(glossary) >= 400 and wordings >= 2000
    assert sum(bool(e.opposite) for e in glossary.entries) >= 100
    assert glossary.entry_of("开根号") == glossary.entry_of("√") and glossary.entry_of("复读机") is not None


def test_entry_names_are_terms_of_their_entry():
    glossary = load_glossary(glossary_dir())
    assert all(glossary.entry_of(e.name) is not None for e in glossary.entries)
