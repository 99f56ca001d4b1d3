"""The embedded broker never lets a worker see half a message (the crash a stranger hit: a worker
read an empty message file, failed to decode it and stopped)."""

import threading

import pytest
from django.conf import settings
from kombu import Connection
from kombu.transport.virtual import Empty

import quizbank.broker


@pytest.fixture
def channel(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    with Connection(transport="quizbank.broker:Transport", transport_options=options) as connection:
        yield connection.default_channel


def test_the_embedded_broker_is_the_safe_transport():
    if settings.CELERY_BROKER_URL == "filesystem://":
        assert settings.CELERY_BROKER_TRANSPORT == "quizbank.broker:Transport"


def test_a_message_is_invisible_until_it_is_whole(channel, monkeypatch):
    seen_while_writing = []
    real_open = open

    class Polling:
        """The file being written; a worker polls the queue while it is half written."""

        def __init__(self, path, mode, **options):
            self.file = real_open(path, mode, **options)

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            try:
                seen_while_writing.append(channel._get("grading"))
            except Empty:
                pass
            return self.file.write(data[len(data) // 2 :])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def fileno(self):
            return self.file.fileno()

        def close(self):
            self.file.close()

    monkeypatch.setattr(quizbank.broker, "open", Polling, raising=False)
    channel._put("grading", {"body": "x" * 1000})
    assert seen_while_writing == []
    assert channel._get("grading") == {"body": "x" * 1000}
    with pytest.raises(Empty):
        channel._get("grading")


def test_writers_and_a_polling_reader_lose_and_break_nothing(channel):
    sent, got, errors = 2 * 300, [], []

    def write(start):
        for i in range(start, start + sent // 2):
            channel._put("grading", {"n": i, "pad": "y" * 2000})

    def read():
        while len(got) < sent and not errors:
            try:
                got.append(channel._get("grading")["n"])
            except Empty:
                continue
            except Exception as exc:  # noqa: BLE001 — what a worker would die of
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(0,)), threading.Thread(target=write, args=(sent // 2,))]
    reader = threading.Thread(target=read)
    for t in [reader, *threads]:
        t.start()
    for t in [*threads, reader]:
        t.join(timeout=120)
    assert errors == [] and sorted(got) == list(range(sent))
