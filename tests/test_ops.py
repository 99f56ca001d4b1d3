"""Operations: /healthz, the staff metrics page, request ids in responses and logs."""

import io
import json
import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizbank.grading.models import Attempt, AttemptStatus, Grade
from quizbank.ops import logs, metrics
from tests.practice_factories import make_set, make_user

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_database_broker_and_index_answer(client, bundled):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "search_index"}
    assert re.fullmatch(r"\d+ documents, generation \d+ of \d+", body["checks"]["search_index"]["detail"])
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_naming_what_failed_when_the_index_is_missing(client, private_index):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "failing"
    assert body["checks"]["database"]["ok"] and not body["checks"]["search_index"]["ok"]
    assert not private_index.exists()  # a probe never rebuilds: the next search does


def test_healthz_refuses_writes(client, bundled):
    assert client.post("/healthz").status_code == 405


def test_a_request_id_is_made_or_kept_and_returned(client):
    made = client.get(reverse("bank:home"))["X-Request-ID"]
    assert len(made) == 32
    assert client.get(reverse("bank:home"), HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    # anything that is not a plausible id (a log-injection attempt) is replaced
    forged = client.get(reverse("bank:home"), HTTP_X_REQUEST_ID="x\nFAKE LOG LINE")["X-Request-ID"]
    assert "\n" not in forged and len(forged) == 32


def test_access_logs_are_json_lines_carrying_the_request_id(client):
    out = io.StringIO()
    handler = logging.StreamHandler(out)  # as settings.LOGGING configures the console
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    logs.access.addHandler(handler)
    logs.access.setLevel(logging.INFO)
    try:
        client.get(reverse("bank:home"), HTTP_X_REQUEST_ID="req-0000001")
    finally:
        logs.access.removeHandler(handler)
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["request_id"] == "req-0000001" and line["logger"] == "quizbank.access"
    assert line["path"] == "/" and line["status"] == 200 and line["method"] == "GET" and line["ms"] >= 0


def test_the_filter_copies_the_current_request_id():
    token = logs.request_id.set("abc12345")
    try:
        record = logging.makeLogRecord({"msg": "hello"})
        logs.RequestIdFilter().filter(record)
        assert json.loads(logs.JsonFormatter().format(record))["request_id"] == "abc12345"
    finally:
        logs.request_id.reset(token)


def make_attempt(user, question, *, status, age: timedelta, graded_after: timedelta | None = None, tokens=0):
    now = timezone.now()
    attempt = Attempt.objects.create(user=user, question=question, question_version=1, text="答", status=status)
    Attempt.objects.filter(pk=attempt.pk).update(created_at=now - age, status_changed_at=now - age)
    if graded_after is not None:
        grade = Grade.objects.create(attempt=attempt, score=50, grader="llm", cache_key="k", prompt_tokens=tokens)
        Grade.objects.filter(pk=grade.pk).update(created_at=now - age + graded_after)
    return attempt


def test_grading_metrics_count_the_queue_latency_failures_and_tokens():
    user = make_user()
    question = make_set("ops", 1).questions.get()
    for seconds in (2, 4, 6, 8, 100):
        make_attempt(
            user,
            question,
            status=AttemptStatus.GRADED,
            age=timedelta(hours=1),
            graded_after=timedelta(seconds=seconds),
            tokens=10,
        )
    make_attempt(
        user, question, status=AttemptStatus.GRADED, age=timedelta(days=3), graded_after=timedelta(seconds=999)
    )
    make_attempt(user, question, status=AttemptStatus.PENDING, age=timedelta(minutes=5))
    make_attempt(user, question, status=AttemptStatus.GRADING, age=timedelta(minutes=1))
    make_attempt(user, question, status=AttemptStatus.FAILED, age=timedelta(minutes=30))
    m = metrics.grading_metrics(now=timezone.now())
    assert (m.pending, m.grading, m.graded, m.failed) == (1, 1, 5, 1)
    assert m.latency_p50_seconds == pytest.approx(6, abs=0.01) and m.latency_max_seconds == pytest.approx(100, abs=0.01)
    assert 295 <= m.oldest_waiting_seconds <= 330
    assert m.prompt_tokens == 50 and m.by_grader == {"llm": 5} and m.failure_rate == pytest.approx(1 / 6)


def test_the_metrics_page_is_for_staff_only(client, bundled):
    client.force_login(make_user())
    assert client.get(reverse("ops:metrics")).status_code == 403
    client.force_login(_staff())
    page = client.get(reverse("ops:metrics"))
    assert page.status_code == 200 and "评分队列" in page.content.decode()
    assert client.get(reverse("ops:metrics"), {"format": "json"}).json()["pending"] == 0


def _staff():
    user = make_user()
    user.is_staff = True
    user.save()
    return user
