"""LLM help in the editor (the real openai client against a fake server on loopback): proposed
key points and follow-ups, cleaned and shown as a suggestion; the samples graded by the LLM;
garbage, errors and a missing reference answer end as a failed run with the reason."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from quizbank.authoring import assist, services
from quizbank.authoring.models import AssistRun, AssistStatus
from quizbank.bank.markup import parse_question
from quizbank.bank.models import QuestionSet
from tests.authoring_factories import make_editor
from tests.fake_llm import FakeLLM, completion, error, grade_json
from tests.test_authoring import GOOD

pytestmark = pytest.mark.django_db
NO_RUBRIC = GOOD.split("### 关键点")[0]  # a block whose rubric is still to write


@pytest.fixture
def fake(settings):
    with FakeLLM() as server:
        settings.OPENAI_API_KEY = "test-key"
        settings.OPENAI_BASE_URL = server.base_url
        settings.QUIZBANK_GRADER_MODEL = "fake-model"
        settings.QUIZBANK_GRADER_DEADLINE = 20
        yield server


@pytest.fixture
def editor():
    return make_editor("assisted")


@pytest.fixture
def draft(editor):
    return services.create_draft(user=editor, question_set=QuestionSet.objects.get(slug="rag"), source=NO_RUBRIC)


SUGGESTION = {
    "key_points": [
        {"text": "在优化器更新前限制梯度的整体范数", "weight": 2, "aliases": ["clip_grad_norm", "范数裁剪"]},
        {"text": "超过阈值时按比例缩小，方向不变 {weight=5}", "weight": 9, "aliases": ['bad"alias', "a|b", "等比缩小"]},
        {"text": "", "weight": 1, "aliases": []},
        {"text": "防止梯度爆炸", "weight": True, "aliases": "not a list"},
    ],
    "follow_ups": [
        {
            "text": "阈值一般怎么选？",
            "answer": "先看正常训练时梯度范数的分布，\n取略高于常见值的数，大模型常用 1.0。",
            "key_points": [{"text": "参考正常梯度范数的分布", "weight": 1, "aliases": []}],
        },
        {"text": "没有答案的追问？", "answer": "", "key_points": []},
    ],
}


def ask(client, draft, kind, source):
    return client.post(reverse("authoring:assist", args=[draft.pk]), {"kind": kind, "source": source})


def test_a_suggestion_is_cleaned_formatted_and_offered_never_saved(
    fake, editor, draft, django_capture_on_commit_callbacks
):
    fake.reply(completion(json.dumps(SUGGESTION, ensure_ascii=False)))
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(c, draft, "suggest", NO_RUBRIC)
    assert response.status_code == 200  # the task ran inline (eager) after the commit
    run = AssistRun.objects.get(draft=draft)
    assert run.status == AssistStatus.DONE, run.error
    suggested = parse_question(run.result["source"])  # the whole block, with the suggestion, parses
    assert [(k.text, k.weight, k.aliases) for k in suggested.key_points] == [
        ("在优化器更新前限制梯度的整体范数", 2, ("clip_grad_norm", "范数裁剪")),
        ("超过阈值时按比例缩小，方向不变 （weight=5）", 5, ("等比缩小",)),
        ("防止梯度爆炸", 1, ()),
    ]
    (follow_up,) = suggested.follow_ups
    assert follow_up.answer.startswith("先看正常训练时") and "\n" not in follow_up.answer
    assert services.open_draft(draft.target_id).source == NO_RUBRIC  # nothing saved by itself
    page = c.get(reverse("authoring:assist_result", args=[draft.pk, run.pk])).content.decode()
    assert "采用建议" in page and "clip_grad_norm" in page
    sent = fake.requests[0]["body"]["messages"][1]["content"]
    assert "梯度裁剪在反向传播后" in sent and "REFERENCE" in sent


def test_the_llm_grades_the_samples_against_the_ranges(fake, editor, draft):
    fake.reply(
        completion(grade_json(90, ("covered",) * 3, ("",) * 3)),
        completion(grade_json(40, ("partial", "missing", "covered"), ("",) * 3)),
        completion(grade_json(80, ("covered",) * 3, ("",) * 3)),
    )
    run = assist.request(user=editor, draft=draft, kind="grade", source=GOOD)
    assist.perform(run.pk)
    run.refresh_from_db()
    assert [(s["kind"], s["score"], bool(s["problem"])) for s in run.result["samples"]] == [
        ("strong", 90, False),
        ("partial", 40, False),
        ("wrong", 80, True),  # a wrong sample the LLM would pass is shown as a problem
    ]


@pytest.mark.parametrize(
    ("reply", "source", "reason"),
    [
        (completion("我觉得这题挺好的"), NO_RUBRIC, "key points"),
        (error(500), NO_RUBRIC, ""),
        (completion(json.dumps({"key_points": [], "follow_ups": []})), NO_RUBRIC, "没有给出可用的关键点"),
        (completion("{}"), "## 只有标题 {#x-y}\ndifficulty: easy\n", "先写好 ### 回答重点"),
    ],
    ids=["prose", "server-error", "no-points", "no-reference"],
)
def test_a_failed_run_says_why(fake, editor, draft, reply, source, reason):
    fake.reply(reply)
    run = assist.request(user=editor, draft=draft, kind="suggest", source=source)
    assist.perform(run.pk)
    run.refresh_from_db()
    assert run.status == AssistStatus.FAILED and run.error and reason in run.error


def test_without_an_llm_the_buttons_are_absent_and_the_endpoint_says_409(editor, draft, settings):
    settings.OPENAI_API_KEY = ""
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(editor)
    assert "LLM 辅助" not in c.get(reverse("authoring:draft", args=[draft.pk])).content.decode()
    response = ask(c, draft, "suggest", NO_RUBRIC)
    assert response.status_code == 409 and "OPENAI_API_KEY" in response.content.decode()
    assert not AssistRun.objects.exists()
