"""Back and Forward through htmx-pushed list states, in a real browser (headless Chromium)."""

import pytest

from tests import test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
page = test_browser.page  # the shared fixture: headless Chromium, fails the test on a page error
NOT_BUSY = "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"


def console_error(msg) -> bool:
    # the browser's own favicon request is not the page's doing
    return msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico")


@pytest.fixture
def browser_page(page):
    """The page, also failing the test on any console error."""
    errors = []
    page.on("console", lambda msg: console_error(msg) and errors.append(msg.text))
    yield page
    assert errors == [], errors


def assert_full_styled_page(page):
    """Not a bare htmx fragment: the site header is there and the site's stylesheet applies to it."""
    page.wait_for_load_state()
    assert page.locator("header.topbar").count() == 1, page.content()[:500]
    assert page.locator("footer.footer").count() == 1
    assert page.evaluate("getComputedStyle(document.querySelector('header.topbar')).position") == "sticky"
    assert page.title().endswith("QuizBank")


def step(page, direction: str, url_matches):
    """Back or forward to a URL, then wait for htmx's history restore to settle."""
    getattr(page, f"go_{direction}")()
    page.wait_for_url(url_matches)
    page.wait_for_function(NOT_BUSY)
    assert_full_styled_page(page)


def walk(page, steps, shown):
    """Each (direction, url, expected): step there and check what the form and list show."""
    for direction, url, expected in steps:
        step(page, direction, url)
        assert expected is None or shown() == expected


def out_and_back(page, link, shown, filtered, unfiltered):
    """Open a question from the filtered list, then Back, Back, Forward, Forward, Back; each of
    `filtered` and `unfiltered` is (url pattern, what shown() returns there)."""
    link.click()
    page.wait_for_url("**/questions/**")
    assert_full_styled_page(page)
    question = ("**/questions/**", None)
    walk(page, [("back", *filtered), ("back", *unfiltered), ("forward", *filtered), ("forward", *question)], shown)
    walk(page, [("back", *filtered)], shown)


def test_back_and_forward_after_filtering_restore_the_full_page_and_the_dropdowns(
    live_server, bundled_db, browser_page
):
    page = browser_page
    page.goto(f"{live_server.url}/topics/quantization/")
    difficulty = page.locator("form.filters select[name=difficulty]")
    count = page.locator("#question-list p.meta")

    def shown():
        return difficulty.input_value(), count.inner_text()

    everything = shown()
    difficulty.select_option("hard")
    page.wait_for_url("**difficulty=hard**")
    count.filter(has_not_text=everything[1]).wait_for()
    hard = shown()
    assert hard[0] == "hard"
    assert page.locator("#question-list .badge.hard").count() == page.locator("#question-list ol > li").count()

    def unfiltered(url):
        return "difficulty" not in url

    # inside the list, then out to a question and back
    walk(page, [("back", unfiltered, everything), ("forward", "**difficulty=hard**", hard)], shown)
    link = page.locator("#question-list ol.questions li a").first
    out_and_back(page, link, shown, ("**difficulty=hard**", hard), (unfiltered, everything))

    page.reload()
    assert_full_styled_page(page)
    assert shown() == hard


def test_back_and_forward_after_live_search_restore_the_full_page_and_the_query(live_server, bundled_db, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/search/")
    box = page.locator("#id_q")
    difficulty = page.locator("form.search select[name=difficulty]")
    found = page.locator("#results p.meta")

    def shown():
        return box.input_value(), difficulty.input_value(), found.inner_text()

    box.press_sequentially("KV cache", delay=20)
    page.wait_for_url("**q=KV%20cache**")
    page.wait_for_function(NOT_BUSY)
    any_difficulty = shown()
    difficulty.select_option("hard")
    page.wait_for_url("**difficulty=hard**")
    found.filter(has_not_text=any_difficulty[2]).wait_for()
    hard = shown()
    assert hard[:2] == ("KV cache", "hard")

    def any_level(url):
        return "q=KV%20cache" in url and "difficulty=hard" not in url

    link = page.locator("#results ol.results li a").first
    out_and_back(page, link, shown, ("**difficulty=hard**", hard), (any_level, any_difficulty))
