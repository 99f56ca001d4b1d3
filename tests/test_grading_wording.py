"""The grader's sentences follow the UI language: stored in Chinese, shown in the reader's."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from quizbank.grading import services, wording
from quizbank.grading.models import Grade
from tests.practice_factories import make_set, make_user

SAMPLES = {
    "missing": {"points": "缩放因子 √d_k；方差随维度增大"},
    "contradicted": {"point": "softmax 会饱和", "said": "softmax 不会饱和"},
    "turned": {"said": "BF16 精度更高", "reference": "FP16 尾数更多"},
    "deadline": {"seconds": "120"},
    "not_completion": {"what": wording.say("no_choices")},
}


@pytest.mark.parametrize("key", sorted(wording.TEMPLATES))
def test_every_sentence_reads_back_in_chinese_unchanged_and_in_english_translated(key):
    parts = SAMPLES.get(key, {})
    template = wording.TEMPLATES[key]
    for name in ("points", "point", "said", "reference", "what", "shown", "detail", "seconds", "requests"):
        if f"%({name})s" in template and name not in parts:
            parts[name] = "测试"
    for name in ("kind", "status"):
        if f"%({name})s" in template:
            parts[name] = "429"
    stored = wording.say(key, **parts)
    with translation.override("zh-hans"):
        assert wording.localize(stored) == stored
    with translation.override("en"):
        shown = wording.localize(stored)
    frame = shown
    for value in parts.values():
        if value != wording.say("no_choices"):
            assert str(value) in shown  # the points and quotes stay as written
            frame = frame.replace(str(value), "")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in frame), shown


def test_inner_sentences_are_translated_and_unknown_text_is_kept():
    stored = wording.say("not_completion", what=wording.say("no_choices"))
    with translation.override("en"):
        assert wording.localize(stored) == (
            "The grading service's reply is not a chat completion (the reply has no choices): check OPENAI_BASE_URL"
        )
        assert wording.localize("模型自己写的反馈") == "模型自己写的反馈"
        assert wording.localize("还缺：A；B；C等") == "Missing: A；B；C and more"


@pytest.mark.django_db
def test_an_offline_grade_card_in_english_has_no_chinese_grader_sentences(django_capture_on_commit_callbacks):
    user = make_user("reader")
    question = make_set("w", 1).questions.get()
    with django_capture_on_commit_callbacks(execute=True):
        attempt = services.submit(user=user, question=question, text="完全无关的一句话，说的是天气和午饭。")
    attempt.refresh_from_db()
    grade = Grade.objects.get(attempt=attempt)
    assert grade.feedback.startswith("还缺：")
    with translation.override("en"):
        html = render_to_string("practice/_grade.html", {"attempt": attempt})
    assert "Missing:" in html and "还缺" not in html
    with translation.override("zh-hans"):
        assert "还缺：" in render_to_string("practice/_grade.html", {"attempt": attempt})


@pytest.mark.django_db
def test_a_failure_reason_is_shown_in_english():
    user = make_user("reader")
    question = make_set("w", 1).questions.get()
    attempt = services.submit(user=user, question=question, text="一个回答")
    attempt.status, attempt.failure = "failed", services.GAVE_UP
    with translation.override("en"):
        html = render_to_string("practice/_grade.html", {"attempt": attempt})
    assert "Grading failed several times; you can retry" in html and "评分多次失败" not in html
