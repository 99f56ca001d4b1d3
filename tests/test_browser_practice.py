"""Practice in a real browser: two tabs on one card, and reloading a card already answered."""

import os

import pytest

from tests.test_browser import ARGS, CHROMIUM, playwright_api

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUESTION = "transformer-attention-scaling-sqrt-dk"


@pytest.fixture
def context():
    """One browser context (one cookie jar): its pages are tabs of the same signed-in user."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: scripts/test installs Debian's chromium package")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    errors = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
        context.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(str(exc))))
        yield context
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert errors == [], errors


def _learner(mode: str):
    """A learner whose deck is the whole set QUESTION belongs to."""
    from quizbank.bank.models import Question
    from tests.practice_factories import make_deck, make_user

    user = make_user("learner")
    question = Question.objects.get(id=QUESTION)
    return make_deck(user, question.question_set, mode=mode)


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "learner")
    page.fill("#id_password", "a-long-password-1")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/practice/")


def _token(page) -> str:
    return page.locator("#card input[name=token]").first.get_attribute("value")


def test_a_stale_second_tab_gets_a_409_and_offers_the_current_card(live_server, bundled_db, context):
    from quizbank.practice.models import ReviewLog

    deck = _learner("recall")
    first = context.new_page()
    _log_in(first, live_server)
    study = f"{live_server.url}/practice/decks/{deck.pk}/"
    first.goto(study)
    second = context.new_page()
    second.goto(study)
    question = first.locator(".card-face").get_attribute("data-question")
    assert second.locator(".card-face").get_attribute("data-question") == question

    first.locator(".reveal-button").click()
    first.locator("#card .ratings").wait_for(timeout=10_000)
    shown_token = _token(first)
    first.locator(".ratings button[data-key='3']").click()
    first.wait_for_function("q => document.querySelector('.card-face')?.dataset.question !== q", arg=question)
    assert ReviewLog.objects.count() == 1

    second.locator(".reveal-button").click()
    second.locator("#card .ratings").wait_for(timeout=10_000)
    assert _token(second) == shown_token  # the token shown with the card, not a fresh one
    second.locator(".ratings button[data-key='1']").click()
    second.locator("#card .notice", has_text="已经评过分").wait_for(timeout=10_000)
    assert ReviewLog.objects.count() == 1 and ReviewLog.objects.get().rating == 3

    second.locator("#card .load-current").click()
    second.locator("#card .card-face").wait_for(timeout=10_000)
    assert second.locator("#card .notice").count() == 0
    assert second.locator(".card-face").get_attribute("data-question") == first.locator(".card-face").get_attribute(
        "data-question"
    )
