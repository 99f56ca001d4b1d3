"""The hourly grading limit holds exactly when many requests arrive at once (each thread has its
own database connection, as gunicorn workers have)."""

import threading

import pytest
from django.db import connection

from quizbank.grading import services
from quizbank.grading.models import GradingCharge
from tests.practice_factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_charges_never_pass_the_limit(settings):
    settings.QUIZBANK_GRADINGS_PER_HOUR = 10
    user = make_user()
    barrier = threading.Barrier(8)
    outcomes = []

    def burst():
        barrier.wait()
        for _ in range(5):
            try:
                services.charge(user)
                outcomes.append("ok")
            except services.RateLimited:
                outcomes.append("limited")
        connection.close()

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 10 and outcomes.count("limited") == 30
    assert GradingCharge.objects.filter(user=user).count() == 10
