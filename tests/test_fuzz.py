"""Property-based fuzzing of every URL pattern: hostile paths, query strings and bodies, as an
anonymous visitor, a user and a superuser, never get a 500.

The endpoints are read from the URL resolver, so a new one is fuzzed without touching this file;
the field names come from every form class and from the views' request.GET/POST look-ups.
Bounded and reproducible: a fixed number of examples per endpoint, derandomized, no database of
examples. The test client raises a view's exception, so a failure shows its traceback.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.regex_helper import normalize
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import quizbank
from quizbank.bank.models import Question, QuestionSet
from quizbank.grading import services as grading
from quizbank.practice import services
from tests.practice_factories import make_deck, make_user

pytestmark = pytest.mark.django_db
EXAMPLES = 24
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
SOURCE = Path(quizbank.__file__).parent


def endpoints(resolver=None, prefix: str = ""):
    """(name, (full regex, view)) of every URL pattern, includes flattened, in resolver order."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        regex = prefix + pattern.pattern.regex.pattern.removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from endpoints(pattern, regex)
        else:
            yield f"{pattern.name or 'unnamed'}:{regex}", (regex, pattern.callback)


def group_regexes(regex: str) -> dict[str, str]:
    """Each named group's own pattern (balanced parentheses)."""
    groups = {}
    for match in re.finditer(r"\(\?P<(\w+)>", regex):
        depth, i = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[i], 0) if regex[i - 1] != "\\" else 0
            i += 1
        groups[match.group(1)] = regex[match.end() : i - 1]
    return groups


REQUEST_NAMES = re.compile(r"request\.(?:GET|POST)(?:\.get|\.getlist)?[\[(]\"(\w+)\"")


def form_fields(classes) -> set[str]:
    names, todo = set(), [c for c in classes if isinstance(c, type) and issubclass(c, forms.BaseForm)]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        names.update(getattr(cls, "base_fields", {}))
    return names


def all_field_names() -> set[str]:
    """Every form field of the project, of django.contrib.auth and of the admin's models, and
    every name the views read from request.GET/POST."""
    for module in pkgutil.walk_packages([str(SOURCE)], "quizbank."):
        if module.name.endswith((".forms", ".form", ".views")):
            importlib.import_module(module.name)
    importlib.import_module("django.contrib.auth.forms")
    names = form_fields([forms.BaseForm])
    names.update(f.name for model in admin.site._registry for f in model._meta.get_fields())
    for path in SOURCE.rglob("*.py"):
        names.update(REQUEST_NAMES.findall(path.read_text()))
    return names | {"next", "language", "_save", "_continue", "post", "action", "_selected_action", "q", "o", "p"}


def fields_for(view) -> list[str]:
    """The names a view can read: the fields of the forms its module uses and the names it looks
    up in request.GET/POST; every name for a module without forms (the admin builds its forms at
    run time)."""
    module = sys.modules[inspect.unwrap(view).__module__]
    names = form_fields(vars(module).values())
    if not names:
        return sorted(ALL_FIELDS)
    return sorted(names | set(REQUEST_NAMES.findall(inspect.getsource(module))) | {"next", "language"})


HOSTILE = [
    "",
    "0",
    "-1",
    str(2**63),
    str(2**64 + 1),
    "-" + str(2**70),
    "1" * 400,
    "1e999999999",
    "-1e-999999999",
    "NaN",
    "inf",
    "1.5",
    "٣",
    "0x10",
    "None",
    "new",
    "on",
    "true",
    "1m 10m",
    "3000000d",
    "100000000000d",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "\x00",
    "a\x00b",
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "javascript:alert(1)",
    "x",
    "Asia/Shanghai",
    "Mars/Base",
    "2026-13-45T99:99",
    "{{ 7*7 }}",
    "$$\\frac{1}{0}$$",
    "我" * 5000,
    "x" * 20_001,
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
HOSTILE_VALUE = st.one_of(st.sampled_from(HOSTILE), TEXT, st.integers(-(2**70), 2**70).map(str))
RAW_BODIES = st.tuples(
    st.sampled_from(["application/json", "multipart/form-data; boundary=xyz", "multipart/form-data", "text/plain"]),
    st.one_of(st.binary(max_size=200), st.sampled_from([b"{", b"--xyz\r\n\r\n", b"\xff\xfe" * 100, b"a=" * 2000])),
)


@pytest.fixture
def world(db, bundled, settings):
    """Two users with decks, cards, an attempt and a note, and a superuser; the values a hostile
    visitor could learn or guess."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # logins are fuzzed too
    alice, bob = make_user("fuzz-alice"), make_user("fuzz-bob")
    admin = make_user("fuzz-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    sets = list(QuestionSet.objects.order_by("order")[:2])
    questions = list(Question.objects.filter(question_set=sets[0]).order_by("position")[:3])
    decks = [make_deck(alice, *sets), make_deck(bob, sets[1], mode="typed")]
    attempts = []
    for user in (alice, bob):
        services.toggle_star(user=user, question=questions[0])
        services.save_note(user=user, question=questions[0], text="note")
        attempts.append(grading.submit(user=user, question=questions[0], text="答案", duration_ms=1000, pasted_chars=0))
    values = {
        "deck_id": [str(d.pk) for d in decks],
        "question_id": [q.id for q in questions] + ["retired-00001"],
        "slug": [s.slug for s in sets],
        "attempt_id": [str(a.pk) for a in attempts],
        "object_id": [str(alice.pk), str(attempts[0].pk)],
        "id": [str(alice.pk)],
        "uidb64": [urlsafe_base64_encode(force_bytes(alice.pk))],
        "token": [default_token_generator.make_token(alice), "set-password"],
        "content_type_id": ["1", "4"],
    }
    fields = {
        "question": values["question_id"],
        "topic": values["slug"],
        "topics": [str(s.pk) for s in sets],
        "attempt": values["attempt_id"],
        "choice": ["0", "1", "25"],
        "rating": ["1", "3", "4"],
        "mode": ["recall", "typed"],
        "reveal": ["1"],
        "difficulty": ["easy", "hard"],
        "username": ["fuzz-alice", "fuzz-newcomer"],
        "password": ["a-long-password-1"],
        "old_password": ["a-long-password-1"],
        "new_password1": ["another-long-pass-9"],
        "new_password2": ["another-long-pass-9"],
        "password1": ["another-long-pass-9"],
        "password2": ["another-long-pass-9"],
        "email": ["alice@example.com"],
        "text": ["答案是注意力", "1"],
        "number": ["42", "1.5"],
        "token": ["new", "0"],
        "log": ["1"],
        "name": ["deck"],
        "next": ["/", "/practice/"],
        "language": ["en", "zh-hans"],
        "duration_ms": ["1000"],
        "learning_steps": ["1m 10m"],
        "relearning_steps": ["10m"],
        "time_zone": ["Asia/Shanghai"],
        "new_per_day": ["20"],
        "reviews_per_day": ["200"],
        "desired_retention": ["0.9"],
        "day_starts_at": ["4"],
    }
    return {"users": {"anonymous": None, "user": alice, "superuser": admin}, "values": values, "fields": fields}


def hostile_value() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE), TEXT, st.integers(-(2**70), 2**70).map(str))


def params(names: list[str], known: dict[str, list[str]]) -> st.SearchStrategy[dict]:
    """Each field the view can read: a plausible value (twice as likely), a hostile value or
    several, or left out; plus a few fields of any name. A request is then nearly valid, and a
    bug needs only one field to go wrong."""

    def field(name: str) -> st.SearchStrategy:
        plausible = st.sampled_from(known.get(name) or ["1", "x"])
        return st.one_of(
            plausible, plausible, HOSTILE_VALUE, st.lists(HOSTILE_VALUE, min_size=2, max_size=3), st.none()
        )

    fields = st.fixed_dictionaries({name: field(name) for name in names})
    extra = st.dictionaries(TEXT, HOSTILE_VALUE, max_size=2)
    return st.builds(lambda f, e: {**e, **{k: v for k, v in f.items() if v is not None}}, fields, extra)


def paths(regex: str, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """A path matching the pattern: known values (own and others' objects) or hostile ones."""
    (template, names), *_ = normalize(regex)
    groups = group_regexes(regex)
    parts = {}
    for name in names:
        hostile = [st.from_regex(groups.get(name, ".+"), fullmatch=True), st.sampled_from(HOSTILE).filter(bool)]
        parts[name] = st.one_of(([st.sampled_from(known[name])] * 3 if known.get(name) else []) + hostile)
    return st.fixed_dictionaries(parts).map(lambda values: "/" + quote(template % values, safe="/%"))


ALL_FIELDS = all_field_names()
ENDPOINTS = dict(endpoints())


@pytest.fixture
def clients(world):
    """One logged-in client per identity; its cookies are restored before each example."""
    clients = {}
    for who, user in world["users"].items():
        client = Client()
        if user:
            client.force_login(user)
        clients[who] = (client, client.cookies)
    return clients


def fuzz_endpoint(world: dict, clients: dict, regex: str, view) -> None:
    known = {**world["values"], **world["fields"]}
    data = params(fields_for(view), known)

    @FUZZ
    @given(
        who=st.sampled_from(["user", "user", "anonymous", "superuser"]),
        path=paths(regex, world["values"]),
        query=data,
        body=st.one_of(data, data, data, RAW_BODIES),
        htmx=st.booleans(),
    )
    def fuzz(who, path, query, body, htmx):
        """The same path as a GET with the query and as a POST with the body."""
        client, cookies = clients[who]
        headers = {"HX-Request": "true"} if htmx else {}
        for method in ("GET", "POST"):
            client.cookies = SimpleCookie({k: v.value for k, v in cookies.items()})
            with transaction.atomic():  # every request starts from the same world
                if method == "GET":
                    response = client.get(path, query, headers=headers)
                elif isinstance(body, dict):
                    response = client.post(path, body, headers=headers)
                else:
                    response = client.post(path, body[1], content_type=body[0], headers=headers)
                transaction.set_rollback(True)
            assert response.status_code < 500, (who, method, path, query if method == "GET" else body)

    fuzz()


def test_no_endpoint_answers_hostile_input_with_a_500(world, clients):
    """One bounded run per URL pattern; every endpoint's failure is reported, not just the first."""
    failures = []
    for name, (regex, view) in ENDPOINTS.items():
        try:
            fuzz_endpoint(world, clients, regex, view)
        except Exception as exc:  # collected: reported below with the falsifying example
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_every_endpoint_is_fuzzed():
    """The list comes from the resolver: the practice, bank and account views are all in it."""
    names = {key.split(":")[0] for key in ENDPOINTS}
    assert {"rate", "answer", "star", "note", "deck_new", "settings", "search", "question", "signup"} <= names
    assert len(ENDPOINTS) >= 40  # admin and auth views included
