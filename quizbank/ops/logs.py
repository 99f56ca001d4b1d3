"""Structured logs with a request id.

The middleware takes the id from the load balancer's X-Request-ID (when it is a plausible id) or
makes one, returns it in the response's X-Request-ID, and keeps it in a context variable that the
log filter copies onto every record logged while the request runs. With QUIZBANK_LOG_FORMAT=json
each record is one JSON object per line (time, level, logger, message, request_id, exception)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
access = logging.getLogger("quizbank.access")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _VALID.match(given) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            access.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                    # only if the view loaded the user: logging must not cost a session query
                    "user_id": getattr(getattr(request, "_cached_user", None), "pk", None),
                },
            )
            return response
        finally:
            request_id.reset(token)


class DatabaseOutageFilter(logging.Filter):
    """On django.request: a request that met the database down was answered 503 (`ops/errors.py`),
    which is an outage to watch, not a bug: one WARNING line each instead of an ERROR with a
    traceback (a restart under load would fill the log with identical ones)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.db import InterfaceError, OperationalError

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OperationalError | InterfaceError):
            said = f"{record.getMessage()} (503, the database is unavailable: {type(error).__name__}: {error})"
            record.msg, record.args = " ".join(said.split()), ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
