from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

register = template.Library()


@register.filter
def mmss(seconds) -> str:
    """125 → "2:05" (a countdown as people read it)."""
    try:
        seconds = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


STATES = {
    "graded": gettext_noop("已评分"),
    "pending": gettext_noop("评分中"),
    "failed": gettext_noop("评分失败"),
    "skipped": gettext_noop("跳过"),
    "dont_know": gettext_noop("不知道"),
    "unanswered": gettext_noop("未作答"),
}


@register.filter
def state_text(state: str) -> str:
    return _(STATES.get(state, state))


@register.filter
def inline_md(text: str):
    """A follow-up's question as written in content (inline Markdown: `code`, $math$), sanitized."""
    from django.utils.safestring import mark_safe

    from quizbank.bank.rendering import render_inline

    return mark_safe(render_inline(text or ""))  # noqa: S308 — render_inline sanitizes with nh3


@register.filter
def fit_label(text: str, width: int = 16) -> str:
    """Shorten a chart label to about `width` narrow characters (a CJK character counts two)."""
    out, used = [], 0
    for ch in text or "":
        used += 2 if ord(ch) > 0x2E7F else 1
        if used > width:
            return "".join(out).rstrip() + "…"
        out.append(ch)
    return "".join(out)
