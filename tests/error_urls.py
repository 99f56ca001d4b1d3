"""URLs for tests/test_error_pages.py: the project's, plus views that fail."""

from django.db import OperationalError
from django.urls import path

from quizbank.urls import handler500  # noqa: F401 — the project's handler, found on the root URLconf
from quizbank.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


urlpatterns = [path("boom/", boom), path("database-down/", database_down), *project_urlpatterns]
