"""Faults, quickly (bench/faults.py measures them at length): a real worker with beat, a real
Redis, the fake LLM endpoint and the test database (SQLite, or PostgreSQL in scripts/test's second
run). Whatever breaks — the worker killed mid-grading, Redis stopped, the endpoint failing in each
way, PostgreSQL restarted — every answer the learner was told was saved is in the database with
its text, ends graded by itself, and is graded once."""

import os
import subprocess
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from quizbank.bank.models import Question
from quizbank.grading.models import Attempt, Grade
from tests.fault_stack import ROOT, grading_stack, wait_for
from tests.practice_factories import make_deck, make_set, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack(tmp_path, settings):
    # threads: several gradings in flight in one process (one warm-up); a short client timeout
    # so that a hang is cut by it, a deadline that a hang outlasts
    with grading_stack(
        tmp_path, settings, pool="threads", concurrency=4, QUIZBANK_GRADER_TIMEOUT="1", QUIZBANK_GRADER_DEADLINE="3"
    ) as servers:
        servers["fake"].fault("ok")
        yield servers


@pytest.fixture
def learner():
    make_set("s", 1)
    question = Question.objects.get(id="s-00001")
    question.key_points = [{"text": "方差随 d_k 增大", "weight": 1, "aliases": ["方差"]}]
    question.save()
    user = make_user()
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client, make_deck(user, question.question_set), question


class Users:
    """Submits typed answers as the learner would and keeps what the learner was shown."""

    def __init__(self, client, deck, question):
        self.client, self.deck, self.question = client, deck, question
        self.saved: dict[int, str] = {}  # attempt id -> text, for every answer shown as saved
        self.refused: list[tuple[int, str]] = []
        self.n = 0

    def submit(self) -> int:
        self.n += 1
        text = f"第 {self.n} 次：方差变大导致 softmax 饱和"
        response = self.client.post(
            reverse("practice:answer", args=[self.deck.pk]),
            {"question": self.question.id, "token": "new", "text": text},
            HTTP_HX_REQUEST="true",
        )
        if response.status_code == 200:
            attempt = Attempt.objects.filter(text=text).values_list("pk", flat=True).get()
            assert f'id="grade-{attempt}"' in response.content.decode()
            self.saved[attempt] = text
        else:
            self.refused.append((response.status_code, response.content.decode()))
        return response.status_code

    def all_final(self) -> bool:
        states = dict(Attempt.objects.filter(pk__in=self.saved).values_list("pk", "status"))
        return len(states) == len(self.saved) and set(states.values()) <= {"graded", "failed"}

    def check(self) -> dict[int, Grade]:
        """Nothing lost, each graded exactly once; the grades by attempt."""
        wait_for(self.all_final, 120, "every saved answer to be graded", every=0.3)
        texts = dict(Attempt.objects.filter(pk__in=self.saved).values_list("pk", "text"))
        assert texts == self.saved  # no answer lost, none changed
        grades = {g.attempt_id: g for g in Grade.objects.filter(attempt__in=self.saved)}
        assert set(grades) == set(self.saved)  # all graded (none failed), one grade row each
        return grades


def test_a_worker_killed_with_gradings_in_flight_grades_every_answer_once(stack, learner):
    users, fake = Users(*learner), stack["fake"]
    fake.fault("ok", delay=2.0)  # slow: the gradings are in flight when the worker dies
    for _ in range(4):
        assert users.submit() == 200
    wait_for(lambda: len(fake.requests) >= 3, 120, "gradings in flight")  # after the first warm-up
    stack["worker"].kill()
    assert users.submit() == 200  # the site keeps taking answers while no worker runs
    fake.fault("ok", delay=0)
    stack["worker"].start()
    grades = users.check()
    assert {g.grader for g in grades.values()} == {"llm"}
    time.sleep(3)  # a redelivery or a sweep after the grade changes nothing
    assert Grade.objects.filter(attempt__in=users.saved).count() == len(users.saved)


def test_redis_stopped_while_users_submit_keeps_every_answer_and_grades_each_once(stack, learner):
    users = Users(*learner)
    assert users.submit() == 200
    stack["redis"].stop()
    for _ in range(3):
        assert users.submit() == 200  # saved, not queued: the sweep queues it when Redis is back
    assert Attempt.objects.filter(pk__in=users.saved, status="pending").count() >= 3
    stack["redis"].start()
    grades = users.check()
    assert {g.grader for g in grades.values()} == {"llm"}


def test_an_endpoint_failing_in_each_way_leaves_offline_grades_and_the_llm_grades_again_after(stack, learner):
    users, fake = Users(*learner), stack["fake"]
    for mode in ("500", "hang", "truncated", "garbage"):
        fake.fault(mode, hang=5)
        before = set(users.saved)
        assert users.submit() == 200
        (fallback,) = set(users.saved) - before
        wait_for(lambda a=fallback: Attempt.objects.get(pk=a).status == "graded", 30, f"{mode}: the grading")
        grade = Grade.objects.get(attempt=fallback)
        assert (grade.grader, grade.flags[-1], grade.suggested_rating) == ("offline", "llm_unavailable", None), mode
    fake.fault("ok")
    assert users.submit() == 200
    grades = users.check()
    assert grades[max(users.saved)].grader == "llm"


@pytest.mark.skipif(
    not os.environ.get("QUIZBANK_TEST_PG_DIR"),
    reason="restarts the throwaway PostgreSQL of scripts/test's second run (QUIZBANK_TEST_PG_DIR)",
)
def test_postgres_restarted_under_load_gives_a_503_loses_nothing_and_grading_resumes(stack, learner):
    assert connection.vendor == "postgresql"
    users = Users(*learner)
    for _ in range(2):
        assert users.submit() == 200
    pg = [str(ROOT / "scripts/pg"), "stop", os.environ["QUIZBANK_TEST_PG_DIR"]]
    subprocess.run(pg, check=True)
    connection.close()
    refused = users.client.post(
        reverse("practice:answer", args=[learner[1].pk]),
        {"question": learner[2].id, "token": "new", "text": "数据库停了的时候提交"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 503 and "这次提交没有保存" in refused.content.decode()
    port = str(connection.settings_dict["PORT"])
    subprocess.run([pg[0], "start", pg[2], port], check=True, capture_output=True)
    connection.close()
    for _ in range(2):
        assert users.submit() == 200
    users.check()
    assert not Attempt.objects.filter(text="数据库停了的时候提交").exists()
