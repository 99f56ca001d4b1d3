"""Authoring: who may use the editor, the same messages as the loader, drafts invisible to
learners, review (publish / reject with a reason), history, diff and restore, substantive
changes, and files and the database kept in step (docs/authoring.md)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quizbank.authoring import services
from quizbank.authoring.models import Draft, DraftState
from quizbank.authoring.permissions import EDITOR_GROUP
from quizbank.bank.loader import export_questions, load_questions
from quizbank.bank.markup import ContentErrors, parse_set
from quizbank.bank.models import Question, QuestionRevision, QuestionSet
from quizbank.practice.models import Card
from tests.authoring_factories import make_editor, make_reviewer
from tests.conftest import run_command, write_set
from tests.practice_factories import make_user

pytestmark = pytest.mark.django_db

GOOD = """## 什么是梯度裁剪？ {#test-gradient-clipping}
difficulty: medium
tags: [training]

### 回答重点

梯度裁剪在反向传播后、优化器更新前，把梯度的整体范数限制在阈值 $c$ 以内：范数超过 $c$ 时把所有梯度按 $c/\\|g\\|$ 等比缩小。
它防止一次异常大的梯度把参数推得太远，训练大模型时常用 max_norm=1.0。

### 关键点

- 在优化器更新前限制梯度的整体范数 {weight=2 aliases="clip_grad_norm|范数裁剪"}
- 超过阈值时按比例缩小所有梯度，方向不变 {aliases="等比缩小|按比例缩放"}
- 防止梯度爆炸导致参数一步走得太远 {aliases="梯度爆炸"}

### 样例答案

- strong: 梯度裁剪是在优化器更新之前限制梯度的整体范数，用 clip_grad_norm；如果范数超过阈值就把所有梯度按比例缩小，方向不变，这样可以防止梯度爆炸让参数一步走得太远。
- partial: 就是防止梯度爆炸的一个技巧。
- wrong: 梯度裁剪是把学习率调小，让模型收敛得更慢。
"""


def client_for(user) -> Client:
    c = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def editor():
    return make_editor("editor1")


@pytest.fixture
def reviewer():
    return make_reviewer("reviewer1")


@pytest.fixture
def superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root1", password="a-long-password-1")


@pytest.fixture
def rag():
    return QuestionSet.objects.get(slug="rag")


def new_draft(user, question_set, source=GOOD) -> Draft:
    return services.create_draft(user=user, question_set=question_set, source=source)


# -- permissions -----------------------------------------------------------------------------
def editor_urls(draft: Draft, question_id: str) -> list[tuple[str, str, dict]]:
    """Every editor URL: (method, url, data)."""
    pk = draft.pk
    return [
        ("get", reverse("authoring:index"), {}),
        ("get", reverse("authoring:new") + "?question_set=rag", {}),
        ("post", reverse("authoring:new"), {"question_set": "rag", "source": GOOD.replace("test-gradient", "x-g")}),
        ("post", reverse("authoring:preview"), {"source": GOOD, "question_set": "rag"}),
        ("get", reverse("authoring:draft", args=[pk]), {}),
        ("post", reverse("authoring:draft", args=[pk]), {"source": GOOD + "\n"}),
        ("get", reverse("authoring:review", args=[pk]), {}),
        ("post", reverse("authoring:assist", args=[pk]), {"kind": "suggest", "source": GOOD}),
        ("get", reverse("authoring:assist_result", args=[pk, 999999]), {}),
        ("get", reverse("authoring:question", args=[question_id]), {}),
        ("post", reverse("authoring:edit", args=[question_id]), {}),
        ("get", reverse("authoring:diff", args=[question_id]) + "?a=r1&b=r1", {}),
        ("post", reverse("authoring:restore", args=[question_id]), {"key": "r1"}),
        ("post", reverse("authoring:submit", args=[pk]), {}),
        ("post", reverse("authoring:withdraw", args=[pk]), {}),
    ]


REVIEWER_URLS = ["publish", "reject"]


def test_anonymous_visitors_are_sent_to_log_in_and_learners_get_403_on_every_editor_url(rag, editor):
    draft = new_draft(editor, rag)
    question_id = Question.objects.filter(question_set=rag).values_list("id", flat=True).first()
    urls = editor_urls(draft, question_id)
    urls += [("post", reverse(f"authoring:{n}", args=[draft.pk]), {"reason": "x"}) for n in REVIEWER_URLS]
    urls += [("post", reverse("authoring:retire", args=[question_id]), {})]
    anonymous, learner = client_for(None), client_for(make_user())
    for method, url, data in urls:
        response = getattr(anonymous, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        assert getattr(learner, method)(url, data).status_code == 403, url
    assert Draft.objects.count() == 1 and Question.objects.filter(id=question_id, retired_at=None).exists()


@pytest.mark.parametrize("role", ["editor", "superuser"])
def test_content_editors_and_superusers_reach_every_editor_url(role, request, rag):
    user = request.getfixturevalue(role)
    draft = new_draft(user, rag)
    question_id = Question.objects.filter(question_set=rag).values_list("id", flat=True).first()
    c = client_for(user)
    for method, url, data in editor_urls(draft, question_id):
        response = getattr(c, method)(url, data)
        assert response.status_code in (200, 302, 404, 409), (url, response.status_code)
        assert response.status_code != 403, url


def test_only_reviewers_publish_reject_or_retire(rag, editor, reviewer):
    draft = new_draft(editor, rag)
    services.submit(user=editor, draft=draft)
    c = client_for(editor)
    assert c.post(reverse("authoring:publish", args=[draft.pk])).status_code == 403
    assert c.post(reverse("authoring:reject", args=[draft.pk]), {"reason": "x"}).status_code == 403
    qid = Question.objects.filter(question_set=rag).values_list("id", flat=True).first()
    assert c.post(reverse("authoring:retire", args=[qid])).status_code == 403
    with pytest.raises(services.WorkflowError):
        services.publish(user=editor, draft=draft)
    shown = {"revision": Draft.objects.get(pk=draft.pk).revision}
    response = client_for(reviewer).post(reverse("authoring:publish", args=[draft.pk]), shown)
    assert response.status_code == 302 and Question.objects.filter(id="test-gradient-clipping").exists()


# -- the same parser, the same messages --------------------------------------------------------
BAD = GOOD.replace("{weight=2 ", "{weight=9 ")


def test_the_editor_and_the_loader_reject_the_same_bad_question_with_the_same_message(rag, editor, content_dir):
    path = write_set(content_dir, "bad.md", "---\nslug: bad\ntitle: Bad\ndescription: d\norder: 1\n---\n\n" + BAD)
    with pytest.raises(ContentErrors) as loaded:
        load_questions([path], check=True)
    response = client_for(editor).post(reverse("authoring:preview"), {"source": BAD, "question_set": "rag"})
    page = response.content.decode()
    (error,) = loaded.value.errors
    assert error.line == 19 and "weight 必须是 1–5 的整数" in error.message
    assert error.message in page.replace("&#x27;", "'")
    assert "第 12 行" in page  # the same key point, counted from the block's heading


def test_the_preview_renders_formulas_and_lists_similar_titles_and_the_rubric_test(rag, editor, bundled):
    source = GOOD.replace("什么是梯度裁剪？", "RAG 的检索召回率低怎么排查？")
    page = client_for(editor).post(reverse("authoring:preview"), {"source": source, "question_set": "rag"})
    html = page.content.decode()
    assert page.status_code == 200 and "格式正确" in html and r"\(c\)" in html
    assert "题库里相似的题目" in html and "召回" in html
    assert "评分测试" in html and html.count("sample-ok") + html.count("sample-bad") == 3


def test_a_new_id_that_is_taken_is_an_error_in_the_editor(rag, editor):
    taken = Question.objects.filter(question_set=rag).first()
    source = GOOD.replace("test-gradient-clipping", taken.id)
    page = client_for(editor).post(reverse("authoring:preview"), {"source": source, "question_set": "rag"})
    assert f"id &#x27;{taken.id}&#x27; 重复" in page.content.decode()


# -- review states and what learners see ---------------------------------------------------------
def test_a_new_question_is_invisible_to_learners_until_a_reviewer_publishes_it(rag, editor, reviewer, bundled):
    draft = new_draft(editor, rag)
    learner = client_for(make_user())
    assert draft.target_id == "test-gradient-clipping" and draft.state == DraftState.DRAFT
    assert learner.get(reverse("bank:question", args=["test-gradient-clipping"])).status_code == 404
    services.submit(user=editor, draft=draft)
    assert learner.get(reverse("bank:question", args=["test-gradient-clipping"])).status_code == 404
    assert "test-gradient-clipping" not in learner.get(reverse("bank:search") + "?q=梯度裁剪").content.decode()
    with pytest.raises(services.WorkflowError):
        services.reject(user=reviewer, draft=draft, reason="  ")
    services.reject(user=reviewer, draft=draft, reason="第二个关键点说得不准确")
    page = client_for(editor).get(reverse("authoring:draft", args=[draft.pk])).content.decode()
    assert "审核退回" in page and "第二个关键点说得不准确" in page
    services.save_draft(user=editor, draft=draft, source=GOOD.replace("方向不变", "方向保持不变"))
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    services.publish(user=reviewer, draft=Draft.objects.get(pk=draft.pk))
    q = Question.objects.get(id="test-gradient-clipping")
    assert q.version == 1 and q.synced_hash == "" and q.edited_in_app and "方向保持不变" in q.key_points[1]["text"]
    assert learner.get(reverse("bank:question", args=[q.id])).status_code == 200
    revision = QuestionRevision.objects.get(question=q)
    assert revision.origin == "app" and revision.author == editor and revision.published_by == reviewer


def test_an_edit_of_a_published_question_waits_for_review_as_a_diff(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    old_answer, version = q.answer_md, q.version
    draft = services.start_edit(user=editor, question=q)
    assert services.start_edit(user=editor, question=q).pk == draft.pk  # one open draft per question
    source = draft.source.replace("weight=", "weight=5 x=", 0)  # unchanged
    edited = draft.source.replace("### 回答重点\n\n", "### 回答重点\n\n（修订）", 1)
    assert source == draft.source and edited != draft.source
    services.save_draft(user=editor, draft=draft, source=edited)
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    q.refresh_from_db()
    assert q.answer_md == old_answer and q.version == version  # learners still see the published one
    page = client_for(reviewer).get(reverse("authoring:review", args=[draft.pk])).content.decode()
    assert "与已发布版本的差异" in page and "修订" in page
    services.publish(user=reviewer, draft=Draft.objects.get(pk=draft.pk))
    q.refresh_from_db()
    assert q.answer_md.startswith("（修订）") and q.version == version + 1 and q.edited_in_app


def test_publishing_refuses_an_edit_based_on_an_older_version(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    first = services.start_edit(user=editor, question=q)
    services.save_draft(
        user=editor, draft=first, source=first.source.replace("### 关键点", "补充一句。\n\n### 关键点", 1)
    )
    services.submit(user=editor, draft=Draft.objects.get(pk=first.pk))
    Question.objects.filter(id=q.id).update(version=q.version + 1)  # a file load published meanwhile
    with pytest.raises(services.WorkflowError, match="又发布了新版本"):
        services.publish(user=reviewer, draft=Draft.objects.get(pk=first.pk))
    assert Draft.objects.get(pk=first.pk).state == DraftState.REVIEW


def test_a_substantive_change_moves_reviewed_cards_back_to_relearning(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    now = timezone.now()
    learners = [make_user() for _ in range(3)]
    state = {
        "state": 2,
        "step": None,
        "stability": 30.0,
        "difficulty": 5.0,
        "due": (now + timedelta(days=20)).isoformat(),
        "last_review": now.isoformat(),
    }
    for user in learners[:2]:
        Card.objects.create(user=user, question=q, state=state, phase=2, due=now + timedelta(days=20), interval_days=20)
    Card.objects.create(user=learners[2], question=q, state={**state, "state": 1, "step": 0}, phase=1, due=now)
    assert services.impact(q).cards == 3 and services.impact(q).review_cards == 2
    draft = services.start_edit(user=editor, question=q)
    services.save_draft(
        user=editor, draft=draft, source=draft.source.replace("### 关键点", "新的结论。\n\n### 关键点", 1)
    )
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    shown = Draft.objects.get(pk=draft.pk).revision
    response = client_for(reviewer).post(
        reverse("authoring:publish", args=[draft.pk]), {"substantive": "on", "revision": shown}
    )
    assert response.status_code == 302
    phases = sorted(Card.objects.filter(question=q).values_list("phase", flat=True))
    assert phases == [1, 3, 3]
    moved = Card.objects.filter(question=q, phase=3).first()
    assert moved.due <= timezone.now() and moved.state["stability"] == 30.0


# -- history, diff and restore ---------------------------------------------------------------------
def test_every_save_is_kept_and_any_two_versions_diff_and_restore(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    draft = services.start_edit(user=editor, question=q)
    weighted = draft.source.replace("\n- ", "\n- 【改】", 1)
    services.save_draft(user=editor, draft=draft, source=weighted)
    assert services.save_draft(user=editor, draft=draft, source=weighted) is None  # nothing changed
    entries = services.history(q.id)
    keys = {e["kind"] for e in entries}
    assert keys == {"published", "save"} and len([e for e in entries if e["kind"] == "save"]) == 2
    published = next(e["key"] for e in entries if e["kind"] == "published")
    latest = entries[0]["key"]
    c = client_for(editor)
    page = c.get(reverse("authoring:diff", args=[q.id]) + f"?a={published}&b={latest}")
    assert page.status_code == 200 and "【改】" in page.content.decode()
    assert c.get(reverse("authoring:diff", args=[q.id]) + "?a=r999999&b=s1").status_code == 404
    assert c.get(reverse("authoring:diff", args=[q.id]) + "?a=x&b=y").status_code == 400
    response = c.post(reverse("authoring:restore", args=[q.id]), {"key": published})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert "【改】" not in draft.source and draft.saves.count() == 3
    assert draft.saves.order_by("-number").first().note.startswith("恢复自 v")


def test_an_invalid_draft_is_saved_but_cannot_be_submitted(rag, editor):
    draft = new_draft(editor, rag, source="## 只有标题 {#half-done}\ndifficulty: easy\n")
    assert draft.saves.count() == 1 and draft.target_id == "half-done"
    with pytest.raises(services.Invalid) as exc:
        services.submit(user=editor, draft=draft)
    assert any("回答重点为空" in e.message for e in exc.value.errors)
    response = client_for(editor).post(reverse("authoring:submit", args=[draft.pk]))
    assert response.status_code == 302 and Draft.objects.get(pk=draft.pk).state == DraftState.DRAFT


# -- files and the database ------------------------------------------------------------------------
SET = "---\nslug: sync\ntitle: Sync\ndescription: d\norder: 90\n---\n\n"


def _file(content_dir, answer="原来的答案。"):
    return write_set(
        content_dir,
        "sync.md",
        SET
        + GOOD.replace("test-gradient-clipping", "sync-one").replace(
            "### 回答重点\n\n", f"### 回答重点\n\n{answer}", 1
        ),
    )


def _publish_edit(editor, reviewer, text="应用里的修改。"):
    q = Question.objects.get(id="sync-one")
    draft = services.start_edit(user=editor, question=q)
    services.save_draft(user=editor, draft=draft, source=draft.source.replace("原来的答案。", text))
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    services.publish(user=reviewer, draft=Draft.objects.get(pk=draft.pk))


def test_a_file_load_keeps_an_app_edit_when_the_file_did_not_change_that_question(content_dir, editor, reviewer):
    path = _file(content_dir)
    load_questions([content_dir])
    _publish_edit(editor, reviewer)
    path.write_text(path.read_text(encoding="utf-8").replace("title: Sync", "title: Sync 2"), encoding="utf-8")
    summary = load_questions([content_dir])
    assert summary.kept_app == ["sync-one"]
    assert Question.objects.get(id="sync-one").answer_md.startswith("应用里的修改。")


def test_a_question_changed_in_both_places_is_a_conflict_until_a_side_is_picked(content_dir, editor, reviewer):
    path = _file(content_dir)
    load_questions([content_dir])
    _publish_edit(editor, reviewer)
    _file(content_dir, answer="文件里的修改。")
    with pytest.raises(ContentErrors) as exc:
        load_questions([content_dir])
    (error,) = exc.value.errors
    assert "冲突" in error.message and error.path.endswith("sync.md") and error.line == 8
    assert Question.objects.get(id="sync-one").answer_md.startswith("应用里的修改。")
    with pytest.raises(CommandError):
        run_command("load_questions", str(content_dir))
    load_questions([content_dir], prefer="app")
    assert Question.objects.get(id="sync-one").answer_md.startswith("应用里的修改。")
    load_questions([content_dir], prefer="file", force=True)
    q = Question.objects.get(id="sync-one")
    assert q.answer_md.startswith("文件里的修改。") and not q.edited_in_app
    assert path.exists()


def test_export_writes_app_edits_back_and_the_next_load_is_in_step(content_dir, editor, reviewer, rag):
    path = _file(content_dir)
    load_questions([content_dir])
    _publish_edit(editor, reviewer)
    draft = new_draft(editor, QuestionSet.objects.get(slug="sync"), GOOD.replace("test-gradient-clipping", "sync-two"))
    services.submit(user=editor, draft=draft)
    services.publish(user=reviewer, draft=Draft.objects.get(pk=draft.pk))
    assert load_questions([content_dir]).retired == 0  # a question only in the app is not "removed"
    export_questions(slugs=["sync"])
    text = path.read_text(encoding="utf-8")
    assert "应用里的修改。" in text and "{#sync-two}" in text
    assert [q.id for q in parse_set(text).questions] == ["sync-one", "sync-two"]
    assert not Question.objects.filter(id__in=["sync-one", "sync-two"], synced_hash="").exists()
    summary = load_questions([content_dir])
    assert summary.files_skipped == 1 and summary.kept_app == []
    # the bundled sets live elsewhere: exporting them would have rewritten content/ — it did not
    assert QuestionSet.objects.get(slug="sync").source_path.endswith("sync.md") and rag.source_path


def test_load_check_runs_the_sample_answers(content_dir):
    lenient = GOOD.replace(
        "- wrong: 梯度裁剪是把学习率调小，让模型收敛得更慢。", "- wrong: " + GOOD.split("- strong: ")[1].split("\n")[0]
    )
    path = write_set(content_dir, "samples.md", SET.replace("sync", "samples") + lenient)
    with pytest.raises(ContentErrors) as exc:
        load_questions([path], check=True)
    (error,) = exc.value.errors
    assert error.path.endswith("samples.md") and "错误样例得了" in error.message and "应不高于 59" in error.message
    write_set(content_dir, "samples.md", SET.replace("sync", "samples") + GOOD)
    assert load_questions([path], check=True).questions == 1


# -- what a stranger's walk found ----------------------------------------------------------------
def test_a_reviewer_cannot_publish_text_changed_after_the_review_page_was_opened(rag, editor, reviewer):
    draft = new_draft(editor, rag)
    services.submit(user=editor, draft=draft)
    seen = Draft.objects.get(pk=draft.pk).revision
    changed = GOOD.replace("方向不变", "方向也不变")
    services.save_draft(user=editor, draft=draft, source=changed)
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    response = client_for(reviewer).post(reverse("authoring:publish", args=[draft.pk]), {"revision": seen})
    assert response.status_code == 409 and "变了" in response.content.decode()
    assert not Question.objects.filter(id="test-gradient-clipping").exists()
    response = client_for(reviewer).post(
        reverse("authoring:reject", args=[draft.pk]), {"revision": seen, "reason": "第三点不对"}
    )
    assert response.status_code == 409 and "第三点不对" in response.content.decode()  # the reason typed stays


def test_a_save_from_a_stale_tab_is_refused_and_its_text_shown_back(rag, editor):
    draft = new_draft(editor, rag)
    tab_a, tab_b = draft.revision, draft.revision
    c = client_for(editor)
    url = reverse("authoring:draft", args=[draft.pk])
    assert c.post(url, {"source": GOOD + "\nTAB-A\n", "revision": tab_a}).status_code == 302
    response = c.post(url, {"source": GOOD + "\nTAB-B\n", "revision": tab_b})
    page = response.content.decode()
    assert response.status_code == 409 and "TAB-B" in page and 'data-unsaved="1"' in page
    assert "TAB-A" in Draft.objects.get(pk=draft.pk).source
    fresh = Draft.objects.get(pk=draft.pk).revision
    assert f'name="revision" value="{fresh}"' in page  # saving again overwrites on purpose
    assert c.post(url, {"source": GOOD + "\nTAB-B\n", "revision": fresh}).status_code == 302


def test_a_fragment_asked_for_after_the_session_ended_gets_401_not_the_login_page(rag):
    response = Client(HTTP_HOST="127.0.0.1").post(
        reverse("authoring:preview"), {"source": GOOD, "question_set": "rag"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 401 and "登录已过期" in response.content.decode()
    assert "<form" not in response.content.decode()


def test_only_the_author_or_a_reviewer_changes_a_draft_and_an_imported_one_is_claimed(rag, editor, reviewer):
    other = make_user("editor2")
    other.groups.add(Group.objects.get(name=EDITOR_GROUP))
    draft = new_draft(editor, rag)
    with pytest.raises(services.WorkflowError, match="别人的草稿"):
        services.save_draft(user=other, draft=draft, source=GOOD + "\n")
    with pytest.raises(services.WorkflowError):
        services.submit(user=other, draft=draft)
    assert "你可以看，不能改" in client_for(other).get(reverse("authoring:draft", args=[draft.pk])).content.decode()
    services.save_draft(user=reviewer, draft=draft, source=GOOD + "\n")  # a reviewer may step in
    imported = services.create_draft(user=None, question_set=rag, source=GOOD.replace("test-gradient", "imp"))
    services.save_draft(user=other, draft=imported, source=GOOD.replace("test-gradient", "imp") + "\n")
    assert Draft.objects.get(pk=imported.pk).author == other


def test_a_retired_question_is_not_edited_or_restored_back_to_learners(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    revision = QuestionRevision.objects.filter(question=q).first()
    services.retire(user=reviewer, question=q)
    q.refresh_from_db()
    with pytest.raises(services.WorkflowError, match="已下线"):
        services.start_edit(user=editor, question=q)
    response = client_for(editor).post(reverse("authoring:restore", args=[q.id]), {"key": f"r{revision.pk}"})
    assert response.status_code == 302 and not Draft.objects.filter(target_id=q.id).exists()


def test_unbalanced_braces_in_a_formula_are_an_error_in_the_editor_and_the_loader(rag, editor, content_dir):
    bad = GOOD.replace("阈值 $c$ 以内", "阈值 $\\frac{c}{2$ 以内")
    page = client_for(editor).post(reverse("authoring:preview"), {"source": bad, "question_set": "rag"})
    assert "花括号 { } 或 \\begin/\\end 不配对" in page.content.decode()
    path = write_set(content_dir, "m.md", "---\nslug: m\ntitle: M\ndescription: d\norder: 1\n---\n\n" + bad)
    with pytest.raises(ContentErrors) as exc:
        load_questions([path], check=True)
    assert [e.line for e in exc.value.errors] == [14] and "花括号 { } 或 \\begin/\\end 不配对" in exc.value.errors[
        0
    ].message


def test_the_history_shows_each_step_and_a_published_drafts_page_shows_no_false_errors(rag, editor, reviewer):
    draft = new_draft(editor, rag)
    services.submit(user=editor, draft=draft)
    services.reject(user=reviewer, draft=Draft.objects.get(pk=draft.pk), reason="补一个例子")
    services.save_draft(user=editor, draft=Draft.objects.get(pk=draft.pk), source=GOOD + "\n")
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    services.publish(user=reviewer, draft=Draft.objects.get(pk=draft.pk), substantive=True)
    kinds = [(e["kind"], e["origin"]) for e in services.history("test-gradient-clipping")]
    assert kinds[0] == ("event", "发布") and ("event", "退回") in kinds and ("published", "应用内发布") in kinds
    assert [k for k, _ in kinds].count("event") == 4
    c = client_for(editor)
    page = c.get(reverse("authoring:question", args=["test-gradient-clipping"])).content.decode()
    assert "补一个例子" in page and "实质性修改" not in page  # a new question has no cards to move
    preview = c.post(reverse("authoring:preview"), {"source": GOOD, "question_set": "rag", "draft": draft.pk})
    assert "重复" not in preview.content.decode()
    assert "已发布为 v1" in c.get(reverse("authoring:draft", args=[draft.pk])).content.decode()


def test_restore_reads_restore_in_english_not_unsuspend(rag, editor, settings):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    c = client_for(editor)
    c.cookies["django_language"] = "en"
    page = c.get(reverse("authoring:question", args=[q.id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unsuspend" not in page and "Restore" in page


def test_retiring_withdraws_the_open_draft_and_a_stale_publish_cannot_bring_it_back(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    draft = services.start_edit(user=editor, question=q)
    services.save_draft(user=editor, draft=draft, source=draft.source.replace("### 关键点", "补充。\n\n### 关键点", 1))
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    shown = Draft.objects.get(pk=draft.pk).revision
    services.retire(user=reviewer, question=q)
    assert Draft.objects.get(pk=draft.pk).state == DraftState.WITHDRAWN
    response = client_for(reviewer).post(reverse("authoring:publish", args=[draft.pk]), {"revision": shown})
    assert response.status_code == 409
    q.refresh_from_db()
    assert q.is_retired
    assert ("event", "下线") in [(e["kind"], e["origin"]) for e in services.history(q.id)]


def test_a_reviewers_step_without_the_revision_it_saw_is_refused(rag, editor, reviewer):
    q = Question.objects.filter(question_set=rag, qtype="free").first()
    draft = services.start_edit(user=editor, question=q)
    services.save_draft(user=editor, draft=draft, source=draft.source.replace("### 关键点", "补充。\n\n### 关键点", 1))
    services.submit(user=editor, draft=Draft.objects.get(pk=draft.pk))
    response = client_for(reviewer).post(reverse("authoring:publish", args=[draft.pk]), {"substantive": "on"})
    assert response.status_code == 409 and 'name="substantive" checked' in response.content.decode()
    assert Question.objects.get(id=q.id).version == q.version  # the tick is kept for the second try


def test_a_block_that_does_not_parse_still_previews_its_answer(rag, editor):
    source = "## 导入的问题？ {#imp-q}\ndifficulty: medium\n\n### 回答重点\n\n| a | b |\n|---|---|\n| $x^2$ | 2 |\n\n### 关键点\n\n"
    page = client_for(editor).post(reverse("authoring:preview"), {"source": source, "question_set": "rag"})
    html = page.content.decode()
    assert "没有关键点" in html and "部分预览" in html and "<table>" in html and r"\(x^2\)" in html


def test_an_unknown_tex_command_is_an_error_with_its_line(rag, editor, content_dir):
    bad = GOOD.replace("阈值 $c$ 以内", "阈值 $N \\timez c$ 以内")
    page = client_for(editor).post(reverse("authoring:preview"), {"source": bad, "question_set": "rag"})
    assert "\\timez 不是 KaTeX 认识的命令" in page.content.decode()
    path = write_set(content_dir, "k.md", "---\nslug: k\ntitle: K\ndescription: d\norder: 1\n---\n\n" + bad)
    with pytest.raises(ContentErrors) as exc:
        load_questions([path], check=True)
    assert [e.line for e in exc.value.errors] == [14]
