"""A 390 px phone: no page scrolls sideways, no formula is cut off, no label breaks one character
per line. One browser page walks every bundled question."""

import pytest

from tests import test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
page = test_browser.page  # the shared fixture: headless Chromium, fails the test on a page error
PHONE = {"width": 390, "height": 844}

# Everything that can be wider than the screen, on the page as a reader sees it (answers open).
LAYOUT_PROBLEMS = """() => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const problems = [];
  const root = document.documentElement;
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ")[0] : "")
    + " " + JSON.stringify((el.textContent || "").trim().slice(0, 40));
  if (root.scrollWidth > window.innerWidth) {
    const sticking = [...document.body.querySelectorAll("*")].filter((el) => {
      const box = el.getBoundingClientRect();
      return box.right > window.innerWidth + 1 && ![...ancestors(el)].some(scrolls);
    });
    problems.push(`page is ${root.scrollWidth}px wide: ` + sticking.slice(0, 3).map(name).join(", "));
  }
  function* ancestors(el) { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) yield a; }
  for (const formula of document.querySelectorAll(".katex-display")) {
    const style = getComputedStyle(formula);
    const fitsAcross = formula.scrollWidth <= formula.clientWidth + 1;
    if (!fitsAcross && !scrolls(formula)) problems.push("formula overflows: " + name(formula));
    if (style.overflowY !== "visible" && formula.scrollHeight > formula.clientHeight + 1)
      problems.push(`formula cut off at the bottom (${formula.scrollHeight} > ${formula.clientHeight}): ` + name(formula));
    for (const a of ancestors(formula)) {
      if (["hidden", "clip"].includes(getComputedStyle(a).overflowX) && a.scrollWidth > a.clientWidth + 1)
        problems.push("formula clipped by " + name(a));
    }
  }
  return problems;
}"""

# A word or label squeezed to one character per line: two or more line boxes, each about one
# character wide.
BROKEN_LABELS = """(selector) => {
  const broken = [];
  for (const el of document.querySelectorAll(selector)) {
    const text = (el.textContent || "").trim();
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    // the box's own width without padding: an inline run that merely wraps spans both lines
    const inner = box.width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (text.length < 2 || box.width <= 1) continue;  // visually hidden labels are 1 px
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = [...range.getClientRects()].filter((r) => r.width > 0);
    const tops = new Set(lines.map((r) => Math.round(r.top)));
    const widest = Math.max(...lines.map((r) => r.width));
    const em = parseFloat(style.fontSize);
    if (tops.size >= 2 && Math.max(widest, inner) < 1.6 * em)
      broken.push(`${el.tagName.toLowerCase()} ${JSON.stringify(text.slice(0, 30))}: ${tops.size} lines, ${Math.round(widest)}px wide`);
  }
  return broken;
}"""
LABELS = "header a, header button, main a, main button, main th, main td, main label, main summary, main h1"


def layout_problems(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("load")
    return page.evaluate(LAYOUT_PROBLEMS)


def test_every_bundled_question_fits_a_390px_phone(live_server, bundled_db, page):
    from quizbank.bank.models import Question

    ids = list(Question.objects.active().order_by("question_set__order", "position").values_list("id", flat=True))
    assert len(ids) > 300
    page.set_viewport_size(PHONE)
    problems = {}
    for question_id in ids:
        found = layout_problems(page, f"{live_server.url}/questions/{question_id}/")
        if found:
            problems[question_id] = found
    assert problems == {}, f"{len(problems)} of {len(ids)} questions do not fit 390 px: {problems}"


def test_logged_in_pages_fit_a_390px_phone_without_one_character_lines(live_server, bundled_db, page):
    from quizbank.bank.models import QuestionSet
    from tests.practice_factories import make_deck, make_user

    # a long name and the English UI make the header's links longest
    user = make_user("a-rather-long-username")
    deck = make_deck(user, *QuestionSet.objects.active())
    deck.name = "大模型基础复习卡组"
    deck.save()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "a-long-password-1")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/practice/")
    pages = {
        "dashboard": "/practice/",
        "study": f"/practice/decks/{deck.pk}/",
        "answer": f"/practice/decks/{deck.pk}/?reveal=1",
        "stats": "/practice/stats/",
        "settings": "/practice/settings/",
        "topic": "/topics/transformer/",
        "search": "/search/?q=KV+cache",
    }
    problems = {}
    for language in ("zh-hans", "en"):
        if language == "en":
            page.locator("button[name=language][value=en]").click()
            page.wait_for_url("**/search/**")
            assert page.locator("html").get_attribute("lang") == "en"
        for name, path in pages.items():
            found = layout_problems(page, live_server.url + path) + page.evaluate(BROKEN_LABELS, LABELS)
            if found:
                problems[f"{language} {name}"] = found
    assert problems == {}, problems
