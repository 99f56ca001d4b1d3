"""Account pages: login and sign-up throttled by account and by address, password reset only
with a mail server, the demo account only on an embedded first run."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from quizbank.accounts import throttle
from tests.helpers import run_command

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-password-1"


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)


def log_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_a_wrong_password_is_a_400_and_the_right_one_signs_in(client, alice):
    assert log_in(client, "alice", "wrong").status_code == 400
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_after_too_many_failures_even_the_right_password_is_refused(client, alice, settings):
    settings.QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT = 10
    for _ in range(10):
        assert log_in(client, "alice", "guess").status_code == 400
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # the lock is the account's, whatever the address, and the case of the name
    other = log_in(client, "ALICE", PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 429


def test_the_window_ends_by_itself():
    limit = throttle.Limit("t", count=2, seconds=60)
    limit.hit("bob", now=1000)
    limit.hit("bob", now=1001)
    assert limit.wait("bob", now=1002) == 60 - 1002 % 60 + 1
    assert limit.wait("bob", now=1020 + 60) == 0


def test_failures_from_one_address_across_accounts_are_throttled(client, alice, settings):
    settings.QUIZBANK_LOGIN_FAILURES_PER_ADDRESS = 5
    for i in range(5):
        assert log_in(client, f"user{i}", "guess").status_code == 400
    assert log_in(client, "alice", PASSWORD).status_code == 429
    # another address is not affected
    assert log_in(client, "alice", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 302


def test_a_successful_login_clears_the_accounts_failures(client, alice, settings):
    settings.QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT = 3
    log_in(client, "alice", "guess")
    log_in(client, "alice", "guess")
    assert log_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    log_in(client, "alice", "guess")
    log_in(client, "alice", "guess")
    assert log_in(client, "alice", PASSWORD).status_code == 302


def signup(client, username, **extra):
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("signup"), data, **extra)


def test_a_throttled_login_does_not_even_check_the_password(client, alice, settings):
    from django.contrib.auth.signals import user_login_failed

    settings.QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT = 1
    log_in(client, "alice", "guess")
    checked = []
    user_login_failed.connect(lambda **kw: checked.append(kw), weak=False, dispatch_uid="t")
    try:
        response = log_in(client, "alice", "guess-again")
    finally:
        user_login_failed.disconnect(dispatch_uid="t")
    assert response.status_code == 429 and checked == []
    assert 'value="alice"' in response.content.decode()  # the name stays in the box


def test_an_empty_post_to_a_throttled_sign_up_is_a_429_not_a_500(client, settings):
    settings.QUIZBANK_SIGNUPS_PER_ADDRESS = 1
    signup(client, "first")
    client.logout()
    assert client.post(reverse("signup"), {}).status_code == 429
    assert client.post(reverse("login"), {}).status_code == 400


def test_sign_ups_from_one_address_are_throttled(client, settings):
    settings.QUIZBANK_SIGNUPS_PER_ADDRESS = 3
    for i in range(3):
        assert signup(client, f"bot{i}").status_code == 302
        client.logout()
    response = signup(client, "bot-extra")
    assert response.status_code == 429 and "尝试次数过多" in response.content.decode()
    assert not get_user_model().objects.filter(username="bot-extra").exists()
    assert signup(client, "human", REMOTE_ADDR="10.2.2.2").status_code == 302


def test_behind_a_proxy_the_address_it_appended_counts_not_what_the_client_claims(client, settings):
    settings.QUIZBANK_SIGNUPS_PER_ADDRESS = 2
    settings.QUIZBANK_TRUSTED_PROXIES = 1
    for i in range(2):
        # the client forges a new first entry each time; the proxy appends the real address
        forwarded = f"192.0.2.{i}, 203.0.113.7"
        assert signup(client, f"p{i}", HTTP_X_FORWARDED_FOR=forwarded).status_code == 302
        client.logout()
    assert signup(client, "p-extra", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7").status_code == 429
    assert signup(client, "p-other", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_without_a_mail_server_password_reset_says_whom_to_ask(client, alice, settings):
    settings.QUIZBANK_PASSWORD_RESET = False
    assert "忘记密码" not in client.get(reverse("login")).content.decode()
    page = client.get(reverse("password_reset"))
    assert page.status_code == 404 and "没有配置邮件服务" in page.content.decode()
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 404 and mail.outbox == []


def test_with_a_mail_server_a_reset_link_arrives_and_works(client, alice, settings):
    settings.QUIZBANK_PASSWORD_RESET = True
    assert "忘记密码" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "设置新密码" in form.content.decode()
    new = "another-long-password-2"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert log_in(client, "alice", new).status_code == 302


def test_the_demo_account_is_made_on_a_first_run_only(settings):
    settings.PRODUCTION = False
    assert "created" in run_command("create_demo_user")
    demo = get_user_model().objects.get(username="demo")
    assert demo.check_password("quizbank-demo") and demo.decks.count() == 1
    assert "exists" in run_command("create_demo_user")
    get_user_model().objects.create_user("learner", password=PASSWORD)
    demo.delete()
    # deleted on a database with other accounts: it stays deleted
    assert "not created" in run_command("create_demo_user")
    assert not get_user_model().objects.filter(username="demo").exists()


def test_no_demo_account_in_production(settings):
    settings.PRODUCTION = True
    assert "not created" in run_command("create_demo_user")
    assert not get_user_model().objects.exists()


def test_without_a_mail_server_a_stray_message_is_logged_not_sent(caplog):
    from quizbank.mail import UnconfiguredBackend

    message = mail.EmailMessage("subject", "secret body", to=["a@example.com"])
    assert UnconfiguredBackend().send_messages([message]) == 0
    assert "email not sent" in caplog.text and "secret body" not in caplog.text


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("root", "root@example.com", PASSWORD, is_staff=True, is_superuser=True)


def test_the_admin_login_checks_no_password_and_sends_to_the_throttled_one(client, staff, settings):
    settings.QUIZBANK_LOGIN_FAILURES_PER_ACCOUNT = 10
    for password in ["guess"] * 30 + [PASSWORD]:  # the right one too: the admin's form is not used
        response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": password})
        assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
        assert "_auth_user_id" not in client.session
    for _ in range(10):
        assert log_in(client, "root", "guess").status_code == 400
    assert log_in(client, "root", PASSWORD).status_code == 429  # locked, whichever login is tried
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_reach_the_admin_through_the_site_login(client, staff):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post(
        "/accounts/login/?next=/admin/", {"username": "root", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/?next=/admin/bank/").url == "/admin/bank/"
    assert client.get("/admin/login/?next=https://evil.example/").url == "/admin/"


def test_a_signed_in_learner_at_the_admin_gets_a_403_not_a_redirect_loop(client, alice):
    client.force_login(alice)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1  # /admin/ -> /admin/login/, and no further
