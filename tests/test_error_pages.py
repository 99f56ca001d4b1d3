"""Error pages carry the site header and are translated; /favicon.ico exists; HEAD works on pages."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from tests.practice_factories import make_deck, make_set, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "找不到这个页面"), ("en", "Page not found")], ids=["zh", "en"]
)
def test_a_404_has_the_site_header_in_the_users_language(client, settings, language, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/questions/no-such-question/")
    html = response.content.decode()
    assert response.status_code == 404
    assert text in html and 'class="topbar"' in html and 'name="q"' in html


def test_a_403_csrf_failure_is_explained(client):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("alice"))
    response = strict.post(reverse("practice:settings"), {})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "服务器出错了"), ("en", "Server error")], ids=["zh", "en"])
def test_the_500_page_needs_no_database_or_context_processors(django_assert_num_queries, language, text):
    request = RequestFactory().get("/")
    with translation.override(language), django_assert_num_queries(0):
        response = defaults.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert text in html and 'class="topbar"' in html and "QuizBank" in html


def test_an_unhandled_error_shows_the_500_page(settings):
    """Through the whole stack: a view that raises gives the site's 500 page."""
    client = Client(raise_request_exception=False)
    settings.ROOT_URLCONF = "tests.error_urls"
    response = client.get("/boom/")
    assert response.status_code == 500 and "服务器出错了" in response.content.decode()


def test_a_database_that_cannot_be_reached_is_a_503_that_says_so(settings):
    """PostgreSQL restarting under load: the page asks to try again, not "server error"."""
    client = Client(raise_request_exception=False)
    settings.ROOT_URLCONF = "tests.error_urls"
    page = client.get("/database-down/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "数据库暂时连不上" in page.content.decode() and 'class="topbar"' in page.content.decode()
    submit = client.post("/database-down/", {"text": "我的回答"}, HTTP_HX_REQUEST="true")
    assert submit.status_code == 503 and submit["Content-Type"].startswith("text/plain")
    assert "这次提交没有保存：写的内容还在" in submit.content.decode() and "<" not in submit.content.decode()
    # without htmx the 503 page replaces the form: the text is on the page before it
    page = client.post("/database-down/", {"text": "我的回答"}).content.decode()
    assert "这次提交没有保存：用浏览器的返回键回到上一页" in page
    # a rating (nothing typed) is not told about "what you wrote"
    rate = client.post("/database-down/", {"rating": "3"}, HTTP_HX_REQUEST="true").content.decode()
    assert "这次操作没有保存" in rate and "写的内容" not in rate


def test_a_database_outage_is_logged_as_one_warning_line_a_bug_as_an_error_with_its_traceback(settings, caplog):
    client = Client(raise_request_exception=False)
    settings.ROOT_URLCONF = "tests.error_urls"
    client.get("/database-down/")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert "/database-down/" in record.getMessage() and "503" in record.getMessage()
    assert "OperationalError" in record.getMessage() and "Connection refused" in record.getMessage()
    caplog.clear()
    client.get("/boom/")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "ERROR" and record.exc_info[0] is RuntimeError


def test_a_400_page_is_the_sites(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = defaults.bad_request(RequestFactory().get("/"), Exception("bad"))
    assert response.status_code == 400 and "请求无法处理" in response.content.decode()


def test_the_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    html = client.get(reverse("bank:home")).content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html


def test_head_works_on_every_page(client, bundled):
    qs = make_set("s", 2)  # beside the bundled sets
    user = make_user("alice")
    deck = make_deck(user, qs)
    anonymous = [
        reverse("bank:home"),
        reverse("bank:topic", args=["s"]),
        reverse("bank:question", args=["s-00001"]),
        reverse("bank:search") + "?q=x",
        reverse("login"),
        reverse("signup"),
    ]
    for url in anonymous:
        response = client.head(url)
        assert response.status_code == 200 and response.content == b"", url
    client.force_login(user)
    for url in [
        reverse("practice:dashboard"),
        reverse("practice:study", args=[deck.pk]),
        reverse("practice:stats"),
        reverse("practice:settings"),
        reverse("practice:deck_edit", args=[deck.pk]),
    ]:
        response = client.head(url)
        assert response.status_code == 200 and response.content == b"", url


def test_post_to_a_read_only_page_is_still_405(client):
    assert client.post(reverse("bank:home")).status_code == 405
