"""A mock interview in a real browser: setup, a thin answer drawing a 追问 with its own countdown,
a good answer, "不知道", the report card (scores, follow-up, model answers, chart, practice
queue, print stylesheet); a draft surviving a reload on the server's clock; a double click
counting once; the turn page at phone width."""

from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def page(context):
    return context.new_page()


def _open_turn(interview_id: int):
    from quizbank.interviews.models import Outcome, Turn

    return Turn.objects.select_related("question", "parent").get(interview_id=interview_id, outcome=Outcome.OPEN)


def _wait_for_turn(page, number: int) -> None:
    page.locator(f"#turn[data-turn='{number}']").wait_for(timeout=15_000)


def _took_minutes(page) -> None:
    """The candidate spent ten minutes on the question (an answer typed in no time reads as pasted)."""
    page.evaluate("document.querySelector('#turn .card-face').dataset.shownAt = String(Date.now() - 600000)")


def test_a_three_question_interview_with_a_follow_up_ends_on_its_report(live_server, bundled_db, page):
    from quizbank.interviews.models import Interview, Outcome, Track
    from tests.practice_factories import make_user

    Track.objects.create(
        slug="browser-transformer",
        title="浏览器测试：Transformer 一面",
        order=99,
        questions=3,
        minutes_per_question=5,
        follow_ups=True,
        difficulty=["medium"],
        topics={"transformer": 1},
    )
    make_user("candidate")
    log_in(page, live_server, "candidate")
    page.goto(f"{live_server.url}/interview/")
    page.select_option("#id_track", "browser-transformer")
    page.locator(".setup-form button[type=submit]").click()
    page.wait_for_url("**/interview/*/")
    interview = Interview.objects.get(user__username="candidate")
    assert len(interview.plan) == 3

    # 1: one key point's worth, Ctrl+Enter → a follow-up with its own, shorter countdown
    _wait_for_turn(page, 1)
    first = _open_turn(interview.pk)
    assert page.locator("#turn h1").inner_text() == first.prompt
    assert "5:00" in page.locator("#turn .countdown .meta").inner_text()
    thin = "我的理解是：" + first.question.key_points[0]["text"].rstrip("。") + "。其他的记不太清了。"
    page.locator("#answer-text").fill(thin)
    page.locator("#answer-text").press("Control+Enter")
    _wait_for_turn(page, 2)
    follow_up = _open_turn(interview.pk)
    assert follow_up.parent_id is not None and follow_up.parent.question_id == first.question_id
    assert page.locator("#turn .follow-up-label", has_text="追问").is_visible()
    assert page.locator("#turn h1").inner_text() == follow_up.prompt
    countdown = page.locator("#turn .countdown")
    assert 0 < int(countdown.get_attribute("data-seconds")) <= follow_up.limit_seconds < 300
    assert "3:00" in countdown.locator(".meta").inner_text()  # its own limit, not the question's
    follow_up_answer = "我觉得关键在于数值会变得很极端，后面就很难再学动。"
    page.locator("#answer-text").fill(follow_up_answer)
    page.locator("#answer-text").press("Control+Enter")

    # 2: the reference's core answer, typed out
    _wait_for_turn(page, 3)
    second = _open_turn(interview.pk)
    assert second.parent_id is None and second.question_id != first.question_id
    page.locator("#answer-text").fill(second.question.answer_md)
    _took_minutes(page)
    page.locator("#answer-text").press("Control+Enter")

    # 3: "不知道" — the last question: on to the report
    _wait_for_turn(page, 4)
    third = _open_turn(interview.pk)
    assert third.parent_id is None
    page.locator("#turn button[value='dont_know']").click()
    page.wait_for_url(f"**/interview/{interview.pk}/report/")

    interview.refresh_from_db()
    turns = list(interview.turns.order_by("number"))
    assert [t.outcome for t in turns] == [Outcome.ANSWERED] * 3 + [Outcome.DONT_KNOW]
    assert turns[0].attempt.text == thin and turns[1].attempt.text == follow_up_answer
    assert turns[2].attempt.text == second.question.answer_md.strip()

    # grading runs eagerly on the live server: the report polls until no grade is pending
    report = page.locator("#report")
    page.locator("#report .report-question.state-pending").first.wait_for(state="detached", timeout=30_000)
    assert page.locator("#report .overall .spinner").count() == 0
    rows = report.locator("section.answers > article.report-question")
    assert rows.count() == 3
    for row in (rows.nth(0), rows.nth(1)):
        score = row.locator("h3 .q-score").inner_text()
        assert score.isdigit(), score  # graded: a number (a pending one would say 评分中, never 0)
    assert int(rows.nth(0).locator("h3 .q-score").inner_text()) < 75
    assert rows.nth(2).locator("h3 .q-score").inner_text() == "0 · 不知道"
    assert first.prompt in rows.nth(0).locator("h3").inner_text()

    # the follow-up, the answer given and its own model answer, under question 1
    asked = rows.nth(0).locator(".follow-up-report")
    assert asked.count() == 1
    assert "追问" in asked.locator("h4 .badge").inner_text() and follow_up.prompt in asked.locator("h4").inner_text()
    assert asked.locator(".q-score").inner_text().isdigit()
    assert asked.locator("blockquote.attempt-text").inner_text() == follow_up_answer
    assert rows.nth(0).locator("> blockquote.attempt-text").inner_text() == thin
    assert asked.locator("details.model .prose").inner_html().strip()
    # model answers: every question's, open
    for i in range(3):
        model = rows.nth(i).locator("> details.model")
        assert model.get_attribute("open") is not None and model.locator(".prose").inner_text().strip()
    assert report.locator(".overall .big-score").inner_text().isdigit()
    assert report.locator("svg.radar, .topic-bars svg").count() >= 1

    # the thin answer was weak and "don't know" is certain: both are due in practice, and the
    # report says so under each and in total
    interview.refresh_from_db()
    assert {first.question_id, third.question_id} <= set(interview.queued_for_practice)
    assert rows.nth(0).locator("p.queued").is_visible() and rows.nth(2).locator("p.queued").is_visible()
    assert report.locator("p", has_text="已加入练习队列：").is_visible()

    # printing: no header, navigation, footer or buttons; the report itself stays
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden() and page.locator("header.topbar nav").is_hidden()
    assert page.locator("nav.crumbs").is_hidden() and page.locator(".print-button").is_hidden()
    assert report.locator(".report-head h1").is_visible()
    page.emulate_media(media="screen")
    assert page.locator("header.topbar").is_visible()

    # the report at phone width: no sideways page scroll
    page.set_viewport_size(PHONE)
    assert page.evaluate(NO_PAGE_SCROLL)


def _interview_for(username: str):
    from tests.interview_factories import make_interview_set, make_track, start
    from tests.practice_factories import make_user

    make_interview_set()
    return start(make_user(username), make_track())


def test_a_draft_survives_a_reload_and_the_countdown_keeps_the_servers_time(live_server, bundled_db, page):
    from quizbank.interviews.models import Turn

    interview = _interview_for("drafter")
    log_in(page, live_server, "drafter")
    url = f"{live_server.url}/interview/{interview.pk}/"
    page.goto(url)
    _wait_for_turn(page, 1)
    draft = "先想到的是：点积的方差随 d_k 增大\n第二行 <b>不是标签</b>"

    def saves_all_of_it(response) -> bool:
        sent = parse_qs(response.request.post_data or "")
        return response.url.endswith("/draft/") and [t.replace("\r\n", "\n") for t in sent.get("text", [])] == [draft]

    with page.expect_response(saves_all_of_it, timeout=15_000) as saved:
        page.locator("#answer-text").press_sequentially(draft, delay=5)
    assert saved.value.status == 204
    assert Turn.objects.get(interview=interview, number=1).draft.replace("\r\n", "\n") == draft

    # the turn was asked 100 seconds ago (server time): a reload must not restart the countdown
    turn = Turn.objects.get(interview=interview, number=1)
    Turn.objects.filter(pk=turn.pk).update(asked_at=turn.asked_at - timedelta(seconds=100))
    page.reload()
    _wait_for_turn(page, 1)
    assert page.locator("#answer-text").input_value() == draft
    seconds = int(page.locator("#turn .countdown").get_attribute("data-seconds"))
    assert seconds <= turn.limit_seconds - 100
    shown = page.locator("#turn .countdown-text").inner_text()
    minutes, secs = shown.split(":")
    assert int(minutes) * 60 + int(secs) <= turn.limit_seconds - 100

    # the same page at phone width: no sideways page scroll, the answer box fits
    page.set_viewport_size(PHONE)
    assert page.evaluate(NO_PAGE_SCROLL)
    box = page.locator("#answer-text").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_double_click_on_submit_records_one_answer(live_server, bundled_db, page):
    from quizbank.grading.models import Attempt
    from tests.interview_factories import WEAK

    interview = _interview_for("clicker")
    log_in(page, live_server, "clicker")
    page.goto(f"{live_server.url}/interview/{interview.pk}/")
    _wait_for_turn(page, 1)
    page.locator("#answer-text").fill(WEAK)
    page.locator("#turn button[value='answer']").dblclick()
    _wait_for_turn(page, 2)  # the follow-up
    page.wait_for_load_state("networkidle")
    first = interview.turns.get(number=1)
    assert first.attempt is not None and first.attempt.text == WEAK
    assert Attempt.objects.filter(user=interview.user).count() == 1
    assert interview.turns.count() == 2  # one follow-up asked, not two
    assert page.locator("#turn h1").inner_text() == interview.turns.get(number=2).prompt
    assert page.locator("#answer-text").input_value() == ""


def test_text_typed_offline_survives_and_time_up_does_not_submit_for_you(live_server, bundled_db, page):
    from quizbank.interviews.models import Outcome, Turn

    interview = _interview_for("offline")
    log_in(page, live_server, "offline")
    url = f"{live_server.url}/interview/{interview.pk}/"
    page.goto(url)
    _wait_for_turn(page, 1)

    # the connection drops: typing and submitting fail, the page says so, nothing is lost
    page.context.set_offline(True)
    page.locator("#answer-text").fill("断网时写的回答：方差随 d_k 增大")
    page.locator("#turn button[value='answer']").click()
    page.locator("#flash", has_text="网络连接失败").wait_for(timeout=10_000)
    assert page.locator("#answer-text").input_value() == "断网时写的回答：方差随 d_k 增大"
    page.context.set_offline(False)
    page.reload()
    _wait_for_turn(page, 1)
    assert page.locator("#answer-text").input_value() == "断网时写的回答：方差随 d_k 增大"
    assert Turn.objects.get(interview=interview, number=1).outcome == Outcome.OPEN

    # the countdown runs out: the page says time is up and waits for the candidate
    turn = Turn.objects.get(interview=interview, number=1)
    Turn.objects.filter(pk=turn.pk).update(asked_at=turn.asked_at - timedelta(seconds=turn.limit_seconds + 5))
    page.reload()
    _wait_for_turn(page, 1)
    page.locator("#turn .time-up").wait_for(state="visible", timeout=5_000)
    page.wait_for_timeout(2_500)
    assert Turn.objects.get(pk=turn.pk).outcome == Outcome.OPEN
    page.locator("#turn button[value='answer']").click()
    _wait_for_turn(page, 2)
    answered = Turn.objects.get(pk=turn.pk)
    assert answered.attempt.text == "断网时写的回答：方差随 d_k 增大" and not answered.late  # within grace


def test_a_second_tab_is_told_while_typing_and_gets_its_text_back(live_server, bundled_db, page):
    from tests.interview_factories import STRONG

    interview = _interview_for("twotabs")
    log_in(page, live_server, "twotabs")
    url = f"{live_server.url}/interview/{interview.pk}/"
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)
    _wait_for_turn(page, 1)
    _wait_for_turn(other, 1)
    page.locator("#answer-text").fill(STRONG)
    page.locator("#turn button[value='answer']").click()
    _wait_for_turn(page, 2)

    other.locator("#answer-text").press_sequentially("第二个标签页里写的", delay=5)
    other.locator("#flash", has_text="刷新页面").wait_for(timeout=10_000)
    other.locator("#turn button[value='answer']").click()
    other.locator("#turn .rejected", has_text="第二个标签页里写的").wait_for(timeout=10_000)
    assert interview.turns.get(number=1).attempt.text == STRONG
