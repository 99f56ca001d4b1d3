"""Practice in a real browser: two tabs on one card, and reloading a card already answered."""

import pytest

from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUESTION = "transformer-attention-scaling-sqrt-dk"


def _learner(mode: str, *, only_question: bool = False):
    """A learner whose deck is the set QUESTION belongs to (or just QUESTION, through its tag)."""
    from quizbank.bank.models import Question
    from tests.practice_factories import make_deck, make_user

    user = make_user("learner")
    question = Question.objects.get(id=QUESTION)
    deck = make_deck(user, question.question_set, mode=mode)
    if only_question:
        deck.tags.set(question.tags.filter(name="根号dk"))
    return deck


def _token(page) -> str:
    return page.locator("#card input[name=token]").first.get_attribute("value")


def test_a_stale_second_tab_gets_a_409_and_offers_the_current_card(live_server, bundled_db, context):
    from quizbank.practice.models import ReviewLog

    deck = _learner("recall")
    first = context.new_page()
    log_in(first, live_server, "learner")
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

    # the reveal carries the token the card was shown with, not a fresh one
    assert f"token={shown_token}" in second.locator(".reveal-button").get_attribute("hx-get")
    second.locator(".reveal-button").click()  # the stale tab is told at once, with no buttons to rate
    second.locator("#card .notice", has_text="另一个标签页").wait_for(timeout=10_000)
    assert second.locator("#card .ratings").count() == 0
    assert ReviewLog.objects.count() == 1 and ReviewLog.objects.get().rating == 3

    second.locator("#card .load-current").click()
    second.locator("#card .card-face").wait_for(timeout=10_000)
    assert second.locator("#card .notice").count() == 0
    assert second.locator(".card-face").get_attribute("data-question") == first.locator(".card-face").get_attribute(
        "data-question"
    )


def test_a_reload_after_grading_shows_the_answer_its_grade_and_the_ratings(live_server, bundled_db, context):
    from quizbank.grading.models import Attempt
    from quizbank.practice.models import ReviewLog

    deck = _learner("typed", only_question=True)
    page = context.new_page()
    log_in(page, live_server, "learner")
    page.goto(f"{live_server.url}/practice/decks/{deck.pk}/")
    assert page.locator(".card-face").get_attribute("data-question") == QUESTION
    answer = "点积的方差随维度线性增大，softmax 进入饱和区，梯度很小；除以根号 d_k 让方差回到 1。"
    page.locator("#answer-text").fill(answer)
    page.keyboard.press("Control+Enter")
    page.locator(".grade .score").wait_for(timeout=15_000)
    score = page.locator(".grade .score strong").inner_text()

    page.reload()
    assert page.locator(".card-face").get_attribute("data-question") == QUESTION
    assert page.locator(".answer-form").count() == 0
    assert page.locator(".attempt-text").inner_text() == answer
    page.locator(".grade .score").wait_for(timeout=15_000)
    assert page.locator(".grade .score strong").inner_text() == score
    page.locator(".ratings button[data-key='3']").click()
    page.locator(".ratings").wait_for(state="detached", timeout=10_000)
    assert ReviewLog.objects.get().attempt == Attempt.objects.get()


def test_an_answer_over_the_limit_is_kept_whole_and_refused_with_its_length(live_server, bundled_db, context):
    """No maxlength on the box: a browser would cut a long paste silently. The count says it is
    over, the server refuses it with the limit, and the text stays in the box to shorten."""
    from django.conf import settings

    from quizbank.grading.models import Attempt

    limit = settings.QUIZBANK_ANSWER_MAX_CHARS
    deck = _learner("typed", only_question=True)
    page = context.new_page()
    log_in(page, live_server, "learner")
    page.goto(f"{live_server.url}/practice/decks/{deck.pk}/")
    long_answer = "缩放点积注意力除以根号 d_k。" * (limit // 14 + 40)
    page.locator("#answer-text").fill(long_answer)
    assert page.locator("#answer-text").input_value() == long_answer  # nothing cut
    over = len(long_answer) - limit
    page.locator(".char-count.over", has_text=f"超出 {over} 字").wait_for(timeout=5_000)
    page.keyboard.press("Control+Enter")
    page.locator("#flash", has_text=f"最长 {limit}").wait_for(timeout=10_000)
    assert str(len(long_answer)) in page.locator("#flash").inner_text()
    assert page.locator("#answer-text").input_value() == long_answer
    assert Attempt.objects.count() == 0

    page.locator("#answer-text").fill(long_answer[:limit])
    assert page.locator(".char-count.over").count() == 0
    page.keyboard.press("Control+Enter")
    page.locator(".grade .score").wait_for(timeout=15_000)
    assert Attempt.objects.get().text == long_answer[:limit].strip()
