"""Follow-ups (追问) during an interview: whether to ask one when an answer arrives (judged at
once by the offline grader) and which — the authored one probing a missed point, or, with an
LLM configured, one it writes in the background (validated, the authored one as fallback).
The rules themselves are in followups.py (pure)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from quizbank.bank.follow_ups import askable_follow_ups
from quizbank.bank.models import Question
from quizbank.grading import rubrics
from quizbank.grading import services as grading
from quizbank.grading.offline import is_skip
from quizbank.interviews import followups, turns
from quizbank.interviews.models import Interview, Outcome, Turn

logger = logging.getLogger(__name__)


def follow_up(interview: Interview, turn: Turn, now: datetime) -> bool:
    """Ask a follow-up on the question of `turn` if its answer missed key points (judged at
    once by the offline grader), at most the style's number per question: with an LLM
    configured one it writes about the most important missed point (written in the background,
    validated, the authored one as fallback), else the authored one probing a missed point."""
    root = turn.parent or turn
    rules = followups.STYLES[interview.style]
    asked = list(root.follow_up_turns.all())
    if len(asked) >= rules.max_follow_ups or not turn.attempt_id:
        return False
    text = turn.attempt.text
    verdict = rubrics.grade(rubrics.target(turn.attempt), text, pasted=grading.looks_pasted(turn.attempt))
    ceiling = _ceiling(rubrics.target(turn.attempt))
    if not followups.should_follow_up(verdict.score, verdict.points, empty=is_skip(text), rules=rules, ceiling=ceiling):
        return False
    parent_question = root.question
    if turn.parent is not None:  # pressing on: what the first answer missed, still missed
        first = rubrics.grade(parent_question, root.attempt.text) if root.attempt_id else None
        missed = followups.missed_points(first.points) if first else []
    else:
        missed = followups.missed_points(verdict.points)
    probed = {i for f in asked if f.follow_up for i in f.follow_up.get("probes", [])}
    missed = [i for i in missed if i not in probed] or missed
    authored = _authored(interview, parent_question, asked, missed)
    if grading.grader_kind() == "llm" and missed:
        weights = [int(p.get("weight", 1)) for p in parent_question.key_points]
        aim = max(missed, key=lambda i: (weights[i] if i < len(weights) else 1, -i))
        pending = {
            "text": "",
            "answer": rubrics.reference_text(parent_question),
            "key_points": [parent_question.key_points[aim]],
            "probes": [aim],
            "generated": True,
            "fallback": authored,
        }
        waiting = turns.ask(interview, parent_question, now, parent=root, follow_up=pending, prompt="")
        transaction.on_commit(lambda: _queue_writer(waiting.pk))
        return True
    if authored is None:
        return False
    _ask_authored(interview, root, authored, now)
    return True


def _ceiling(target) -> int:
    """What the reference's core answer scores on its own rubric (offline; cached per version
    and grader, like the rubric itself)."""
    return _core_score(target.id, target.version, rubrics.offline_model(), target)


@lru_cache(maxsize=2048)
def _core_score(target_id: str, version: int, model: str, target) -> int:
    return rubrics.grade(target, target.answer_md).score if target.answer_md else 100


def _authored(interview: Interview, question: Question, asked: list[Turn], missed: list[int]) -> dict | None:
    """The authored follow-up for these missed points, as a snapshot (None: there is none)."""
    linked_asked = {f.question_id for f in asked if not f.follow_up}
    done = {f.follow_up["index"] for f in asked if f.follow_up and "index" in f.follow_up}
    askable = askable_follow_ups(question)
    planned = set(interview.plan)  # a question the plan asks anyway is no follow-up
    done |= {f["index"] for f in askable if f.get("see") in linked_asked | planned}
    weights = [int(p.get("weight", 1)) for p in question.key_points]
    index = followups.choose(askable, missed, done, weights)
    if index is None:
        return None
    chosen = question.follow_ups[index]
    return {
        "index": index,
        "text": chosen["text"],
        "see": chosen.get("see", ""),
        "answer": chosen.get("answer", ""),
        "key_points": chosen.get("key_points", []),
        "probes": chosen.get("probes", []),
    }


def _ask_authored(interview: Interview, root: Turn, authored: dict, now: datetime, turn: Turn | None = None) -> bool:
    """Ask (or, for a turn waiting for the LLM, turn into) the authored follow-up."""
    if authored.get("see"):
        question = Question.objects.active().filter(id=authored["see"]).first()
        if question is None:
            return False
        fields = {"question": question, "follow_up": None, "prompt": authored["text"]}
    else:
        fields = {"question": root.question, "follow_up": authored, "prompt": authored["text"]}
    if turn is None:
        turns.ask(interview, fields.pop("question"), now, parent=root, **fields)
    else:
        Turn.objects.filter(pk=turn.pk).update(asked_at=now, generated=False, **fields)
    return True


def _queue_writer(turn_id: int) -> None:
    from quizbank.interviews.tasks import write_follow_up_task

    try:
        write_follow_up_task.delay(turn_id)
    except Exception:  # noqa: BLE001 — the turn page falls back to the authored follow-up
        logger.exception("could not queue the follow-up writer for turn %s", turn_id)


FOLLOW_UP_WAIT = timedelta(seconds=15)  # longer than this writing a follow-up: the authored one


def write_follow_up(turn_id: int, *, grader=None, now: datetime | None = None) -> None:
    """Have the LLM write the follow-up a waiting turn asks; one that gives the answer away
    (followups.gives_away), fails or comes too late is replaced by the authored fallback."""
    turn = Turn.objects.select_related("parent__attempt", "question", "interview").filter(pk=turn_id).first()
    if turn is None or turn.prompt or turn.outcome != Outcome.OPEN or not turn.follow_up:
        return
    written = ""
    try:
        asked = (grader or grading.llm_grader()).write_follow_up(
            question=turn.question.title,
            missed=turn.follow_up["key_points"],
            answer=turn.parent.attempt.text if turn.parent and turn.parent.attempt else "",
            deadline=FOLLOW_UP_WAIT.total_seconds() - 3,
        )
        if not followups.gives_away(asked, turn.follow_up["key_points"], turn.follow_up["answer"]):
            written = asked
    except Exception:  # noqa: BLE001 — any failure: the authored follow-up (or none) instead
        logger.warning("the LLM did not write a follow-up for turn %s", turn_id, exc_info=True)
    _settle(turn.pk, written, now or timezone.now())


def settle_waiting(turn: Turn, now: datetime | None = None) -> None:
    """A follow-up still unwritten after FOLLOW_UP_WAIT (no worker, a slow LLM): the fallback."""
    now = now or timezone.now()
    if turn.prompt == "" and turn.outcome == Outcome.OPEN and now - turn.asked_at > FOLLOW_UP_WAIT:
        _settle(turn.pk, "", now)


def _settle(turn_id: int, written: str, now: datetime) -> None:
    with transaction.atomic():
        interview_id = Turn.objects.filter(pk=turn_id).values_list("interview_id", flat=True).first()
        if interview_id is None:
            return
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        turn = interview.turns.select_related("parent", "question").filter(pk=turn_id).first()
        if turn is None or turn.prompt or turn.outcome != Outcome.OPEN or not interview.is_active:
            return
        if written:
            snapshot = {**turn.follow_up, "text": written}
            Turn.objects.filter(pk=turn.pk).update(prompt=written, follow_up=snapshot, generated=True, asked_at=now)
            return
        fallback = turn.follow_up.get("fallback")
        if fallback and _ask_authored(interview, turn.parent, fallback, now, turn=turn):
            return
        turn.delete()  # nothing to ask after all: on with the interview
        turns.next_question(interview, now)
