"""Nothing in a content file can put script on a page."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from quizbank.bank.rendering import render_inline, render_markdown
from tests.helpers import load, write_set

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://example.com"></iframe>',
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
    "<details open ontoggle=alert(1)>",
    '<span class="x" onmouseover="alert(1)">hover</span>',
]
DANGEROUS = (
    "<script",
    "onerror",
    "onload",
    "javascript:",
    "<iframe",
    "<svg",
    "onclick",
    "ontoggle",
    "onmouseover",
    "<img",
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendering_strips_every_payload(payload):
    for html in (render_markdown(f"文字 {payload}\n\n{payload}"), render_inline(payload)):
        assert not any(d in html.lower() for d in DANGEROUS), html


def test_payloads_in_every_field_never_reach_a_page(client, content_dir):
    evil = " ".join(PAYLOADS)
    text = f"""---
slug: evil
title: "<script>alert('set')</script>"
description: "<img src=x onerror=alert(1)>"
order: 1
---

## <script>alert('title')</script> {{#evil-q}}
difficulty: easy
tags: ["<script>tag</script>"]
type: single

{evil}

### 选项

- [x] {evil}
- [ ] b

### 回答重点

{evil}

### 扩展知识

{evil}

### 关键点

- {evil}

### 追问

- {evil}
- {evil}

  {evil}

  - {evil}

### 来源

- {evil}
"""
    write_set(content_dir, "evil.md", text)
    load(content_dir)
    for url in (
        reverse("bank:home"),
        reverse("bank:topic", args=["evil"]),
        reverse("bank:question", args=["evil-q"]),
        reverse("bank:search") + "?q=alert",
        reverse("bank:search") + "?q=<script>alert(1)</script>",
    ):
        assert active_markup(client.get(url).content.decode()) == [], url


class ActiveMarkup(HTMLParser):
    """Collects every element or attribute of a page that could run code."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        ours = tag == "svg" and dict(attrs).get("class") in ("mix", "meter")  # the app's own progress bars
        if tag in ("iframe", "svg", "img", "object", "embed") and not ours:
            self.found.append(tag)
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.found.append("inline script")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:") or name == "style":
                self.found.append(f"{tag}[{name}]")


def active_markup(html: str) -> list[str]:
    parser = ActiveMarkup()
    parser.feed(html)
    return parser.found


def test_the_checker_would_catch_a_payload():
    assert active_markup('<p><img src=x onerror="alert(1)"><script>x</script><a href="javascript:1">') == [
        "img",
        "img[onerror]",
        "inline script",
        "a[href]",
    ]


def test_lists_nested_by_two_or_three_spaces_stay_nested_and_code_is_left_alone():
    from quizbank.bank.rendering import nest_lists, render_markdown

    html = render_markdown("1. **等多久**：\n   - 有 retry-after 就听它的；\n   - 否则指数退避\n2. 试几次")
    assert html.count("<ol>") == 1 and html.count("<ul>") == 1
    assert "<li><strong>等多久</strong>：<ul>" in html.replace("\n", "")
    two = render_markdown("- a\n  - b\n    - c\n- d")
    assert two.count("<ul>") == 3
    fenced = "- item\n\n  ```\n  - not a list\n  ```\n\n  after the code"
    assert nest_lists(fenced) == fenced
