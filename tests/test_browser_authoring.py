"""Authoring in a real browser: an editor writes a new question with the live preview (KaTeX,
validation with a clickable line, similar titles) and the rubric test, saves it and sends it to
review; a reviewer publishes it; a learner then finds it."""

import pytest

from tests.authoring_factories import make_editor, make_reviewer
from tests.test_authoring import GOOD
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SOURCE = GOOD.replace("test-gradient-clipping", "rag-gradient-clipping-e2e")


@pytest.fixture
def page(context):
    return context.new_page()


def _type_source(page, text: str) -> None:
    box = page.locator("#source")
    box.fill(text)
    box.dispatch_event("input")


def test_write_preview_rubric_test_submit_and_publish(live_server, bundled_db, page, context, tmp_path):
    make_editor("writer")
    make_reviewer("lead")

    log_in(page, live_server, "writer")
    page.goto(f"{live_server.url}/author/")
    page.get_by_role("button", name="写新题").click()
    page.wait_for_url("**/author/new/**")
    page.locator("#preview .check").wait_for(timeout=15_000)  # the template block, previewed on load

    # a mistake first: the preview names the line, and the link selects it in the text
    _type_source(page, SOURCE.replace("{weight=2 ", "{weight=7 "))
    error = page.locator("#preview .check-errors li", has_text="weight 必须是").first
    error.wait_for(timeout=15_000)
    assert "第 12 行" in error.inner_text() and "weight 必须是 1–5 的整数" in error.inner_text()
    error.locator("a.goto-line").click()
    selected = page.evaluate(
        "(() => { const b = document.getElementById('source'); return b.value.slice(b.selectionStart, b.selectionEnd); })()"
    )
    assert "weight=7" in selected

    # the fixed text: formulas rendered by KaTeX, similar questions, and three samples that pass
    _type_source(page, SOURCE)
    page.locator("#preview .check-ok", has_text="评分测试通过").wait_for(timeout=15_000)
    assert page.locator("#preview .preview-question .katex").count() >= 2
    assert page.locator("#preview .samples tbody tr.sample-ok").count() == 3
    assert page.locator("#preview .samples tbody tr.sample-bad").count() == 0
    page.screenshot(path=str(tmp_path / "editor.png"), full_page=True)

    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url("**/author/drafts/*/")
    assert "已保存" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="保存并提交审核").click()
    page.wait_for_url("**/review/")
    assert "待审核" in page.locator(".badge").first.inner_text()

    # the learner does not see it yet
    learner = context.browser.new_context().new_page()
    response = learner.goto(f"{live_server.url}/questions/rag-gradient-clipping-e2e/")
    assert response.status == 404

    # the reviewer publishes it from the queue
    page.get_by_role("button", name="退出").click()
    log_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/author/")
    page.get_by_role("link", name="什么是梯度裁剪？").first.click()
    page.wait_for_url("**/review/")
    page.get_by_role("button", name="发布", exact=True).click()
    page.wait_for_url("**/author/q/rag-gradient-clipping-e2e/")
    assert "已发布 v1" in page.locator(".messages").inner_text()

    response = learner.goto(f"{live_server.url}/questions/rag-gradient-clipping-e2e/")
    assert response.status == 200 and "什么是梯度裁剪？" in learner.locator("h1").inner_text()
    learner.goto(f"{live_server.url}/search/?q=梯度裁剪")
    assert learner.locator("#results a[href*='rag-gradient-clipping-e2e']").count() == 1
