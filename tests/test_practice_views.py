"""Practice pages: accounts, the card in the browser (htmx partials and full pages), bad input,
per-user isolation and fixed query counts at 10 and 10,000 cards."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from quizbank.bank.models import Question
from quizbank.grading.models import Attempt
from quizbank.practice.models import Card, Deck, PracticeSettings, QuestionNote, ReviewLog
from tests.practice_factories import log_review, make_deck, make_review_cards, make_set, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice(client):
    user = make_user("alice")
    client.force_login(user)
    return user


@pytest.fixture
def deck(alice):
    return make_deck(alice, make_set("s", 5))


def shown(html: str) -> tuple[str, str]:
    question = re.search(r'name="question" value="([^"]+)"', html) or re.search(r'data-question="([^"]+)"', html)
    token = re.search(r'name="token" value="([^"]+)"', html) or re.search(r"token=([^\"&]+)", html)
    return question.group(1), token.group(1)


def test_practice_needs_an_account(client):
    response = client.get(reverse("practice:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_signup_logs_in_and_opens_practice(client):
    response = client.post(
        reverse("signup"), {"username": "newbie", "password1": "a-long-password-1", "password2": "a-long-password-1"}
    )
    assert response.status_code == 302 and response.url == reverse("practice:dashboard")
    assert client.get(reverse("practice:dashboard")).status_code == 200


def test_signup_with_bad_input_is_a_400_with_messages(client):
    response = client.post(reverse("signup"), {"username": "x", "password1": "1", "password2": "2"})
    assert response.status_code == 400 and 'class="error"' in response.content.decode()


def test_a_recall_card_reveals_and_rates_without_a_page_load(client, deck):
    page = client.get(reverse("practice:study", args=[deck.pk])).content.decode()
    assert "<html" in page and 'id="card"' in page
    question, token = shown(page)
    revealed = client.get(reverse("practice:reveal", args=[deck.pk]), {"question": question, "token": token}, **HTMX)
    html = revealed.content.decode()
    assert html.lstrip().startswith('<section id="card"') and "<html" not in html
    assert re.findall(r"<small>([^<]*)</small> <kbd>", html) == ["1分钟", "6分钟", "10分钟", "8天"]
    rated = client.post(
        reverse("practice:rate", args=[deck.pk]), {"question": question, "token": token, "rating": 3}, **HTMX
    )
    assert rated.status_code == 200 and rated.content.decode().lstrip().startswith('<section id="card"')
    assert shown(rated.content.decode())[0] != question
    assert ReviewLog.objects.get().rating == 3


def test_without_javascript_reveal_and_rate_are_full_pages(client, deck):
    page = client.get(reverse("practice:study", args=[deck.pk]), {"reveal": "1"}).content.decode()
    assert "<html" in page and "rate-3" in page
    question, token = shown(page)
    response = client.post(
        reverse("practice:rate", args=[deck.pk]), {"question": question, "token": token, "rating": 4}
    )
    assert response.status_code == 302 and response.url == reverse("practice:study", args=[deck.pk])


def test_a_typed_answer_is_saved_before_the_reference_is_shown(client, alice, deck):
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk]), {"mode": "typed"}).content.decode())
    response = client.post(
        reverse("practice:answer", args=[deck.pk]),
        {"question": question, "token": token, "text": "检索增强生成", "duration_ms": "4200"},
        **HTMX,
    )
    html = response.content.decode()
    attempt = Attempt.objects.get()
    assert (attempt.user, attempt.text, attempt.duration_ms, attempt.status) == (alice, "检索增强生成", 4200, "pending")
    assert "检索增强生成" in html and "回答重点" in html and f'name="attempt" value="{attempt.pk}"' in html
    client.post(
        reverse("practice:rate", args=[deck.pk]),
        {"question": question, "token": token, "rating": 2, "attempt": attempt.pk},
        **HTMX,
    )
    assert ReviewLog.objects.get().attempt == attempt


def test_a_reload_after_a_typed_answer_shows_the_card_answered_until_it_is_rated(client, deck):
    study = reverse("practice:study", args=[deck.pk])
    question, token = shown(client.get(study, {"mode": "typed"}).content.decode())
    client.post(
        reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "先召回再重排"}
    )
    attempt = Attempt.objects.get()
    for extra in ({}, HTMX):
        html = client.get(study, **extra).content.decode()
        assert shown(html) == (question, token) and "先召回再重排" in html and "评分中" in html
        assert f'name="attempt" value="{attempt.pk}"' in html and "rate-3" in html and "answer-form" not in html
    rating = {"question": question, "token": token, "rating": 3, "attempt": attempt.pk}
    client.post(reverse("practice:rate", args=[deck.pk]), rating)
    html = client.get(study).content.decode()
    assert shown(html)[0] != question and "先召回再重排" not in html
    client.post(reverse("practice:undo", args=[deck.pk]), {"log": ReviewLog.objects.get().pk})
    html = client.get(study).content.decode()
    assert shown(html)[0] == question and "先召回再重排" in html  # undone: back to rating that answer


def test_an_answer_from_an_earlier_study_day_does_not_come_back(client, alice, deck):
    study = reverse("practice:study", args=[deck.pk])
    question, token = shown(client.get(study, {"mode": "typed"}).content.decode())
    client.post(
        reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "昨天的回答"}
    )
    Attempt.objects.update(created_at=timezone.now() - timedelta(days=1))
    html = client.get(study).content.decode()
    assert "昨天的回答" not in html and "rate-3" not in html


@pytest.mark.parametrize(
    ("number", "verdict", "reading"),
    [
        ("48.75GB", "正确", "读作 48.75 GB"),
        ("48750 MB", "正确", "读作 48750000000 B = 48.75 GB"),
        ("４８．７５", "正确", "读作 48.75 GB"),
        ("20GB", "不对", "读作 20 GB"),
    ],
)
def test_a_numeric_answer_with_its_unit_is_checked_and_says_how_it_was_read(client, deck, number, verdict, reading):
    question = "gpu-memory-zero2-13b-8gpu-numeric"
    data = {"question": question, "token": "new", "number": number}
    html = client.post(reverse("practice:answer", args=[deck.pk]), data, **HTMX).content.decode()
    assert verdict in html.split('class="verdict')[1][:40] and reading in html
    assert Attempt.objects.get().score == (100.0 if verdict == "正确" else 0.0)


def test_a_reload_after_a_numeric_answer_shows_its_verdict_and_reading(client, alice):
    deck = make_deck(alice, make_set("n", 1))
    Question.objects.filter(id="n-00001").update(qtype="numeric", numeric_answer="48.75", tolerance="4%", unit="GB")
    client.post(
        reverse("practice:answer", args=[deck.pk]), {"question": "n-00001", "token": "new", "number": "48750MB"}
    )
    html = client.get(reverse("practice:study", args=[deck.pk])).content.decode()
    assert "读作 48750000000 B = 48.75 GB" in html and 'class="verdict ok"' in html and "rate-3 suggested" in html


@pytest.mark.parametrize("number", ["1e999999999", "nan", "inf", "9" * 50, "12 条", "1,5"])
def test_a_numeric_answer_that_is_no_number_is_a_400_with_a_message(client, deck, number):
    data = {"question": "gpu-memory-zero2-13b-8gpu-numeric", "token": "new", "number": number}
    response = client.post(reverse("practice:answer", args=[deck.pk]), data, **HTMX)
    assert response.status_code == 400 and len(response.content.decode()) > 10
    assert not Attempt.objects.exists()


def test_a_rating_only_takes_the_users_own_unrated_answer_to_the_same_question(client, alice, deck):
    study = reverse("practice:study", args=[deck.pk])
    question, token = shown(client.get(study, {"mode": "typed"}).content.decode())
    other = "s-00002" if question != "s-00002" else "s-00003"
    client.post(reverse("practice:answer", args=[deck.pk]), {"question": other, "token": "new", "text": "另一道题"})
    elsewhere = Attempt.objects.get()
    bob = make_user("bob")
    bobs = Attempt.objects.create(user=bob, question_id=question, question_version=1, text="bob 的回答")
    rate = reverse("practice:rate", args=[deck.pk])
    for attempt in (elsewhere.pk, bobs.pk, 999_999):
        response = client.post(rate, {"question": question, "token": token, "rating": 4, "attempt": attempt}, **HTMX)
        assert response.status_code == 400 and "不是你对这张卡的回答" in response.content.decode()
    assert not ReviewLog.objects.exists() and not Card.objects.exists()

    client.post(reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "本题"})
    mine = Attempt.objects.get(text="本题")
    first = client.post(rate, {"question": question, "token": token, "rating": 1, "attempt": mine.pk}, **HTMX)
    assert first.status_code == 200 and ReviewLog.objects.get().attempt == mine
    token = str(Card.objects.get(question_id=question).revision)
    reused = client.post(rate, {"question": question, "token": token, "rating": 3, "attempt": mine.pk}, **HTMX)
    assert reused.status_code == 400 and ReviewLog.objects.count() == 1


def test_an_answer_over_the_length_limit_is_refused_with_a_message(client, deck):
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk])).content.decode())
    response = client.post(
        reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "长" * 4001}, **HTMX
    )
    assert response.status_code == 400 and "4000" in response.content.decode()
    assert not Attempt.objects.exists()


def test_a_replayed_rating_is_a_409_that_changes_nothing(client, deck):
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk])).content.decode())
    data = {"question": question, "token": token, "rating": 3}
    client.post(reverse("practice:rate", args=[deck.pk]), data, **HTMX)
    replay = client.post(reverse("practice:rate", args=[deck.pk]), data, **HTMX)
    assert replay.status_code == 409 and "已经评过分" in replay.content.decode()
    assert ReviewLog.objects.count() == 1


def test_a_stale_second_tab_cannot_rate_the_card_again(client, deck):
    """Two tabs show the same card; the first rates it; the second reveals and rates: a 409."""
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk])).content.decode())
    first = {"question": question, "token": token, "rating": 3}
    assert client.post(reverse("practice:rate", args=[deck.pk]), first, **HTMX).status_code == 200
    second_tab = client.get(reverse("practice:reveal", args=[deck.pk]), {"question": question, "token": token}, **HTMX)
    html = second_tab.content.decode()
    # revealing in the stale tab already says so, and offers no rating buttons for the old card
    assert second_tab.status_code == 409 and "另一个标签页" in html and "载入当前卡片" in html
    assert 'name="rating"' not in html
    replay = client.post(reverse("practice:rate", args=[deck.pk]), {**first, "rating": 1}, **HTMX)
    html = replay.content.decode()
    assert replay.status_code == 409 and "已经评过分" in html and "载入当前卡片" in html
    assert ReviewLog.objects.count() == 1 and ReviewLog.objects.get().rating == 3


def test_a_typed_answer_in_a_stale_tab_is_saved_but_its_rating_is_a_409(client, deck):
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk]), {"mode": "typed"}).content.decode())
    client.post(reverse("practice:rate", args=[deck.pk]), {"question": question, "token": token, "rating": 3})
    answered = client.post(
        reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "晚到的回答"}, **HTMX
    )
    assert shown(answered.content.decode()) == (question, token)
    attempt = Attempt.objects.get(text="晚到的回答")
    rating = {"question": question, "token": token, "rating": 2, "attempt": attempt.pk}
    assert client.post(reverse("practice:rate", args=[deck.pk]), rating, **HTMX).status_code == 409
    assert ReviewLog.objects.count() == 1


def test_reveal_needs_the_token_the_card_was_shown_with(client, deck):
    url = reverse("practice:reveal", args=[deck.pk])
    for token in ("", "<x>", "1" * 30):
        response = client.get(url, {"question": "s-00001", "token": token}, **HTMX)
        assert response.status_code == 400 and "token" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        ("practice:rate", {"question": "s-00001", "token": "new", "rating": "9"}, 400),
        ("practice:rate", {"question": "s-00001", "token": "new", "rating": "x"}, 400),
        ("practice:rate", {"question": "nope", "token": "new", "rating": "3"}, 404),
        ("practice:rate", {"question": "s-00001", "token": "<script>", "rating": "3"}, 409),
        ("practice:rate", {"question": "s-00001", "token": "new", "rating": "3", "duration_ms": "-5"}, 400),
        ("practice:undo", {"log": "abc"}, 400),
        ("practice:undo", {"log": "999"}, 409),
        ("practice:answer", {"question": "s-00001"}, 400),
    ],
)
def test_garbage_gets_a_4xx_not_a_500(client, deck, url, data, status):
    assert client.post(reverse(url, args=[deck.pk]), data, **HTMX).status_code == status


def test_garbage_in_get_parameters_is_harmless(client, deck):
    assert client.get(reverse("practice:study", args=[deck.pk]), {"mode": "<x>", "reveal": "2"}).status_code == 200
    assert client.get(reverse("practice:reveal", args=[deck.pk]), {"question": "../../etc"}).status_code == 404


def test_another_users_deck_and_cards_are_404(client, deck):
    bob = Client()
    bob.force_login(make_user("bob"))
    question = "s-00001"
    for url, method, data in [
        (reverse("practice:study", args=[deck.pk]), "get", {}),
        (reverse("practice:reveal", args=[deck.pk]), "get", {"question": question}),
        (reverse("practice:deck_edit", args=[deck.pk]), "get", {}),
        (reverse("practice:rate", args=[deck.pk]), "post", {"question": question, "token": "new", "rating": 3}),
        (reverse("practice:answer", args=[deck.pk]), "post", {"question": question, "token": "new", "text": "x"}),
        (reverse("practice:card_action", args=[deck.pk, question, "suspend"]), "post", {}),
        (reverse("practice:deck_delete", args=[deck.pk]), "post", {}),
    ]:
        assert getattr(bob, method)(url, data).status_code == 404, url
    assert Deck.objects.filter(pk=deck.pk).exists() and not ReviewLog.objects.exists() and not Card.objects.exists()


def test_notes_and_stars_are_private(client, alice, deck):
    client.post(reverse("practice:star", args=["s-00001"]), **HTMX)
    client.post(reverse("practice:note", args=["s-00001"]), {"text": "我的秘密笔记"}, **HTMX)
    assert QuestionNote.objects.get(user=alice).starred
    assert "我的秘密笔记" in client.get(reverse("bank:question", args=["s-00001"])).content.decode()
    bob = Client()
    bob.force_login(make_user("bob"))
    assert "我的秘密笔记" not in bob.get(reverse("bank:question", args=["s-00001"])).content.decode()


def test_the_note_shows_on_the_card_after_reveal(client, deck):
    client.post(reverse("practice:note", args=["s-00001"]), {"text": "记住：先召回再重排"})
    page = client.get(reverse("practice:study", args=[deck.pk])).content.decode()
    assert "先召回再重排" not in page
    assert "先召回再重排" in client.get(reverse("practice:study", args=[deck.pk]), {"reveal": "1"}).content.decode()


def test_starred_deck_practises_only_starred_questions(client, alice):
    make_set("s", 5)
    client.post(reverse("practice:star", args=["s-00004"]))
    deck = make_deck(alice, starred_only=True)
    assert shown(client.get(reverse("practice:study", args=[deck.pk])).content.decode())[0] == "s-00004"


def test_a_post_without_csrf_token_is_refused(alice, deck):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert (
        strict.post(
            reverse("practice:rate", args=[deck.pk]), {"question": "s-00001", "token": "new", "rating": 3}
        ).status_code
        == 403
    )


def test_session_summary_when_nothing_is_left(client, alice):
    deck = make_deck(alice, make_set("s", 1))
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk])).content.decode())
    client.post(
        reverse("practice:rate", args=[deck.pk]),
        {"question": question, "token": token, "rating": 4, "duration_ms": 3000},
    )
    html = client.get(reverse("practice:study", args=[deck.pk])).content.decode()
    assert "今天的练习完成了" in html and "<dd>1</dd>" in html and "<dd>3 s</dd>" in html


def queries(client, url, data=None, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {}, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("size", [10, 10_000])
def test_queue_and_stats_queries_are_fixed(client, alice, size, django_assert_num_queries):
    qs = make_set("big", size)
    make_review_cards(alice, qs, timezone.now() - timedelta(days=1))
    deck = make_deck(alice, qs)
    client.get(reverse("practice:dashboard"))  # creates the settings row (a change: not kept)
    client.get(reverse("practice:dashboard"))  # keeps it
    # full pages: +1 for the editors' nav link (group); the first study page reads the deck (3) and
    # keeps it, the next ones read deck and settings from the cache (quizbank.practice.kept); the
    # queue is 2 statements (quizbank.practice.queue): a partial is the session, the user and those
    expected = {"study": 11, "partial": 4, "stats": 8}
    with django_assert_num_queries(expected["study"]):
        client.get(reverse("practice:study", args=[deck.pk]))
    with django_assert_num_queries(expected["partial"]):
        client.get(reverse("practice:study", args=[deck.pk]), **HTMX)
    with django_assert_num_queries(expected["stats"]):
        client.get(reverse("practice:stats"))


@pytest.mark.parametrize("size", [10, 10_000])
def test_rating_and_the_next_card_take_a_fixed_number_of_queries(client, alice, size, django_assert_num_queries):
    qs = make_set("big", size)
    make_review_cards(alice, qs, timezone.now() - timedelta(days=1))
    deck = make_deck(alice, qs)
    client.get(reverse("practice:dashboard"))  # creates the settings row, which the next request keeps
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk]), **HTMX).content.decode())
    # the settings are read once for the rating and the next card, and the undo link shows the log
    # just written: 2 queries fewer than before, whatever the deck's size; the deck (3) and the
    # settings (1) are kept from the card's page: 4 fewer again; the next card is the queue's 2
    # statements (it was 6 built by the ORM); the savepoint and its release count too
    with django_assert_num_queries(10):
        response = client.post(
            reverse("practice:rate", args=[deck.pk]),
            {"question": question, "token": token, "rating": 3, "duration_ms": 4000},
            **HTMX,
        )
    log = ReviewLog.objects.get()
    assert response.status_code == 200 and f'name="log" value="{log.pk}"' in response.content.decode()
    assert shown(response.content.decode())[0] != question


def test_times_are_shown_in_the_users_zone(client, alice):
    make_set("s", 1)
    client.post(
        reverse("practice:settings"),
        {
            "new_per_day": 20,
            "reviews_per_day": 200,
            "desired_retention": 0.9,
            "learning_steps": "1m 10m",
            "relearning_steps": "10m",
            "time_zone": "America/New_York",
            "day_starts_at": 4,
        },
    )
    Card.objects.create(
        user=alice,
        question_id="s-00001",
        state={"state": 1},
        due=timezone.datetime(2026, 11, 24, 12, 0, tzinfo=timezone.UTC),
    )
    html = client.get(reverse("bank:question", args=["s-00001"])).content.decode()
    assert "2026-11-24 07:00" in html  # 12:00 UTC is 07:00 in New York


def test_settings_refuse_bad_values_with_messages(client, alice):
    response = client.post(
        reverse("practice:settings"),
        {
            "new_per_day": -1,
            "reviews_per_day": 200,
            "desired_retention": 0.5,
            "learning_steps": "soon",
            "relearning_steps": "10m",
            "time_zone": "Mars/Base",
            "day_starts_at": 30,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and html.count('class="error"') >= 5


@pytest.mark.parametrize("htmx", [True, False], ids=["partial", "full page"])
def test_every_card_endpoint_serves_a_partial_and_a_full_page(client, alice, deck, htmx):
    extra = HTMX if htmx else {}
    question, token = shown(client.get(reverse("practice:study", args=[deck.pk])).content.decode())

    def check(response, redirect_ok=True):
        if htmx:
            assert response.status_code == 200 and "<html" not in response.content.decode()
        else:
            assert response.status_code in ((200, 302) if redirect_ok else (200,))
            if response.status_code == 200:
                assert "<html" in response.content.decode()

    check(client.get(reverse("practice:reveal", args=[deck.pk]), {"question": question, "token": token}, **extra))
    check(
        client.post(
            reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "x"}, **extra
        )
    )
    check(
        client.post(
            reverse("practice:rate", args=[deck.pk]), {"question": question, "token": token, "rating": 3}, **extra
        )
    )
    log = ReviewLog.objects.get()
    check(client.post(reverse("practice:undo", args=[deck.pk]), {"log": log.pk}, **extra))
    check(client.post(reverse("practice:card_action", args=[deck.pk, question, "bury"]), **extra))
    check(client.post(reverse("practice:star", args=[question]), **extra))
    check(client.post(reverse("practice:note", args=[question]), {"text": "n"}, **extra))
    check(client.post(reverse("practice:unsuspend", args=[question]), **extra))


def test_the_mastery_table_lists_the_sets_in_their_front_matter_order(alice):
    from quizbank.practice import selectors

    for slug, order in (("aa-last", 99), ("zz-first", -1)):
        question_set = make_set(slug, 1)
        question_set.order = order
        question_set.save(update_fields=["order"])
    topics = selectors.stats(alice, timezone.now())["topics"]
    assert topics[0].slug == "zz-first" and topics[-1].slug == "aa-last"
    assert topics == sorted(topics, key=lambda t: (t.order, t.slug))


def test_stats_show_streak_heatmap_forecast_retention_and_mastery(client, alice):
    from quizbank.practice import selectors

    qs = make_set("s", 4)
    now = timezone.now()
    make_review_cards(alice, qs, now, limit=2)
    Card.objects.filter(user=alice).update(interval_days=30)
    card = Card.objects.filter(user=alice).first()
    for days_ago, rating in ((0, 3), (1, 1), (2, 3)):
        log_review(card, rating, now - timedelta(days=days_ago), interval_before=30)
    data = selectors.stats(alice, now)
    assert data["streak"] == 3
    assert data["retention_pct"] == 66.7 and data["mature_reviews"] == 3
    assert sum(c.level > 0 for c in data["cells"]) == 3
    assert data["bars"][0].height == 80  # both cards are due today
    mastery = {t.slug: t.mastery for t in data["topics"]}
    assert mastery["s"] == 50
    html = client.get(reverse("practice:stats")).content.decode()
    assert "66.7%" in html and "<svg" in html


def test_progress_moves_from_day_one_beside_mastery(client, alice):
    from quizbank.practice import selectors

    qs = make_set("s", 4)
    now = timezone.now()
    make_review_cards(alice, qs, now, limit=2)
    Card.objects.filter(question_id="s-00001").update(interval_days=30)
    Card.objects.filter(question_id="s-00002").update(interval_days=2)
    learning = Card.objects.create(user=alice, question_id="s-00003", state={"state": 1, "stability": 0.4}, due=now)
    for rating in (3, 1, 3, 3):
        log_review(learning, rating, now - timedelta(days=3), interval_before=2)
    data = selectors.stats(alice, now)
    topic = next(t for t in data["topics"] if t.slug == "s")
    assert (topic.n, topic.seen, topic.learned, topic.mature) == (4, 3, 2, 1)
    assert (topic.learned_pct, topic.mastery) == (50, 25)
    assert (data["totals"]["cards"], data["totals"]["learned"], data["totals"]["mature"]) == (3, 2, 1)
    assert data["recent_pass_pct"] == 75.0 and data["recent_reviews"] == 4
    assert data["retention_pct"] is None  # no mature reviews yet: the true retention cannot move
    html = client.get(reverse("practice:stats")).content.decode()
    assert "学会 50% · 成熟 25%" in html and "<dd>75.0%</dd>" in html and "3 / 4" in html


def test_heatmap_and_forecast_have_axis_labels_with_dates_and_counts(client, alice):
    from quizbank.practice import selectors

    qs = make_set("s", 3)
    now = timezone.now()
    make_review_cards(alice, qs, now)  # all three due today
    data = selectors.stats(alice, now)
    assert [w.text for w in data["weekdays"]] == ["周一", "周三", "周五"]
    assert 11 <= len(data["months"]) <= 13 and all(m.x >= selectors.HEAT_LEFT for m in data["months"])
    assert min(c.x for c in data["cells"]) == selectors.HEAT_LEFT  # the cells leave room for the labels
    ticks = [t.text for t in data["forecast_axis"]["x"]]
    today = selectors.scheduling.study_day(now, "Asia/Shanghai", 4)
    assert ticks[0] == "今天" and ticks[1] == (today + timedelta(days=7)).strftime("%m-%d") and len(ticks) == 5
    assert [t.text for t in data["forecast_axis"]["y"]] == ["0", "3"]
    html = client.get(reverse("practice:stats")).content.decode()
    assert ">周一</text>" in html and ">今天</text>" in html and ">3</text>" in html
    assert html.count('class="month"') == len(data["months"])


def test_the_dashboard_shows_the_daily_new_card_limit_once_per_user(client, alice):
    from quizbank.practice.models import PracticeSettings

    PracticeSettings.objects.update_or_create(user=alice, defaults={"new_per_day": 5})
    small = make_deck(alice, make_set("a", 3))
    make_deck(alice, make_set("b", 8))
    for question in ("a-00001", "a-00002"):
        client.post(reverse("practice:rate", args=[small.pk]), {"question": question, "token": "new", "rating": 3})
    html = client.get(reverse("practice:dashboard")).content.decode()
    assert html.count("张新卡") == 1 and "今天还可以学 <strong>3</strong> 张新卡（每天 5 张" in html
    unseen = re.findall(r'<td class="c-new">(\d+)</td>', html)
    assert unseen == ["1", "8"], unseen  # each deck's unseen questions, not the shared limit


def test_the_deck_form_offers_meaningful_tags_and_keeps_a_decks_own(alice):
    from quizbank.bank.models import QuestionSet, Tag
    from quizbank.practice.forms import DeckForm

    labels = [label for _, label in DeckForm().fields["tags"].choices]
    assert any(re.fullmatch(r"MCP \(\d{2,}\)", label) for label in labels), labels
    assert not any(label.startswith(("429 ", "2026-07-28 ")) for label in labels)
    deck = make_deck(alice, *QuestionSet.objects.filter(slug="mcp"))
    deck.tags.set(Tag.objects.filter(name="429"))
    labels = [label for _, label in DeckForm(instance=deck).fields["tags"].choices]
    assert "429 (1)" in labels


def test_the_login_page_sends_someone_signed_in_on_to_practice(client, alice):
    response = client.get(reverse("login"))
    assert response.status_code == 302 and response["Location"] == reverse("practice:dashboard")
    client.logout()
    assert client.get(reverse("login")).status_code == 200


def test_a_queue_of_a_thousand_or_more_says_999_plus(client, alice):
    """Counting stops at COUNT_CAP rows (a card costs the same with 10,000 due as with 1,000)."""
    qs = make_set("big", 1_200)
    make_review_cards(alice, qs, timezone.now() - timedelta(days=1))
    deck = make_deck(alice, qs)
    PracticeSettings.objects.update_or_create(user=alice, defaults={"reviews_per_day": 5_000})
    html = client.get(reverse("practice:study", args=[deck.pk]), **HTMX).content.decode()
    assert re.search(r'class="c-review"[^>]*>999\+<', html) and re.search(r'class="c-learn"[^>]*>0<', html)
    assert re.search(r'class="c-review">999\+<', client.get(reverse("practice:dashboard")).content.decode())
    Card.objects.filter(question__position__gt=999).delete()  # 999 due: counted exactly
    html = client.get(reverse("practice:study", args=[deck.pk]), **HTMX).content.decode()
    assert re.search(r'class="c-review"[^>]*>999<', html)


def counts_of(html: str) -> list[str]:
    return re.findall(r'class="c-(?:new|learn|review)"[^>]*>([^<]*)<', html)


def test_the_counts_stay_above_a_card_revealed_answered_or_undone(client, alice):
    """As Anki: the counts do not vanish while the answer shows; after Undo they count the card again."""
    deck = make_deck(alice, make_set("s", 5), mode="typed")
    page = client.get(reverse("practice:study", args=[deck.pk]), **HTMX).content.decode()
    question, token = shown(page)
    assert counts_of(page) == ["5", "0", "0"]
    revealed = client.get(reverse("practice:reveal", args=[deck.pk]), {"question": question, "token": token}, **HTMX)
    assert counts_of(revealed.content.decode()) == ["5", "0", "0"]
    answered = client.post(
        reverse("practice:answer", args=[deck.pk]), {"question": question, "token": token, "text": "注意力"}, **HTMX
    )
    assert counts_of(answered.content.decode()) == ["5", "0", "0"]
    rated = client.post(
        reverse("practice:rate", args=[deck.pk]), {"question": question, "token": token, "rating": 1}, **HTMX
    ).content.decode()
    assert counts_of(rated) == ["4", "1", "0"]  # the card failed: learning, due within 20 minutes
    log = ReviewLog.objects.get()
    undone = client.post(reverse("practice:undo", args=[deck.pk]), {"log": log.pk}, **HTMX).content.decode()
    assert shown(undone)[0] == question and counts_of(undone) == ["5", "0", "0"]
