"""报告问题: a signed-in learner reports a problem with a question; editors get a queue."""

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse

from quizbank.bank.models import Question
from quizbank.feedback import services
from quizbank.feedback.models import ProblemReport
from tests.practice_factories import make_set, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    make_set("fb", 1)
    return Question.objects.get(id="fb-00001")


@pytest.fixture
def client(question):
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(make_user())
    return c


def test_the_question_page_offers_the_form_to_signed_in_users_only(client, question):
    url = reverse("bank:question", args=[question.id])
    assert "报告问题" in client.get(url).content.decode()
    assert "report-problem" not in Client(HTTP_HOST="127.0.0.1").get(url).content.decode()


def test_a_report_is_kept_with_the_version_seen_and_a_second_one_updates_it(client, question):
    url = reverse("feedback:report", args=[question.id])
    response = client.post(url, {"kind": "wrong", "text": "答案里的 24 GB 应为 48 GB"}, HTTP_HX_REQUEST="true")
    assert (
        response.status_code == 200 and "收到了" in response.content.decode() and "待处理" in response.content.decode()
    )
    client.post(url, {"kind": "wrong", "text": "补充：见 §3"})
    report = ProblemReport.objects.get()
    assert (report.kind, report.text, report.question_version) == ("wrong", "补充：见 §3", question.version)


@pytest.mark.parametrize("data", [{}, {"kind": "nonsense"}, {"kind": "typo", "text": "x" * 2001}])
def test_a_bad_report_is_a_400_with_a_message(client, question, data):
    response = client.post(reverse("feedback:report", args=[question.id]), data)
    assert response.status_code == 400 and response.content and not ProblemReport.objects.exists()


def test_anonymous_csrf_unknown_question_and_the_daily_limit(client, question, settings):
    url = reverse("feedback:report", args=[question.id])
    assert Client(HTTP_HOST="127.0.0.1").post(url, {"kind": "typo"}).status_code == 302  # to the login
    strict = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    strict.force_login(make_user())
    assert strict.post(url, {"kind": "typo"}).status_code == 403
    assert client.post(reverse("feedback:report", args=["no-such-question"]), {"kind": "typo"}).status_code == 404
    user = make_user()
    for i in range(services.DAILY_LIMIT):
        make_set(f"lim{i}", 1)
        services.report_problem(user=user, question=Question.objects.get(id=f"lim{i}-00001"), kind="typo", text="")
    with pytest.raises(services.TooMany):
        services.report_problem(user=user, question=question, kind="typo", text="")


def test_editors_see_the_queue_in_the_admin_and_resolve_it(question):
    reporter = make_user()
    services.report_problem(user=reporter, question=question, kind="unclear", text="第二段看不懂")
    assert ProblemReport in site._registry
    staff = make_user()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin = Client(HTTP_HOST="127.0.0.1")
    admin.force_login(staff)
    page = admin.get("/admin/feedback/problemreport/").content.decode()
    assert "第二段看不懂" in page
    report = ProblemReport.objects.get()
    admin.post(
        "/admin/feedback/problemreport/",
        {"action": "mark_resolved", "_selected_action": [report.pk]},
    )
    report.refresh_from_db()
    assert report.resolved_at is not None
