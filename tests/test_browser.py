"""End to end in a real browser: Debian's headless Chromium driven by Playwright."""

import os
import shutil

import pytest

from tests.helpers import csp_violations

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def page(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: scripts/test installs Debian's chromium package")
    # Playwright's sync API runs an event loop in this thread; Django's ORM is only used by
    # the live server's own thread and by fixtures before the browser starts.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda message: errors.extend(csp_violations([message])))
        yield page
        browser.close()
        assert errors == [], errors
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_search_as_you_type_then_open_a_question(live_server, bundled_db, page, tmp_path):
    page.goto(f"{live_server.url}/search/")
    box = page.locator("#id_q")
    box.press_sequentially("GPTQ 和 AWQ 区别", delay=20)
    # results arrive through htmx without a page load, with the terms highlighted
    first = page.locator("#results ol.results li a").first
    first.wait_for(timeout=10_000)
    assert "GPTQ" in first.inner_text() and page.locator("#results mark").count() >= 2
    assert "q=GPTQ" in page.url.replace("+", " ").replace("%20", " ") or "q=" in page.url
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/questions/quantization-gptq-vs-awq/")
    reveal = page.locator("details.reveal")
    assert reveal.get_attribute("open") is None
    page.keyboard.press("Space")
    assert reveal.get_attribute("open") is not None
    assert page.locator("details.reveal h2", has_text="回答重点").is_visible()
    page.screenshot(path=str(tmp_path / "question.png"), full_page=True)


def test_math_is_rendered_by_katex_from_static(live_server, bundled_db, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/questions/transformer-attention-scaling-sqrt-dk/")
    page.locator("details.reveal > summary").click()
    page.locator(".katex").first.wait_for(timeout=10_000)
    assert page.locator(".katex").count() > 0
    assert all(u.startswith(live_server.url) for u in requests), [
        u for u in requests if not u.startswith(live_server.url)
    ]


def test_search_works_without_javascript(live_server, bundled_db, tmp_path):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(f"{live_server.url}/search/")
        page.fill("#id_q", "MCP 传输方式")
        page.locator("form.search button[type=submit]").click()
        page.wait_for_url("**/search/?q=*")
        assert "mcp-transports" in page.locator("#results ol.results li a").first.get_attribute("href")
        browser.close()


def test_sign_up_and_study_five_cards_with_the_keyboard_only(live_server, bundled_db, page):
    from quizbank.practice.models import ReviewLog

    page.goto(f"{live_server.url}/accounts/signup/")
    page.locator("#id_username").focus()
    page.keyboard.type("keyboarder")
    page.keyboard.press("Tab")
    page.keyboard.type("a-long-password-42")
    page.keyboard.press("Tab")
    page.keyboard.type("a-long-password-42")
    page.keyboard.press("Enter")
    page.wait_for_url("**/practice/")
    start = page.locator("table.decks a.button.primary").first
    start.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/practice/decks/*/")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    for i in range(5):
        card = page.locator("#card")
        question = card.locator(".card-face").get_attribute("data-question")
        if card.locator(".reveal-button").count():
            page.keyboard.press("Space")
        elif card.locator(".options input").count():
            page.keyboard.press("1")
            page.keyboard.press("Enter")
        else:
            card.locator(".typed-input").focus()
            page.keyboard.type("42")
            page.keyboard.press("Control+Enter")
        card.locator(".ratings").wait_for(timeout=10_000)
        page.keyboard.press("3")
        page.wait_for_function(
            "q => !document.querySelector('.card-face') || document.querySelector('.card-face').dataset.question !== q",
            arg=question,
            timeout=10_000,
        )
        assert ReviewLog.objects.count() == i + 1
    assert navigations == []  # every reveal and rating happened without a page load
    page.keyboard.press("u")
    page.locator("#card .notice", has_text="已撤销").wait_for(timeout=10_000)
    assert ReviewLog.objects.count() == 4


def _typed_deck_on_one_question(question_id: str):
    """A learner whose only card is one bank question, answered by typing."""
    from quizbank.bank.models import Question
    from tests.practice_factories import make_deck, make_user

    user = make_user("typist")
    question = Question.objects.get(id=question_id)
    deck = make_deck(user, question.question_set, mode="typed")
    deck.tags.set(question.tags.filter(name="根号dk"))
    return deck


def log_in(page, live_server, username: str) -> None:
    """Sign in through the login form (users from practice_factories share one password)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-password-1")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/practice/")


@pytest.mark.parametrize(
    ("answer", "notice", "suggested"),
    [
        ("方差、softmax、饱和、梯度消失", "关键词罗列", None),
        (
            "点积的方差会随 d_k 线性增大，softmax 的输入过大就进入饱和区、输出接近 one-hot，梯度很小，训练不稳定；"
            "除以 √d_k 让方差回到 1，尺度与维度无关。",
            None,
            "4",
        ),
    ],
)
def test_a_typed_answer_gets_an_honest_grade_and_a_suggestion_only_when_sure(
    live_server, bundled_db, page, answer, notice, suggested
):
    deck = _typed_deck_on_one_question("transformer-attention-scaling-sqrt-dk")
    log_in(page, live_server, "typist")
    page.goto(f"{live_server.url}/practice/decks/{deck.pk}/")
    page.locator("#answer-text").fill(answer)
    page.keyboard.press("Control+Enter")
    grade = page.locator(".grade .score")
    grade.wait_for(timeout=15_000)
    if notice:
        page.locator(".grade .notice", has_text=notice).wait_for(timeout=5_000)
        assert page.locator(".grade .no-suggestion").count() == 1
        assert page.locator(".ratings button.suggested").count() == 0
    else:
        assert page.locator(".grade .notice").count() == 0
        page.locator(f".ratings button.suggested[data-key='{suggested}']").wait_for(timeout=5_000)
