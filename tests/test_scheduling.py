"""Scheduling through fsrs: pure functions of state and time."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from quizbank.practice import scheduling as s

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SETTINGS = s.SchedulerSettings()


def graduate(rating_sequence, start=NOW):
    state, now = s.new_state(1, start), start
    for rating in rating_sequence:
        state = s.review(SETTINGS, 1, state, rating, now)
        now = datetime.fromisoformat(state["due"])
    return state, now


def test_again_is_due_sooner_than_good():
    state, now = graduate([3, 3])
    again = s.review(SETTINGS, 1, state, 1, now)
    good = s.review(SETTINGS, 1, state, 3, now)
    assert datetime.fromisoformat(again["due"]) < datetime.fromisoformat(good["due"])


def test_good_intervals_grow():
    state, now = graduate([3, 3])
    intervals = []
    for _ in range(4):
        state = s.review(SETTINGS, 1, state, 3, now)
        intervals.append(s.interval_days(state))
        now = datetime.fromisoformat(state["due"])
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0] * 2


def test_new_card_follows_the_learning_steps():
    previews = s.previews(SETTINGS, 1, s.new_state(1, NOW), NOW)
    assert previews[1] == timedelta(minutes=1) and previews[3] == timedelta(minutes=10)
    assert previews[4] >= timedelta(days=1)


def test_previews_are_exactly_what_a_rating_gives():
    state, now = graduate([3, 3, 3])
    for rating, delta in s.previews(SETTINGS, 1, state, now).items():
        assert datetime.fromisoformat(s.review(SETTINGS, 1, state, rating, now)["due"]) - now == delta


def test_higher_desired_retention_gives_shorter_intervals():
    state, now = graduate([3, 3])
    low = s.review(s.SchedulerSettings(desired_retention=0.8), 1, state, 3, now)
    high = s.review(s.SchedulerSettings(desired_retention=0.97), 1, state, 3, now)
    assert s.interval_days(high) < s.interval_days(low)


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 11, 23, 19, 59, tzinfo=UTC), datetime(2026, 11, 22, 20, 0, tzinfo=UTC)),  # 03:59 Shanghai
        (datetime(2026, 11, 23, 20, 1, tzinfo=UTC), datetime(2026, 11, 23, 20, 0, tzinfo=UTC)),  # 04:01 Shanghai
    ],
)
def test_the_day_starts_at_four_in_the_users_zone(utc, expected):
    assert s.day_start(utc, "Asia/Shanghai", 4) == expected


def test_study_day_of_a_moment():
    assert s.study_day(datetime(2026, 11, 23, 19, 59, tzinfo=UTC), "Asia/Shanghai", 4).isoformat() == "2026-11-23"
    assert s.study_day(datetime(2026, 11, 23, 20, 1, tzinfo=UTC), "Asia/Shanghai", 4).isoformat() == "2026-11-24"


@pytest.mark.parametrize("text", ["", "1x", "ten", "1m, 10m"])
def test_bad_steps_are_refused(text):
    with pytest.raises(ValueError):
        if not s.parse_steps(text):
            raise ValueError("empty")


@pytest.mark.parametrize(
    ("delta", "chinese", "english"),
    [
        (timedelta(seconds=30), "<1分钟", "<1m"),
        (timedelta(minutes=10), "10分钟", "10m"),
        (timedelta(hours=5), "5小时", "5h"),
        (timedelta(days=8), "8天", "8d"),
        (timedelta(days=75), "2.5个月", "2.5mo"),
        (timedelta(days=730), "2年", "2y"),
    ],
)
def test_intervals_read_like_anki_in_the_active_language(delta, chinese, english):
    with translation.override("zh-hans"):
        assert s.format_interval(delta) == chinese
    with translation.override("en"):
        assert s.format_interval(delta) == english


def test_a_lapse_is_forgetting_a_review_card():
    state, _ = graduate([3, 3])
    assert state["state"] == 2 and s.is_lapse(state, 1) and not s.is_lapse(state, 3)
    assert not s.is_lapse(s.new_state(1, NOW), 1)


def test_a_better_rating_is_never_due_sooner_than_a_worse_one():
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    settings = s.SchedulerSettings(learning_steps="365d 365d")
    state = s.new_state(1, now)
    shown = s.previews(settings, 1, state, now)
    assert shown[1] <= shown[2] <= shown[3] <= shown[4], shown  # fsrs alone: Easy 1 day, Again 365 days
    for rating, interval in shown.items():  # and the rating gives what its button showed
        due = datetime.fromisoformat(s.review(settings, 1, state, rating, now)["due"])
        assert due - now == interval
