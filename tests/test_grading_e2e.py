"""End to end: a real Celery worker, a real Redis (Debian's redis-server, started here on a
loopback port) and the fake OpenAI-compatible server. Submit -> worker -> grade on the page;
a worker killed mid-task -> graded exactly once after restart; broker down at submit -> the
answer kept and graded once the broker is back."""

import time
from unittest.mock import ANY

import pytest
from django.urls import reverse

from quizbank.bank.models import Question
from quizbank.grading.models import Attempt, Grade
from tests.fake_llm import Raw, completion, grade_json
from tests.fault_stack import grading_stack, wait_for
from tests.practice_factories import make_deck, make_set, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
GOOD = completion(grade_json(80, ("covered",), ("方差变大",)))


@pytest.fixture
def stack(tmp_path, settings):
    with grading_stack(tmp_path, settings) as servers:
        servers["fake"].reply(GOOD)
        yield servers


@pytest.fixture
def learner(client):
    user = make_user()
    client.force_login(user)
    make_set("s", 1)
    question = Question.objects.get(id="s-00001")
    question.key_points = [{"text": "方差随 d_k 增大", "weight": 1, "aliases": ["方差"]}]
    question.save()
    return user, make_deck(user, question.question_set), question


def submit(client, deck, question, text="方差变大导致 softmax 饱和"):
    response = client.post(
        reverse("practice:answer", args=[deck.pk]),
        {"question": question.id, "token": "new", "text": text},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return Attempt.objects.latest("id")


def graded(attempt):
    attempt.refresh_from_db()
    return attempt.status == "graded"


def test_submit_then_the_worker_grades_and_the_page_shows_it(client, stack, learner):
    _, deck, question = learner
    attempt = submit(client, deck, question)
    wait_for(lambda: graded(attempt), 30, "grading")
    page = client.get(reverse("practice:attempt_grade", args=[attempt.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 286 and "80" in page.content.decode() and "fake-model" in page.content.decode()
    assert Grade.objects.get(attempt=attempt).grader == "llm"


def test_a_worker_killed_mid_task_grades_exactly_once_after_restart(client, stack, learner):
    _, deck, question = learner
    stack["fake"].reply((200, GOOD, 3.0))  # slow enough to kill the worker while it waits
    attempt = submit(client, deck, question)
    wait_for(lambda: len(stack["fake"].requests) >= 1, 30, "the worker to call the LLM")
    stack["worker"].kill()
    attempt.refresh_from_db()
    assert attempt.status == "grading" and attempt.text == "方差变大导致 softmax 饱和"
    stack["fake"].reply(GOOD)
    stack["worker"].start()
    wait_for(lambda: graded(attempt), 60, "grading after restart")
    time.sleep(3)  # let any duplicate delivery arrive
    assert Grade.objects.filter(attempt=attempt).count() == 1


def test_broker_down_at_submit_keeps_the_answer_and_grades_it_when_back(client, stack, learner):
    _, deck, question = learner
    stack["redis"].stop()
    attempt = submit(client, deck, question)
    attempt.refresh_from_db()
    assert attempt.status == "pending" and attempt.text
    stack["redis"].start()
    wait_for(lambda: graded(attempt), 60, "grading after the broker came back")
    assert Grade.objects.filter(attempt=attempt).count() == 1


def test_healthz_follows_the_real_broker_down_and_back(client, stack, bundled):
    assert client.get("/healthz").json()["checks"]["broker"] == {"ok": True, "detail": "redis", "ms": ANY}
    stack["redis"].stop()
    down = client.get("/healthz")
    assert down.status_code == 503 and not down.json()["checks"]["broker"]["ok"]
    assert down.json()["checks"]["database"]["ok"]
    stack["redis"].start()
    wait_for(lambda: client.get("/healthz").status_code == 200, 30, "healthz after the broker came back")


BROKEN = {
    "html": (200, Raw(b"<html><body>502 Bad Gateway</body></html>", "text/html"), 0),
    "empty 200": (200, Raw(b""), 0),
    "truncated JSON": (200, Raw(b'{"id": "x", "choices": [{"message": {"content": "{\\"sco'), 0),
    "no choices": (200, Raw(b'{"id": "x", "object": "chat.completion"}'), 0),
    "a hang": (200, GOOD, 60),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_whatever_the_endpoint_returns_the_answer_is_graded_offline_and_flagged(client, stack, learner, kind):
    """Within the documented bound (deadline per run, MAX_RUNS runs), with a bounded number of
    LLM calls: the offline grade, flagged (no rating pre-selected), instead of a failure the
    learner had to retry by hand; the answer is kept."""
    _, deck, question = learner
    stack["fake"].reply(BROKEN[kind])
    attempt = submit(client, deck, question)
    wait_for(lambda: ended(attempt), 40, "the grading to end")
    run = time.monotonic() - stack["fake"].requests[0]["at"]  # from its first LLM request (not the queue)
    attempt.refresh_from_db()
    assert attempt.status == "graded" and attempt.text == "方差变大导致 softmax 饱和"
    grade = Grade.objects.get(attempt=attempt)
    assert grade.grader == "offline" and "llm_unavailable" in grade.flags and grade.suggested_rating is None
    time.sleep(6)  # past the sweep's timeout: a graded attempt is not run again
    attempt.refresh_from_db()
    assert attempt.runs == 1 and len(stack["fake"].requests) <= 4
    assert run < 4 + 3  # the deadline, plus storing the offline grade
    page = client.get(reverse("practice:attempt_grade", args=[attempt.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 286 and "离线估计" in page.content.decode()
    assert "大模型评分服务暂时不可用" in page.content.decode()


def ended(attempt):
    attempt.refresh_from_db()
    return attempt.status in ("graded", "failed")


def test_an_interview_answer_is_graded_and_its_follow_up_written_by_the_real_worker(stack):
    """Mock interview on the real stack: the worker writes the follow-up with the LLM (the page
    waits for it) and grades the answer, both through Redis."""
    import json

    from quizbank.interviews import services, turns
    from tests.interview_factories import WEAK, make_interview_set, start

    question = "如果不做缩放，d_k 很大时训练会出现什么问题？"
    stack["fake"].reply(completion(json.dumps({"question": question}, ensure_ascii=False)), GOOD)
    make_interview_set()
    interview = start(make_user())
    first = turns.current_turn(interview)
    answered = services.answer(interview, first.number, WEAK)

    def written():
        turn = turns.current_turn(interview)
        return turn is not None and turn.parent_id == first.pk and turn.prompt

    wait_for(written, 30, "the follow-up written by the worker")
    follow_up = turns.current_turn(interview)
    assert follow_up.prompt == question and follow_up.generated
    wait_for(lambda: graded(answered.attempt), 30, "grading of the interview answer")
    assert Grade.objects.get(attempt=answered.attempt).grader == "llm"
