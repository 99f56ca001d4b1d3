"""The interview-track format: parsed and validated like question sets, errors with file:line,
a load of a broken directory writes nothing."""

import pytest

from quizbank.bank.markup import ContentErrors
from quizbank.interviews import tracks
from quizbank.interviews.loader import load_tracks
from quizbank.interviews.models import Track

GOOD = """---
slug: rag-1
title: RAG 一面
questions: 4
minutes_per_question: 5
follow_ups: true
difficulty: [easy, medium, hard]
topics:
  rag: 3
  prompting: 1
---

一面考什么。
"""


def test_a_track_parses():
    track = tracks.parse_track(GOOD, "t.md", {"rag", "prompting"})
    assert (track.slug, track.questions, track.topics, track.difficulty) == (
        "rag-1",
        4,
        {"rag": 3, "prompting": 1},
        ("easy", "medium", "hard"),
    )
    assert track.description == "一面考什么。"


@pytest.mark.parametrize(
    "change, line, words",
    [
        (("questions: 4", "questions: 0"), 4, "questions"),
        (("questions: 4", "questions: 99"), 4, "questions"),
        (("minutes_per_question: 5", "minutes_per_question: fast"), 5, "minutes_per_question"),
        (("follow_ups: true", "follow_ups: sometimes"), 6, "follow_ups"),
        (("difficulty: [easy, medium, hard]", "difficulty: [easy, brutal]"), 7, "difficulty"),
        (("  prompting: 1", "  nosuchset: 1"), 10, "nosuchset"),
        (("  rag: 3", "  rag: -2"), 9, "权重"),
        (("title: RAG 一面", "title: RAG 一面\ncolour: red"), 4, "colour"),
        (("slug: rag-1", "slug: RAG One"), 2, "slug"),
        (("\n一面考什么。\n", "\n"), 11, "正文为空"),
    ],
)
def test_every_error_names_its_line(change, line, words):
    text = GOOD.replace(*change)
    with pytest.raises(ContentErrors) as exc:
        tracks.parse_track(text, "t.md", {"rag", "prompting"})
    messages = [str(e) for e in exc.value.errors]
    assert any(m.startswith(f"t.md:{line}:") and words in m for m in messages), messages


def test_broken_yaml_and_missing_front_matter_are_errors():
    with pytest.raises(ContentErrors, match="t.md:1:"):
        tracks.parse_track("no front matter", "t.md")
    with pytest.raises(ContentErrors, match="t.md:3:.*YAML"):
        tracks.parse_track("---\nslug: a\ntopics: [unclosed\n---\n", "t.md")


def test_the_curve_stretches_from_warm_up_to_hard():
    curve = tracks.curve(["easy", "medium", "hard"], 5)
    assert curve[0] == "easy" and curve[-1] == "hard" and len(curve) == 5
    assert tracks.curve(["easy", "hard"], 1) == ["hard"] and tracks.curve(["medium"], 3) == ["medium"] * 3
    assert [tracks.shift(d, -1) for d in ("easy", "medium", "hard")] == ["easy", "easy", "medium"]
    assert [tracks.shift(d, 1) for d in ("easy", "medium", "hard")] == ["medium", "hard", "hard"]


@pytest.mark.django_db
def test_the_bundled_tracks_load_and_fit_the_bank():
    summary = load_tracks(check=True)
    assert summary["tracks"] >= 4
    assert Track.objects.filter(retired_at__isnull=True).count() >= 4


@pytest.mark.django_db
def test_a_directory_with_one_bad_track_writes_nothing(tmp_path, settings):
    directory = tmp_path / "tracks"
    directory.mkdir()
    (directory / "a.md").write_text(GOOD.replace("rag-1", "fresh-a"), encoding="utf-8")
    (directory / "b.md").write_text(
        GOOD.replace("rag-1", "fresh-b").replace("questions: 4", "questions: x"), encoding="utf-8"
    )
    before = Track.objects.count()
    with pytest.raises(ContentErrors, match="b.md:4:"):
        load_tracks(directory)
    assert Track.objects.count() == before and not Track.objects.filter(slug="fresh-a").exists()


@pytest.mark.django_db
def test_a_track_removed_from_the_files_is_retired(tmp_path):
    directory = tmp_path / "tracks"
    directory.mkdir()
    (directory / "a.md").write_text(GOOD.replace("rag-1", "only-one"), encoding="utf-8")
    load_tracks(directory)
    assert Track.objects.filter(slug="only-one", retired_at__isnull=True).exists()
    assert not Track.objects.filter(slug="rag-engineer-round1", retired_at__isnull=True).exists()
