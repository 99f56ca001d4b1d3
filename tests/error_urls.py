"""URLs for tests/test_error_pages.py: the project's, plus a view that fails."""

from django.urls import path

from quizbank.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *project_urlpatterns]
