"""LLM help for editors, when an LLM is configured: proposed key points (weights, aliases) and
follow-ups from the reference answer, and the LLM grader's scores of the sample answers. Runs
in Celery; the editor sees the result as a suggestion to accept, edit or ignore."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quizbank.authoring.models import AssistKind, AssistRun, AssistStatus, Draft
from quizbank.authoring.sections import append_to_section, replace_section, title_and_reference
from quizbank.bank.markup import (
    ContentErrors,
    FollowUp,
    KeyPoint,
    format_follow_up,
    format_key_point,
    parse_question,
)
from quizbank.grading.llm import GraderError
from quizbank.grading.rubrics import reference_text
from quizbank.grading.samples import as_graded, problem
from quizbank.grading.services import llm_grader

MAX_POINTS, MAX_ALIASES, MAX_FOLLOW_UPS = 8, 4, 3
BAD_ALIAS = re.compile(r'["|{}\n]')


def enabled() -> bool:
    return bool(settings.OPENAI_API_KEY)


def request(*, user, draft: Draft, kind: str, source: str) -> AssistRun:
    from quizbank.authoring.tasks import assist_task

    run = AssistRun.objects.create(draft=draft, kind=kind, source=source, requested_by=user)
    assist_task.delay_on_commit(run.pk)
    return run


def perform(run_id: int) -> None:
    """Ask the LLM and store the outcome on the run (failed, with the reason, on any error)."""
    run = AssistRun.objects.get(pk=run_id)
    if run.status != AssistStatus.PENDING:
        return
    try:
        result = suggest(run.source) if run.kind == AssistKind.SUGGEST else grade_samples(run.source)
    except (GraderError, ValueError) as exc:
        run.status, run.error = AssistStatus.FAILED, str(exc)[:300]
    else:
        run.status, run.result = AssistStatus.DONE, result
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()


def suggest(source: str) -> dict:
    title, reference = title_and_reference(source)
    if not reference:
        raise ValueError("先写好 ### 回答重点，LLM 才能据此提出关键点")
    data = llm_grader().draft_rubric(question=title, reference=reference)
    points = clean_points(data.get("key_points"), MAX_POINTS)
    if not points:
        raise ValueError("LLM 没有给出可用的关键点")
    follow_ups = []
    for item in (data.get("follow_ups") or [])[:MAX_FOLLOW_UPS]:
        if not isinstance(item, dict):
            continue
        text = _line(item.get("text"), 200)
        answer = _line(item.get("answer"), 400)
        sub = clean_points(item.get("key_points"), 3)
        if text and answer and sub:
            follow_ups.append(FollowUp(text, answer=answer, key_points=tuple(sub)))
    points_md = "\n".join(f"- {format_key_point(k)}" for k in points)
    follow_ups_md = "\n".join(format_follow_up(f) for f in follow_ups)
    suggested = replace_section(source, "key_points", points_md)
    if follow_ups_md:
        suggested = append_to_section(suggested, "follow_ups", follow_ups_md)
    try:
        parse_question(suggested)
        parses = True
    except ContentErrors:
        parses = False  # the rest of the block still has errors: the editor shows them
    return {"key_points": points_md, "follow_ups": follow_ups_md, "source": suggested, "parses": parses}


def grade_samples(source: str) -> dict:
    try:
        data = parse_question(source)
    except ContentErrors as exc:
        raise ValueError("题目还有错误，先改好再让 LLM 评分") from exc
    graded = as_graded(data)
    reference, points = reference_text(graded), graded.key_points
    grader = llm_grader()
    results = []
    for sample in data.samples:
        graded = grader.grade(question=data.title, reference=reference, key_points=points, answer=sample.text)
        results.append(
            {
                "kind": sample.kind,
                "score": graded.score,
                "points": [
                    {"text": points[p["index"]]["text"], "status": p["status"]}
                    for p in graded.points
                    if 0 <= p["index"] < len(points)
                ],
                "problem": problem(sample.kind, graded.score, []),
            }
        )
    return {"samples": results}


def clean_points(items, limit: int) -> list[KeyPoint]:
    points = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        text = _line(item.get("text"), 200).replace("{", "（").replace("}", "）")
        weight = item.get("weight", 1)
        weight = min(5, max(1, weight)) if isinstance(weight, int) and not isinstance(weight, bool) else 1
        given = item.get("aliases")
        aliases = [
            a.strip()
            for a in (given if isinstance(given, list) else [])
            if isinstance(a, str) and a.strip() and len(a) <= 40 and not BAD_ALIAS.search(a)
        ]
        if text:
            points.append(KeyPoint(text, weight, tuple(dict.fromkeys(aliases))[:MAX_ALIASES]))
    return points[:limit]


def _line(value, limit: int) -> str:
    return re.sub(r"\s+", " ", value).strip()[:limit] if isinstance(value, str) else ""
