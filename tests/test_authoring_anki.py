"""export_anki: the .apkg read back as a zip holding an SQLite collection — notes, decks, the
note type, formulas and code intact, stable ids, and a learner's schedule carried into `cards`."""

import html
import json
import re
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from quizbank.authoring.anki import AnkiExportError, deck_id, export_anki, note_guid, stable_id
from quizbank.authoring.anki_schedule import StudyDays, ease_factor
from quizbank.bank.models import Question
from quizbank.practice import services
from quizbank.practice.models import Card
from tests.helpers import load, run_command, write_set
from tests.practice_factories import make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 14:00 in Asia/Shanghai

DEMO = r"""---
slug: anki-demo
title: Anki 示例
description: 导出到 Anki 的测试题集。
order: 90
---

## 注意力分数怎么算？ {#anki-demo-attention}
difficulty: easy
tags: [attention, multi head]

### 回答重点

当 $a<b$ 且 $\begin{pmatrix}1 & 2\end{pmatrix}$ 时，分数为：

$$
s = \frac{q \cdot k}{\sqrt{d_k}} < 1
$$

```python
if a < b and c & d:
    return "x"
```

### 关键点

- 点积相似度 {weight=2}
- 除以根号 d_k

### 追问

- 为什么要缩放？ {see=anki-demo-choice}
- 不缩放会怎样？

  softmax 饱和，梯度很小。

  - 梯度很小

## 哪一项是缩放因子？ {#anki-demo-choice}
difficulty: medium
type: single

### 选项

- [ ] $d_k$
- [x] $\sqrt{d_k}$
- [ ] 1

### 回答重点

除以 $\sqrt{d_k}$。

### 关键点

- 根号 d_k

## 7B 模型 BF16 权重多大？ {#anki-demo-numeric}
difficulty: hard
type: numeric
answer: 14
tolerance: 5%
unit: GB

### 回答重点

每个参数 2 字节。

### 关键点

- 2 字节
"""


@pytest.fixture
def demo(content_dir):
    write_set(content_dir, "anki-demo.md", DEMO)
    load(content_dir, update_index=False)
    return content_dir


def read_collection(path, tmp_path):
    with zipfile.ZipFile(path) as apkg:
        assert "collection.anki2" in apkg.namelist()
        apkg.extract("collection.anki2", tmp_path / "read")
    conn = sqlite3.connect(tmp_path / "read" / "collection.anki2")
    conn.row_factory = sqlite3.Row
    return conn


def notes_by_id(conn):
    """{question id: {field name: value} + guid, tags, card row}."""
    (models_json,) = conn.execute("SELECT models FROM col").fetchone()
    (model,) = json.loads(models_json).values()
    names = [f["name"] for f in model["flds"]]
    notes = {}
    for row in conn.execute("SELECT n.guid, n.tags, n.flds, c.* FROM notes n JOIN cards c ON c.nid = n.id"):
        fields = dict(zip(names, row["flds"].split("\x1f"), strict=True))
        notes[fields["Id"]] = {**fields, "guid": row["guid"], "tags": row["tags"].split(), "card": dict(row)}
    return notes


def text_of(fragment: str) -> str:
    """What a browser (and MathJax, which reads the page's text) sees of a field."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_one_note_per_question_in_a_deck_named_after_its_set(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    summary = export_anki(out, set_slugs=["anki-demo"], now=NOW)
    assert (summary.notes, summary.decks, summary.with_scheduling) == (3, 1, False)
    conn = read_collection(out, tmp_path)
    notes = notes_by_id(conn)
    assert set(notes) == {"anki-demo-attention", "anki-demo-choice", "anki-demo-numeric"}
    assert "注意力分数怎么算？" in notes["anki-demo-attention"]["Question"]
    assert notes["anki-demo-attention"]["Set"] == "Anki 示例"
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert decks[str(deck_id("anki-demo"))]["name"] == "QuizBank::Anki 示例"
    assert {n["card"]["did"] for n in notes.values()} == {deck_id("anki-demo")}
    (model,) = json.loads(conn.execute("SELECT models FROM col").fetchone()[0]).values()
    assert int(model["id"]) == stable_id("note-type:question")
    assert [f["name"] for f in model["flds"]][:4] == ["Question", "Options", "Correct", "Answer"]


def test_formulas_keep_ankis_mathjax_delimiters_and_their_escaped_characters(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW)
    answer = notes_by_id(read_collection(out, tmp_path))["anki-demo-attention"]["Answer"]
    assert r"\(a&lt;b\)" in answer  # an HTML field: MathJax reads the decoded "<"
    assert r"\(a<b\)" in text_of(answer)
    assert r"\begin{pmatrix}1 &amp; 2\end{pmatrix}" in answer
    assert r"\begin{pmatrix}1 & 2\end{pmatrix}" in text_of(answer)
    assert re.search(
        r'<div class="qb-math">\\\[\s*s = \\frac\{q \\cdot k\}\{\\sqrt\{d_k\}\} &lt; 1\s*\\\]</div>', answer
    )
    assert "arithmatex" not in answer and "$" not in answer


def test_code_stays_highlighted_and_the_colours_travel_in_the_note_type(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW)
    conn = read_collection(out, tmp_path)
    answer = notes_by_id(conn)["anki-demo-attention"]["Answer"]
    block = re.search(r'<div class="highlight"><pre>.*?</pre></div>', answer, re.S).group(0)
    assert '<span class="k">if</span>' in block
    assert 'if a < b and c & d:\n    return "x"' in text_of(block)
    (model,) = json.loads(conn.execute("SELECT models FROM col").fetchone()[0]).values()
    css = model["css"]
    assert ".highlight .k {" in css and ".nightMode .highlight .k" in css
    assert "url(" not in css and "@import" not in css  # nothing fetched


def test_ids_guids_and_the_note_type_are_the_same_on_every_export(demo, tmp_path):
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    export_anki(first, set_slugs=["anki-demo"], now=NOW)
    export_anki(second, set_slugs=["anki-demo"], now=NOW + timedelta(days=3))
    (tmp_path / "x").mkdir()
    a = notes_by_id(read_collection(first, tmp_path))
    b = notes_by_id(read_collection(second, tmp_path / "x"))
    assert {k: v["guid"] for k, v in a.items()} == {k: v["guid"] for k, v in b.items()}
    assert a["anki-demo-choice"]["guid"] == note_guid("anki-demo-choice")
    assert len({v["guid"] for v in a.values()}) == 3
    assert a["anki-demo-attention"]["card"]["did"] == b["anki-demo-attention"]["card"]["did"]


def test_tags_are_the_questions_tags_without_spaces_and_the_set_slug(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW)
    notes = notes_by_id(read_collection(out, tmp_path))
    assert notes["anki-demo-attention"]["tags"] == ["attention", "multi_head", "anki-demo"]
    assert notes["anki-demo-numeric"]["tags"] == ["anki-demo"]


def test_choice_options_are_on_the_front_and_the_right_one_is_marked_on_the_back(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW)
    note = notes_by_id(read_collection(out, tmp_path))["anki-demo-choice"]
    assert note["Options"].count("<li>") == 3 and "✓" not in note["Options"]
    assert "正确选项：<strong>B</strong>" in note["Correct"]
    assert r'<li class="qb-right">✓ \(\sqrt{d_k}\)</li>' in note["Correct"]
    assert note["Correct"].count("✓") == 1


def test_numeric_answers_show_the_value_unit_and_tolerance(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW)
    note = notes_by_id(read_collection(out, tmp_path))["anki-demo-numeric"]
    assert "<strong>14 GB</strong>" in note["Correct"] and "±5%" in note["Correct"]
    assert note["Options"] == ""


def test_follow_ups_and_key_points_are_on_the_back(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW, base_url="https://quiz.example/")
    note = notes_by_id(read_collection(out, tmp_path))["anki-demo-attention"]
    assert "哪一项是缩放因子？" in note["FollowUps"]  # the linked question, by its title
    assert "softmax 饱和，梯度很小。" in note["FollowUps"]
    assert '点积相似度 <span class="qb-weight">×2</span>' in note["KeyPoints"]
    assert note["Link"] == "https://quiz.example/questions/anki-demo-attention/"


def test_without_scheduling_every_card_is_new_in_the_banks_order(demo, tmp_path):
    out = tmp_path / "demo.apkg"
    export_anki(out, set_slugs=["anki-demo"], now=NOW)
    conn = read_collection(out, tmp_path)
    cards = [dict(r) for r in conn.execute("SELECT type, queue, ivl, reps FROM cards ORDER BY due")]
    assert cards == [{"type": 0, "queue": 0, "ivl": 0, "reps": 0}] * 3
    assert conn.execute("SELECT count(*) FROM revlog").fetchone()[0] == 0


def test_the_whole_bank_exports_by_default(tmp_path):
    out = tmp_path / "bank.apkg"
    summary = export_anki(out, now=NOW)
    assert summary.notes == Question.objects.active().count() > 100
    conn = read_collection(out, tmp_path)
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == summary.notes
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert sum(d["name"].startswith("QuizBank::") for d in decks.values()) == summary.decks > 10


def rate(user, question, ratings, at):
    for rating in ratings:
        card = Card.objects.filter(user=user, question=question).first()
        token = str(card.revision) if card else services.NEW_TOKEN
        result = services.rate_card(user=user, question=question, token=token, rating=rating, now=at, duration_ms=7000)
        at = max(result.card.due, at + timedelta(minutes=1))
    return Card.objects.get(pk=result.card.pk)


@pytest.fixture
def scheduled(demo, tmp_path):
    """A learner with a review card, a card in learning and a suspended card; one question new."""
    user = make_user("anki-learner")
    qs = {q.id: q for q in Question.objects.filter(question_set__slug="anki-demo")}
    review = rate(user, qs["anki-demo-attention"], [3, 3, 3], NOW - timedelta(days=20))
    learning = rate(user, qs["anki-demo-choice"], [1], NOW - timedelta(minutes=5))
    services.ensure_card(user=user, question=qs["anki-demo-numeric"], now=NOW)
    services.set_suspended(user=user, question=qs["anki-demo-numeric"], suspended=True)
    out = tmp_path / "sched.apkg"
    summary = export_anki(out, set_slugs=["anki-demo"], user=user, now=NOW)
    return {"summary": summary, "conn": read_collection(out, tmp_path), "review": review, "learning": learning}


def test_a_review_card_keeps_its_interval_due_day_and_memory_state(scheduled):
    card, conn = scheduled["review"], scheduled["conn"]
    assert card.phase == 2
    row = notes_by_id(conn)["anki-demo-attention"]["card"]
    (crt,) = conn.execute("SELECT crt FROM col").fetchone()
    today = (int(NOW.timestamp()) - crt) // 86400  # how Anki counts the package's today
    assert (row["type"], row["queue"]) == (2, 2)
    assert row["ivl"] == round(card.interval_days)
    assert row["due"] - today == (card.due.date() - NOW.date()).days  # days from now, as the importer keeps them
    assert (row["reps"], row["lapses"]) == (3, 0)
    data = json.loads(row["data"])
    assert data["s"] == round(card.state["stability"], 4) and data["d"] == round(card.state["difficulty"], 3)
    assert row["factor"] == ease_factor(card.state["difficulty"])


def test_a_learning_card_is_due_at_its_step_and_a_suspended_one_is_suspended(scheduled):
    notes = notes_by_id(scheduled["conn"])
    learning = notes["anki-demo-choice"]["card"]
    assert (learning["type"], learning["queue"]) == (1, 1)
    assert learning["due"] == int(scheduled["learning"].due.timestamp())  # epoch seconds
    assert learning["left"] == 2  # Again at the first of "1m 10m": two steps to go
    suspended = notes["anki-demo-numeric"]["card"]
    assert (suspended["type"], suspended["queue"], suspended["reps"]) == (0, -1, 0)


def test_a_question_never_practised_stays_new_and_the_history_goes_to_revlog(demo, scheduled, tmp_path):
    summary, conn = scheduled["summary"], scheduled["conn"]
    assert (summary.with_scheduling, summary.scheduled, summary.reviews) == (True, 3, 4)
    revlog = [dict(r) for r in conn.execute("SELECT * FROM revlog ORDER BY id")]
    review_cid = notes_by_id(conn)["anki-demo-attention"]["card"]["id"]
    history = [(r["ease"], r["type"]) for r in revlog if r["cid"] == review_cid]
    assert history == [(3, 0), (3, 0), (3, 1)]
    assert all(r["time"] == 7000 for r in revlog)
    assert revlog[-1]["ivl"] < 0  # the Again in learning: seconds to the next step
    other = make_user("never-practised")
    out = tmp_path / "fresh.apkg"
    export_anki(out, set_slugs=["anki-demo"], user=other, now=NOW)
    (tmp_path / "fresh").mkdir()
    fresh = read_collection(out, tmp_path / "fresh")
    assert [tuple(r) for r in fresh.execute("SELECT type, queue FROM cards")] == [(0, 0)] * 3


def test_ease_maps_fsrs_difficulty_linearly_from_2500_to_1300():
    assert (ease_factor(1), ease_factor(5.5), ease_factor(10)) == (2500, 1900, 1300)
    assert (ease_factor(0.2), ease_factor(12), ease_factor(None)) == (2500, 1300, 2500)


def test_day_numbers_follow_the_learners_zone_and_day_start():
    start = datetime(2026, 3, 9, 19, 30, tzinfo=UTC)  # 03:30 on 10 March in Shanghai: still 9 March's study day
    days = StudyDays.starting(start, "Asia/Shanghai", 4)
    assert days.crt == int(datetime(2026, 3, 8, 20, 0, tzinfo=UTC).timestamp())  # 04:00 on 9 March
    assert days.number(datetime(2026, 3, 9, 20, 0, tzinfo=UTC)) == 1
    assert days.number(datetime(2026, 3, 11, 19, 59, tzinfo=UTC)) == 2


def test_an_unknown_set_writes_nothing(demo, tmp_path):
    out = tmp_path / "x.apkg"
    with pytest.raises(AnkiExportError, match="nope"):
        export_anki(out, set_slugs=["anki-demo", "nope"], now=NOW)
    with pytest.raises(CommandError, match="没有这个题集.*no such set.*nope.*nothing written"):
        call_command("export_anki", str(out), "--set", "nope")
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_the_command_refuses_scheduling_without_a_user_and_an_unknown_user(demo, tmp_path):
    out = tmp_path / "x.apkg"
    with pytest.raises(CommandError, match="--with-scheduling.*--user"):
        call_command("export_anki", str(out), "--with-scheduling")
    with pytest.raises(CommandError, match="没有这个用户 / no such user: ghost"):
        call_command("export_anki", str(out), "--with-scheduling", "--user", "ghost")
    with pytest.raises(CommandError, match="no such directory"):
        call_command("export_anki", str(tmp_path / "missing" / "x.apkg"))
    assert not out.exists()


def test_the_command_prints_a_json_summary(demo, tmp_path):
    user = make_user("json-learner")
    out = tmp_path / "x.apkg"
    printed = run_command(
        "export_anki", str(out), "--set", "anki-demo", "--with-scheduling", "--user", user.username, "--json"
    )
    assert json.loads(printed) == {
        "path": str(out),
        "notes": 3,
        "decks": 1,
        "with_scheduling": True,
        "scheduled": 0,
        "reviews": 0,
    }


def test_a_failed_export_leaves_the_previous_file_and_no_temporary_file(demo, tmp_path, monkeypatch):
    out = tmp_path / "x.apkg"
    out.write_bytes(b"previous export")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("quizbank.authoring.anki.apply_schedule", broken)
    with pytest.raises(RuntimeError):
        export_anki(out, set_slugs=["anki-demo"], user=make_user("unlucky"), now=NOW)
    assert out.read_bytes() == b"previous export"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
