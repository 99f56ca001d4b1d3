"""The report card of an interview, read from its turns and their grades: per-question and
per-point verdicts with the quoted sentence, follow-ups, time against the limit, a radar per
topic, the trend on the track, strengths, weaknesses and the next step (rule-based). A question
still being graded, or whose grading failed, shows as such and never as 0."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from quizbank.bank.models import QuestionSet
from quizbank.bank.rendering import render_markdown
from quizbank.grading.models import AttemptStatus
from quizbank.grading.services import grader_kind
from quizbank.interviews import charts
from quizbank.interviews.models import Interview, Mode, Outcome, Status, Turn

STRONG = 75
WEAK = 60
ZERO_OUTCOMES = (Outcome.SKIPPED, Outcome.DONT_KNOW, Outcome.UNANSWERED)


@dataclass
class TurnReport:
    turn: Turn
    state: str  # graded | pending | failed | skipped | dont_know | unanswered
    score: int | None
    grade: object | None
    seconds_used: int | None
    model_answer_html: str
    follow_ups: list[TurnReport] = field(default_factory=list)

    @property
    def over_time(self) -> bool:
        return self.seconds_used is not None and self.seconds_used > self.turn.limit_seconds


def _state(turn: Turn, abandoned: bool = False) -> tuple[str, int | None]:
    if turn.outcome == Outcome.UNANSWERED and abandoned:
        return "unanswered", None  # given up before this one: no score, not a zero
    if turn.outcome in ZERO_OUTCOMES:
        return turn.outcome, 0
    attempt = turn.attempt
    if attempt is None:
        return "unanswered", 0
    if attempt.status == AttemptStatus.GRADED:
        return "graded", round(attempt.score)
    if attempt.status == AttemptStatus.FAILED:
        return "failed", None
    return "pending", None


def _turn_report(turn: Turn, abandoned: bool = False) -> TurnReport:
    state, score = _state(turn, abandoned)
    used = None
    if turn.answered_at:
        used = int((turn.answered_at - turn.asked_at).total_seconds())
    model = model_answer_html(turn)
    grade = getattr(turn.attempt, "grade", None) if turn.attempt_id and state == "graded" else None
    return TurnReport(turn, state, score, grade, used, model)


def model_answer_html(turn: Turn) -> str:
    """The model answer, as rendered at load time where it can be: the question's, or its
    follow-up's (the same text at the same index); a written follow-up's is its question's."""
    follow_up = turn.follow_up
    if not follow_up:
        return turn.question.answer_html
    if follow_up.get("generated") and "index" not in follow_up:
        return turn.question.answer_html
    index = follow_up.get("index")
    stored, rendered = turn.question.follow_ups, turn.question.follow_ups_html
    same = isinstance(index, int) and index < min(len(stored), len(rendered))
    if same and stored[index].get("answer") == follow_up.get("answer") and isinstance(rendered[index], dict):
        return rendered[index].get("answer", "")
    return render_markdown(follow_up.get("answer", ""))


def questions(interview: Interview) -> list[TurnReport]:
    turns = interview.turns.select_related("question__question_set", "attempt__grade").order_by("number")
    main: dict[int, TurnReport] = {}
    out = []
    abandoned = interview.status == Status.ABANDONED
    for turn in turns:
        row = _turn_report(turn, abandoned)
        if turn.parent_id and turn.parent_id in main:
            main[turn.parent_id].follow_ups.append(row)
        else:
            main[turn.pk] = row
            out.append(row)
    return out


def overall(rows: list[TurnReport]) -> dict:
    """The mean of the scored questions; an interview in which nothing was answered at all has
    no score (not a 0: there is nothing to judge)."""
    said_anything = any(r.turn.outcome != Outcome.UNANSWERED for r in rows)
    scored = [r.score for r in rows if r.score is not None] if said_anything else []
    waiting = sum(r.state == "pending" for r in rows)
    failed = sum(r.state == "failed" for r in rows)
    return {
        "score": round(sum(scored) / len(scored)) if scored else None,
        "counted": len(scored),
        "total": len(rows),
        "pending": waiting,
        "failed": failed,
        "complete": not waiting and not failed,
    }


def topics(rows: list[TurnReport]) -> list[tuple[str, float | None, int]]:
    """(set title, mean score or None, questions) per topic, in the bank's order."""
    by_set: dict[int, list] = defaultdict(list)
    for r in rows:
        by_set[r.turn.question.question_set_id].append(r.score)
    sets = QuestionSet.objects.filter(pk__in=by_set).order_by("order")
    out = []
    for s in sets:
        scores = [x for x in by_set[s.pk] if x is not None]
        out.append((s.title, round(sum(scores) / len(scores)) if scores else None, len(by_set[s.pk])))
    return out


def trend(interview: Interview) -> list[tuple[str, float]]:
    """Overall scores of this user's finished exam-mode interviews on the same track (or the same
    custom topics), oldest first, up to this one."""
    earlier = Interview.objects.filter(
        user=interview.user, status=Status.FINISHED, mode=Mode.EXAM, started_at__lte=interview.started_at
    )
    earlier = (
        earlier.filter(track=interview.track)
        if interview.track_id
        else earlier.filter(track__isnull=True, topics=interview.topics)
    )
    past = list(earlier.order_by("-started_at").values_list("pk", "started_at")[:30])[::-1]
    scores: dict[int, list[int]] = defaultdict(list)
    rows = Turn.objects.filter(interview__in=[pk for pk, _ in past], parent__isnull=True).values_list(
        "interview_id", "outcome", "attempt__status", "attempt__score"
    )
    said = {interview_id for interview_id, outcome, *_ in rows if outcome != Outcome.UNANSWERED}
    for interview_id, outcome, status, score in rows:
        if interview_id not in said:
            continue  # nothing answered at all: no point on the trend
        if outcome in ZERO_OUTCOMES:
            scores[interview_id].append(0)
        elif status == AttemptStatus.GRADED and score is not None:
            scores[interview_id].append(round(score))
    return [
        (timezone.localtime(started).strftime("%m-%d %H:%M"), round(sum(scores[pk]) / len(scores[pk])))
        for pk, started in past
        if scores[pk]
    ]


def advice(rows: list[TurnReport], topic_scores, queued: int, waiting: int = 0) -> dict:
    """Strengths, weaknesses and the next step, by rule (documented in docs/interviews.md)."""
    strengths = [t for t, s, _n in topic_scores if s is not None and s >= STRONG]
    weaknesses = [t for t, s, _n in topic_scores if s is not None and s < WEAK]
    covered, missed = 0, []
    for r in rows:
        points = r.grade.points if r.grade else []
        covered += sum(p["status"] == "covered" for p in points)
        lost = [p["text"] for p in points if p["status"] != "covered"]
        if lost:
            missed.append((r.turn.question.title, lost))
    missed.sort(key=lambda item: -len(item[1]))
    steps = []
    if queued:
        steps.append(
            ngettext(
                "%(n)d 道答得不好的题已加入练习队列，现在就能复习。",
                "%(n)d 道答得不好的题已加入练习队列，现在就能复习。",
                queued,
            )
            % {"n": queued}
        )
    if any(r.state in ("skipped", "dont_know") for r in rows):
        steps.append(_("跳过和“不知道”的题：先读参考答案，再用练习模式重答一次。"))
    if weaknesses:
        steps.append(
            _("薄弱题集：%(sets)s —— 建个只含这些题集的卡组，练到能说全关键点。") % {"sets": "、".join(weaknesses)}
        )
    if waiting:
        steps.append(_("还有题在评分：分数到齐后这里的建议会更新。"))
    elif not any(r.score is not None for r in rows):
        steps.append(_("这场面试没有作答，没有可以总结的：再来一场，答完再看成绩单。"))
    elif not steps:
        steps.append(_("表现稳定：下次试试高一级的难度或“压力”风格。"))
    return {
        "strengths": strengths,
        "weaknesses": weaknesses,
        "missed": missed[:5],
        "covered": covered,
        "steps": steps,
    }


def report(interview: Interview) -> dict:
    rows = questions(interview)
    topic_scores = topics(rows)
    result = overall(rows)
    history = trend(interview) if interview.mode == Mode.EXAM else []
    asked = len(rows)
    return {
        "not_asked": max(0, len(interview.plan) - asked) if interview.status == Status.FINISHED else 0,
        "outside_decks": outside_decks(interview),
        "interview": interview,
        "rows": rows,
        "overall": result,
        "topics": topic_scores,
        "radar": charts.radar([(t, s) for t, s, _n in topic_scores]),
        "trend": charts.trend(history),
        "advice": advice(rows, topic_scores, len(interview.queued_for_practice), result["pending"]),
        "polling": bool(result["pending"]) or summary_expected(interview),
    }


def outside_decks(interview: Interview) -> list[str]:
    """Questions rated into practice that none of the user's decks selects (practice would never
    show them): the report says so and offers a deck."""
    from quizbank.practice.models import Deck

    left = set(interview.queued_for_practice)
    for deck in Deck.objects.filter(user=interview.user).prefetch_related("topics", "tags"):
        if not left:
            break
        left -= set(deck.questions().filter(id__in=left).values_list("id", flat=True))
    return sorted(left)


def summary_expected(interview: Interview) -> bool:
    """The LLM's feedback is on its way: keep polling a little while (it may never come)."""
    recent = interview.finished_at and timezone.now() - interview.finished_at < timedelta(minutes=2)
    return bool(grader_kind() == "llm" and interview.summary is None and interview.status == Status.FINISHED and recent)
