"""Every URL that serves both an htmx partial and its full page says so (`Vary: HX-Request`), and an
htmx history restore (a cache miss on Back) gets the full page."""

import re

import pytest
from django.urls import reverse
from django.utils.cache import has_vary_header

from tests.practice_factories import make_deck, make_set, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
HISTORY_RESTORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
FULL_PAGE = '<header class="topbar">'


@pytest.fixture
def urls(client, bundled):
    user = make_user("vary")
    client.force_login(user)
    deck = make_deck(user, make_set("vary", 2))
    study = reverse("practice:study", args=[deck.pk])
    html = client.get(study).content.decode()
    question, token = re.search(r"question=([^&\"]+)&amp;token=([^\"&]+)", html).groups()
    return [
        reverse("bank:topic", args=["quantization"]) + "?difficulty=hard",
        reverse("bank:search") + "?q=KV+cache",
        study,
        reverse("practice:reveal", args=[deck.pk]) + f"?question={question}&token={token}",
    ]


def test_partial_and_full_page_on_one_url_vary_on_hx_request(client, urls):
    for url in urls:
        page, partial = client.get(url), client.get(url, **HTMX)
        assert page.status_code == partial.status_code == 200, url
        assert FULL_PAGE in page.content.decode() and FULL_PAGE not in partial.content.decode(), url
        assert has_vary_header(page, "HX-Request") and has_vary_header(partial, "HX-Request"), url


def test_a_history_restore_gets_the_full_page(client, urls):
    for url in urls:
        response = client.get(url, **HISTORY_RESTORE)
        assert response.status_code == 200, url
        assert FULL_PAGE in response.content.decode(), url
