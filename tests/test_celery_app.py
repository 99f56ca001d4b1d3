"""quizbank/celery.py: a web process connects to the broker before its first answer is queued,
and a broker that cannot be reached costs a warning, not a failed start."""

import logging
import socket

from celery import Celery

from quizbank.celery import warm_up_publishing


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_the_warm_up_leaves_a_connected_producer_for_the_first_answer(tmp_path, caplog):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    app = Celery("warm", broker="filesystem://", broker_transport_options=options)
    app.conf.broker_transport = "quizbank.broker:Transport"
    with caplog.at_level(logging.WARNING):
        warm_up_publishing(app).join(timeout=30)
    assert not caplog.records  # nor kombu's "No hostname was supplied" (a folder has no host)
    with app.producer_or_acquire() as producer:  # the same producer, its connection already open
        assert producer.connection.connected


def test_a_broker_that_cannot_be_reached_costs_a_warning(caplog):
    app = Celery("warm", broker=f"redis://127.0.0.1:{closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="quizbank.celery"):
        thread = warm_up_publishing(app)
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert "could not reach the Celery broker" in caplog.text
