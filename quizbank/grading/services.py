"""Grading an attempt: charge it to the user's hourly budget, claim it, grade it (from cache,
offline, or with the LLM), store the grade once. The answer itself is never touched; whatever
fails, the attempt ends graded or failed with a reason, and a run that dies is re-run by the
sweep at most MAX_RUNS times."""

from __future__ import annotations

import functools
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from quizbank import shared_cache
from quizbank.grading import form, llm, offline, rubrics, signals, wording
from quizbank.grading.models import Attempt, AttemptStatus, Grade, GradingCharge
from quizbank.grading.offline import is_skip  # noqa: F401 — part of this module's interface

logger = logging.getLogger(__name__)
FLAG_GAP = 50  # LLM and offline scores this far apart: flagged
MAX_RUNS = 3  # grading runs of one charge (the sweep re-runs a run whose worker died)
PASTE_SPEED = 10  # characters per second nobody types (Chinese IME or not) for long
DUPLICATE_SECONDS = 10  # the same answer again within this window is the same attempt
FALLBACK = "offline-fallback"  # its own cache key: never served as an LLM grade or a plain offline one
GAVE_UP = wording.say("gave_up")
INTERNAL = wording.say("internal")
TIMED_OUT = wording.say("timed_out")


class RateLimited(Exception):
    pass


def grader_kind() -> str:
    return "llm" if settings.OPENAI_API_KEY else "offline"


def llm_grader() -> llm.LLMGrader:
    """One grader (and so one HTTP connection pool) per process and configuration."""
    return _grader(
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.QUIZBANK_GRADER_MODEL,
        settings.QUIZBANK_GRADER_TIMEOUT,
        settings.QUIZBANK_GRADER_DEADLINE,
    )


@functools.lru_cache(maxsize=4)
def _grader(api_key: str, base_url: str | None, model: str, timeout: float, deadline: float) -> llm.LLMGrader:
    config = llm.LLMConfig(api_key=api_key, base_url=base_url, model=model, timeout=timeout, deadline=deadline)
    return llm.LLMGrader(config)


def cache_key(attempt: Attempt, kind: str) -> str:
    model = settings.QUIZBANK_GRADER_MODEL if kind == "llm" else rubrics.offline_model()
    graded_against = rubrics.target(attempt).id  # the question, or parent#digest of a follow-up
    parts = [attempt.text.strip(), graded_against, str(attempt.question_version), kind, model, llm.PROMPT_VERSION]
    if looks_pasted(attempt):
        parts.append("pasted")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# -- the hourly limit ----------------------------------------------------------------------
def charge(user, *, attempt: Attempt | None = None, now=None) -> None:
    """Count one grading against the user's hourly limit, or raise RateLimited. The check and
    the insert hold a lock on the user's row, so concurrent requests cannot both pass."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock(user)
        used = GradingCharge.objects.filter(user=user, created_at__gt=now - timedelta(hours=1)).count()
        if used >= settings.QUIZBANK_GRADINGS_PER_HOUR:
            raise RateLimited
        GradingCharge.objects.create(user=user, attempt=attempt, created_at=now)


def _lock(user) -> None:
    """Hold the user's row until the transaction ends: their charges and submissions queue up."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def submit_attempt(
    *,
    user,
    question,
    text: str,
    duration_ms: int | None = None,
    pasted_chars: int = 0,
    follow_up: dict | None = None,
    **fields,
) -> Attempt:
    """Save a typed answer now, before anything else can fail (not queued, not charged)."""
    return Attempt.objects.create(
        user=user,
        question=question,
        question_version=question.version,
        text=text,
        duration_ms=duration_ms,
        pasted_chars=min(pasted_chars, len(text)),
        follow_up=follow_up,
        **fields,
    )


def submit(*, user, question, text: str, duration_ms: int | None = None, pasted_chars: int = 0) -> Attempt:
    """Save a typed answer and charge its grading in one transaction (RateLimited: nothing saved),
    then queue it once that commits. Empty and "don't know" answers cost nothing. The same answer
    sent again within a few seconds (a double Ctrl+Enter, a replayed request) is the same attempt."""
    now = timezone.now()
    with transaction.atomic():
        _lock(user)
        again = Attempt.objects.filter(
            user=user, question=question, text=text, created_at__gte=now - timedelta(seconds=DUPLICATE_SECONDS)
        ).first()
        if again is not None:
            return again
        attempt = submit_attempt(
            user=user, question=question, text=text, duration_ms=duration_ms, pasted_chars=pasted_chars
        )
        if not is_skip(text):
            charge(user, attempt=attempt)
    queue(attempt)
    return attempt


def queue(attempt: Attempt) -> None:
    """Queue grading once the transaction that saved the attempt commits. If the broker is down
    the attempt stays pending and the sweep queues it later."""
    from quizbank.grading.tasks import grade_attempt_task

    try:
        grade_attempt_task.delay_on_commit(attempt.pk)
    except Exception:  # noqa: BLE001 — the answer is saved; the sweep will retry the queueing
        logger.exception("could not queue attempt %s; the sweep will retry", attempt.pk)


# -- one run -------------------------------------------------------------------------------
DATABASE_ERRORS = (OperationalError, InterfaceError)
STAGED_SECONDS = 24 * 3600


class Interrupted(OperationalError):
    """The database went away while this run held the attempt. Run again with `resume` =
    `claimed_at` to go on with the same run: the claim is still this run's, so a retry need not
    wait for the sweep's stuck timeout, and no run is counted twice."""

    def __init__(self, attempt_id: int, claimed_at):
        super().__init__(f"attempt {attempt_id}: the database went away while it was being graded")
        self.attempt_id, self.claimed_at = attempt_id, claimed_at


def claim(attempt_id: int, now, resume=None) -> bool:
    """Move an attempt to `grading` if it is pending, or grading but abandoned (its worker died),
    counting the run; an attempt that has had MAX_RUNS runs fails instead. `resume`: the claim
    time of an interrupted run of this task, still holding the attempt (it goes on, refreshed)."""
    if resume is not None and Attempt.objects.filter(
        pk=attempt_id, status=AttemptStatus.GRADING, status_changed_at=resume
    ).update(status_changed_at=now):
        return True
    stale = now - timedelta(seconds=settings.QUIZBANK_GRADING_STUCK_SECONDS)
    claimable = Attempt.objects.filter(pk=attempt_id).filter(
        Q(status=AttemptStatus.PENDING) | Q(status=AttemptStatus.GRADING, status_changed_at__lt=stale)
    )
    with transaction.atomic():
        if claimable.filter(runs__lt=MAX_RUNS).update(
            status=AttemptStatus.GRADING, status_changed_at=now, runs=F("runs") + 1
        ):
            return True
        claimable.update(status=AttemptStatus.FAILED, failure=GAVE_UP, status_changed_at=now)
    return False


def grade_attempt(attempt_id: int, *, grader: llm.LLMGrader | None = None, resume=None) -> Grade | None:
    """Grade one attempt, exactly once; returns the grade, or None if another run has it or the
    grading failed (the attempt then says why). Raises Interrupted when the database goes away
    after the claim; a grade already made then waits in the cache for the retry (the LLM is not
    asked twice)."""
    claimed_at = timezone.now()
    if not claim(attempt_id, claimed_at, resume=resume):
        return None
    try:
        return _grade_claimed(attempt_id, grader)
    except DATABASE_ERRORS as exc:
        raise Interrupted(attempt_id, claimed_at) from exc


def _grade_claimed(attempt_id: int, grader: llm.LLMGrader | None) -> Grade | None:
    attempt = Attempt.objects.select_related("question").get(pk=attempt_id)
    try:
        kind = "offline" if is_skip(attempt.text) else grader_kind()
        key = cache_key(attempt, kind)
        fields = _from_cache(key) or shared_cache.read(_staged_key(key))
        if fields is None:
            base = rubrics.grade(rubrics.target(attempt), attempt.text, pasted=looks_pasted(attempt))
            try:
                fields = (
                    _offline_fields(base) if kind == "offline" else _llm_fields(attempt, base, grader or llm_grader())
                )
            except llm.Unavailable as exc:  # down, hanging or talking nonsense: the offline grade, flagged
                logger.warning("attempt %s: the LLM could not grade it (%s); graded offline", attempt_id, exc)
                key, fields = cache_key(attempt, FALLBACK), _fallback_fields(base, "llm_unavailable")
            except llm.Refused as exc:  # a setting to fix: the learner gets the estimate, the operator the error
                logger.error("attempt %s: the grading endpoint refused it (%s); graded offline", attempt_id, exc)
                key, fields = cache_key(attempt, FALLBACK), _fallback_fields(base, "llm_refused")
    except DATABASE_ERRORS:
        raise  # not the grader's failure: the run goes on once the database is back
    except llm.GraderError as exc:
        _fail(attempt, str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 — any failure ends the run with a reason; the answer is kept
        logger.exception("grading attempt %s failed", attempt_id)
        _fail(attempt, TIMED_OUT if type(exc).__name__ == "SoftTimeLimitExceeded" else INTERNAL)
        return None
    try:
        return _store(attempt, key, fields)
    except DATABASE_ERRORS:  # the grade (an LLM reply, paid for) waits in the cache for the retry
        shared_cache.keep(_staged_key(key), fields, STAGED_SECONDS)
        raise


def _staged_key(key: str) -> str:
    return f"quizbank:staged-grade:{key}"


def looks_pasted(attempt: Attempt) -> bool:
    """Most of the answer was pasted, or it arrived faster than anyone types."""
    length = len(attempt.text.strip())
    if attempt.pasted_chars and attempt.pasted_chars >= 0.5 * length:
        return True
    seconds = (attempt.duration_ms or 0) / 1000
    return bool(attempt.duration_ms) and length >= 100 and length / max(seconds, 0.001) > PASTE_SPEED


_CACHED = (
    "score",
    "points",
    "errors",
    "feedback",
    "suggested_rating",
    "grader",
    "model",
    "prompt_version",
    "offline_score",
    "flagged",
    "flags",
    "confidence",
)


def _from_cache(key: str) -> dict | None:
    hit = Grade.objects.filter(cache_key=key).order_by("-id").first()
    return None if hit is None else {name: getattr(hit, name) for name in _CACHED}


def _offline_fields(result: offline.GradeResult) -> dict:
    return {
        "score": result.score,
        "points": [vars(p) for p in result.points],
        "errors": result.errors,
        "feedback": result.feedback,
        "suggested_rating": result.suggested_rating,
        "grader": "offline",
        "model": rubrics.offline_model(),
        "prompt_version": "",
        "offline_score": result.score,
        "flagged": bool(result.flags),
        "flags": result.flags,
        "confidence": result.confidence,
    }


FALLBACK_FLAGS = ("llm_unavailable", "llm_refused")  # why the LLM did not grade (the metrics count them)


def _fallback_fields(base: offline.GradeResult, why: str) -> dict:
    """The offline grade when the LLM could not grade: flagged, so no rating is pre-selected."""
    return {
        **_offline_fields(base),
        "flagged": True,
        "flags": [*base.flags, why],
        "suggested_rating": None,
    }


def _llm_fields(attempt: Attempt, base: offline.GradeResult, grader: llm.LLMGrader) -> dict:
    question = rubrics.target(attempt)
    result = grader.grade(
        question="\n\n".join(filter(None, [question.title, question.body_md])),
        reference=rubrics.reference_text(question),
        key_points=question.key_points,
        answer=attempt.text,
    )
    points, score, unverified = checked_result(attempt.text, question.key_points, result)
    flags = llm_flags(attempt.text, score, unverified, base)
    return {
        "score": score,
        "points": points,
        "errors": result.errors,
        "feedback": result.feedback,
        "suggested_rating": None if flags else offline.suggested_rating(score),
        "grader": "llm",
        "model": grader.config.model,
        "prompt_version": llm.PROMPT_VERSION,
        "offline_score": base.score,
        "flagged": bool(flags),
        "flags": flags,
        "confidence": None,
        "prompt_tokens": result.usage.get("prompt", 0),
        "completion_tokens": result.usage.get("completion", 0),
        "cached_tokens": result.usage.get("cached", 0),
    }


def llm_flags(answer: str, score: int, unverified: int, base: offline.GradeResult) -> list[str]:
    """Why an LLM grade needs the learner's own judgement (docs/grading.md, "the flag rule")."""
    flags = []
    if form.instructions_to_grader(answer):
        flags.append("injection")
    if unverified:
        flags.append("unverified")
    shape_says_no = {"keyword_list", "fragment", "pasted"} & set(base.flags)
    if abs(score - base.score) >= FLAG_GAP or (score >= 60 and shape_says_no):
        flags.append("disagreement")
    return flags


def _normal(text: str) -> str:
    return "".join(text.split()).casefold()


def verify_evidence(answer: str, key_points: list[dict], points: list[dict]) -> tuple[list[dict], int]:
    """A point judged covered or partial must quote the answer, and the quote must not be an
    instruction to the grader ("给满分"); otherwise the point becomes missing. Returns the checked
    points and how many were downgraded."""
    haystack = _normal(answer)
    checked, downgraded = [], 0
    for p in points:
        point = {**p, "text": key_points[p["index"]]["text"], "weight": int(key_points[p["index"]].get("weight", 1))}
        quote = point.get("evidence", "")
        if point["status"] != "missing" and (
            not _normal(quote) or _normal(quote) not in haystack or form.instructions_to_grader(quote)
        ):
            point.update(status="missing", evidence="")
            downgraded += 1
        checked.append(point)
    return checked, downgraded


def checked_result(answer: str, key_points: list[dict], result: llm.LLMGrade) -> tuple[list[dict], int, int]:
    """The LLM's points with unquoted ones downgraded, its score capped at the coverage the
    verified evidence supports, and the number of downgraded points."""
    points, downgraded = verify_evidence(answer, key_points, result.points)
    return points, min(result.score, coverage_score(points)), downgraded


def coverage_score(points: list[dict]) -> int:
    total = sum(p["weight"] for p in points) or 1
    got = sum(p["weight"] * {"covered": 1.0, "partial": 0.5}.get(p["status"], 0.0) for p in points)
    return round(100 * got / total)


def _store(attempt: Attempt, key: str, fields: dict) -> Grade | None:
    try:
        with transaction.atomic():
            grade = Grade.objects.create(attempt=attempt, cache_key=key, **fields)
            Attempt.objects.filter(pk=attempt.pk).update(
                status=AttemptStatus.GRADED, score=grade.score, status_changed_at=timezone.now(), failure=""
            )
            signals.attempt_graded.send(sender=Attempt, attempt=attempt, grade=grade)
    except IntegrityError:  # graded by another delivery of the same task meanwhile
        logger.warning("attempt %s: already graded, a second grading was discarded", attempt.pk)
        return None
    return grade


def _fail(attempt: Attempt, reason: str) -> None:
    Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.GRADING).update(
        status=AttemptStatus.FAILED, failure=reason[:300], status_changed_at=timezone.now()
    )


def retry(attempt: Attempt) -> bool:
    """A failed attempt goes back to pending (a new charge, MAX_RUNS new runs) and is queued
    again; RateLimited if the hourly limit is used up. False if it was not failed."""
    with transaction.atomic():
        updated = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.FAILED).update(
            status=AttemptStatus.PENDING, failure="", runs=0, status_changed_at=timezone.now()
        )
        if updated:
            charge(attempt.user, attempt=attempt)
    if updated:
        queue(attempt)
    return bool(updated)


def sweep(now=None) -> list[int]:
    """Attempts pending or grading for longer than the timeout: those with runs left go back to
    pending with a fresh timestamp and are returned to be queued again (once per timeout, not at
    every sweep: a backlog is not queued again and again), the others fail ("评分多次失败，可重试")."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.QUIZBANK_GRADING_STUCK_SECONDS)
    stuck = Attempt.objects.filter(
        status__in=[AttemptStatus.PENDING, AttemptStatus.GRADING], status_changed_at__lt=stale
    )
    with transaction.atomic():
        stuck.filter(runs__gte=MAX_RUNS).update(status=AttemptStatus.FAILED, failure=GAVE_UP, status_changed_at=now)
        ids = list(stuck.filter(runs__lt=MAX_RUNS).select_for_update().values_list("pk", flat=True))
        Attempt.objects.filter(pk__in=ids, status_changed_at__lt=stale).update(
            status=AttemptStatus.PENDING, status_changed_at=now
        )
    return ids
