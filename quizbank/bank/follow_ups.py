"""Follow-ups (追问) as a mock interview uses them.

A question's `follow_ups` (docs/content-format.md, Follow-ups) are linked to another question
(`see`), answered in place (`answer` and 1–3 `key_points`), or open (neither). An interview asks
only the first two kinds: it can grade an answer to them.
"""

from __future__ import annotations


def askable_follow_ups(question) -> list[dict]:
    """The follow-ups an interview may ask (linked or answered), each with its `index` in
    question.follow_ups: {"index", "text", "see", "answer", "key_points", "probes"}."""
    return [
        {**follow_up, "index": index}
        for index, follow_up in enumerate(question.follow_ups)
        if isinstance(follow_up, dict) and (follow_up.get("see") or follow_up.get("answer"))
    ]
