"""Hostile inputs get a 4xx with a message, never a 500; redirects stay on this site."""

import re

import pytest
from django.urls import reverse

from quizbank.practice.models import Deck, PracticeSettings
from tests.practice_factories import make_deck, make_set, make_user

pytestmark = pytest.mark.django_db
HUGE_ID = str(2**64 + 1)


@pytest.fixture
def alice(client):
    user = make_user("alice")
    client.force_login(user)
    return user


@pytest.fixture
def deck(alice):
    return make_deck(alice, make_set("s", 3))


def settings_data(**changes) -> dict:
    data = {
        "new_per_day": 20,
        "reviews_per_day": 200,
        "desired_retention": 0.9,
        "learning_steps": "1m 10m",
        "relearning_steps": "10m",
        "time_zone": "Asia/Shanghai",
        "day_starts_at": 4,
    }
    return {**data, **changes}


@pytest.mark.parametrize("topic", [HUGE_ID, "-" + HUGE_ID, "1" * 40])
def test_a_deck_topic_id_beyond_64_bits_is_a_form_error(client, alice, topic):
    make_set("s", 1)
    response = client.post(reverse("practice:deck_new"), {"name": "d", "topics": [topic], "mode": "recall"})
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not Deck.objects.exists()


@pytest.mark.parametrize("field", ["learning_steps", "relearning_steps"])
@pytest.mark.parametrize("steps", ["100000000000d", "3000000d", "366d", "1m 400d", "1s", "0m", "1e9m", "9" * 90 + "s"])
def test_steps_out_of_range_are_refused_with_a_message(client, alice, field, steps):
    response = client.post(reverse("practice:settings"), settings_data(**{field: steps}))
    html = response.content.decode()
    assert response.status_code == 400 and "365" in html
    assert not PracticeSettings.objects.filter(user=alice, **{field: steps}).exists()


def test_the_longest_steps_allowed_still_reveal(client, alice, deck):
    response = client.post(
        reverse("practice:settings"), settings_data(learning_steps="1m 365d", relearning_steps="365d")
    )
    assert response.status_code == 302
    html = client.get(reverse("practice:study", args=[deck.pk]), {"reveal": "1"})
    assert html.status_code == 200


def test_steps_already_stored_out_of_range_do_not_break_reveal(client, alice, deck):
    """Rows saved before the bound existed must not make every reveal a 500."""
    PracticeSettings.objects.update_or_create(
        user=alice, defaults={"learning_steps": "3000000d", "relearning_steps": "100000000000d"}
    )
    assert client.get(reverse("practice:study", args=[deck.pk]), {"reveal": "1"}).status_code == 200
    html = client.get(reverse("practice:study", args=[deck.pk])).content.decode()
    question, token = re.search(r"question=([^&\"]+)&amp;token=([^\"&]+)", html).groups()
    response = client.get(reverse("practice:reveal", args=[deck.pk]), {"question": question, "token": token})
    assert response.status_code == 200 and 'name="rating"' in response.content.decode()


ACTIONS = [
    ("practice:star", {}),
    ("practice:note", {"text": "n"}),
    ("practice:unsuspend", {}),
]


@pytest.mark.parametrize(("url", "data"), ACTIONS)
@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "x",
        "javascript:alert(1)",
        "/\\evil.example",
        "http://testserver@evil.example/",
    ],
)
def test_a_posted_next_off_this_site_falls_back_to_the_question(client, alice, deck, url, data, next_url):
    response = client.post(reverse(url, args=["s-00001"]), {**data, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("bank:question", args=["s-00001"])


@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_a_posted_next_on_this_site_is_followed(client, alice, deck, url, data):
    target = reverse("practice:study", args=[deck.pk]) + "?reveal=1"
    response = client.post(reverse(url, args=["s-00001"]), {**data, "next": target})
    assert response.status_code == 302 and response["Location"] == target


@pytest.mark.parametrize("next_url", ["x", "https://evil.example/", "//evil.example/"])
def test_signup_never_redirects_off_site_or_to_a_500(client, next_url):
    data = {"username": "newcomer", "password1": "a-long-password-1", "password2": "a-long-password-1"}
    response = client.post(reverse("signup"), {**data, "next": next_url})
    assert response.status_code == 302 and response["Location"] == reverse("practice:dashboard")


def test_signup_follows_a_next_on_this_site(client):
    data = {"username": "newcomer", "password1": "a-long-password-1", "password2": "a-long-password-1"}
    response = client.post(reverse("signup"), {**data, "next": "/questions/x/"})
    assert response.status_code == 302 and response["Location"] == "/questions/x/"


@pytest.mark.parametrize("url", ["admin:auth_group_add", "admin:auth_user_change"])
def test_admin_many_to_many_ids_beyond_64_bits_are_a_form_error(client, url):
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    args = [admin.pk] if url.endswith("change") else []
    data = {
        "name": "g",
        "username": "root",
        "permissions": [HUGE_ID],
        "groups": [HUGE_ID],
        "user_permissions": [HUGE_ID],
    }
    response = client.post(reverse(url, args=args), data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
