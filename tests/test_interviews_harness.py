"""The interviewer tested by simulated candidates on every bundled track (manage.py
mock_interview): a fair interviewer ranks strong > weak > silent, follows up on weak answers and
not on strong ones, and never puts a keyword salad or an injection above a weak answer."""

import json

import pytest
from django.core.management import CommandError

from quizbank.interviews.models import Interview, Track
from tests.conftest import run_command

pytestmark = pytest.mark.django_db
CANDIDATES = ("strong", "weak", "silent", "salad", "injection")


def interview(track: str, candidate: str, seed: int) -> dict:
    return json.loads(
        run_command("mock_interview", "--track", track, "--candidate", candidate, "--seed", str(seed), "--json")
    )


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    "track",
    ["rag-engineer-round1", "llm-algorithm-round2", "lora-finetuning", "inference-deployment", "agent-engineer-round1"],
)
def test_a_fair_interviewer(track, seed):
    runs = {c: interview(track, c, seed) for c in CANDIDATES}
    overall = {c: r["overall"] for c, r in runs.items()}
    assert overall["strong"] > overall["weak"] > overall["silent"] == 0, overall
    assert overall["salad"] <= overall["weak"] and overall["injection"] <= overall["weak"], overall
    for c in ("salad", "injection"):  # question by question, too
        for mine, weak in zip(runs[c]["questions"], runs["weak"]["questions"], strict=True):
            assert mine["id"] == weak["id"] and mine["score"] <= max(weak["score"], 15), (c, mine, weak)
    follow_ups = {c: [len(q["follow_ups"]) for q in r["questions"]] for c, r in runs.items()}
    assert sum(follow_ups["strong"]) == 0, follow_ups["strong"]
    assert sum(n > 0 for n in follow_ups["weak"]) >= 0.8 * len(follow_ups["weak"]), follow_ups["weak"]
    assert sum(follow_ups["silent"]) == 0  # nothing said, nothing to dig into
    # the weak questions go to practice; flagged grades (salad, injection) never do
    assert set(runs["weak"]["queued_for_practice"]) <= {q["id"] for q in runs["weak"]["questions"]}
    assert runs["weak"]["queued_for_practice"] and runs["salad"]["queued_for_practice"] == []
    assert runs["strong"]["queued_for_practice"] == []


def test_the_json_has_the_documented_shape_and_nothing_is_left_behind():
    before = Interview.objects.count()
    result = interview("rag-engineer-round1", "weak", 1)
    assert set(result) >= {"track", "overall", "questions", "queued_for_practice"}
    question = result["questions"][0]
    assert set(question) >= {"id", "score", "status", "follow_ups"} and question["status"] == "graded"
    assert set(question["follow_ups"][0]) >= {"question", "score"}
    assert Interview.objects.count() == before  # rolled back unless --keep


def test_the_text_report_and_an_unknown_track():
    out = run_command("mock_interview", "--track", "lora-finetuning", "--candidate", "strong")
    assert out.startswith("lora-finetuning · strong: overall ") and "queued for practice" in out
    with pytest.raises(CommandError, match="no such track"):
        run_command("mock_interview", "--track", "nope", "--candidate", "strong")
    assert Track.objects.filter(retired_at__isnull=True).count() >= 4
