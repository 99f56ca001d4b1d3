"""The hourly grading limit holds exactly when many requests arrive at once (each thread has its
own database connection, as gunicorn workers have)."""

import threading

import pytest
from django.db import connection

from quizbank.grading import services
from quizbank.grading.models import GradingCharge
from tests.practice_factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(n: int, work) -> None:
    """Run `work` in n threads released together, each with its own database connection."""
    barrier = threading.Barrier(n)

    def run():
        barrier.wait()
        try:
            work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_charges_never_pass_the_limit(settings):
    settings.QUIZBANK_GRADINGS_PER_HOUR = 10
    user = make_user()
    outcomes = []

    def burst():
        for _ in range(5):
            try:
                services.charge(user)
                outcomes.append("ok")
            except services.RateLimited:
                outcomes.append("limited")

    at_once(8, burst)
    assert outcomes.count("ok") == 10 and outcomes.count("limited") == 30
    assert GradingCharge.objects.filter(user=user).count() == 10


def test_the_same_answer_sent_twice_at_once_is_one_attempt_and_one_charge(settings):
    from quizbank.bank.models import Question
    from quizbank.grading.models import Attempt
    from tests.practice_factories import make_set

    settings.OPENAI_API_KEY = ""
    make_set("dup", 1)
    question = Question.objects.get(id="dup-00001")
    user = make_user()
    ids = []
    at_once(4, lambda: ids.append(services.submit(user=user, question=question, text="方差变大导致 softmax 饱和").pk))
    assert len(set(ids)) == 1 and Attempt.objects.count() == 1 and GradingCharge.objects.count() == 1
    other = services.submit(user=user, question=question, text="另一个回答")
    assert other.pk != ids[0] and Attempt.objects.count() == 2
