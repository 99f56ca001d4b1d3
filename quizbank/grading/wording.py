"""The grader's sentences, one table for writing them and for showing them in the reader's language.

A grade and a failure are stored in Chinese, the bank's language (`say`), so a grade reads the
same whichever worker wrote it. `localize` turns a stored sentence back into its template and
its parts and translates the template for the page being shown ("还缺：A；B" → "Missing: A；B"):
the key points and quotes inside stay as written, the grader's own words follow the UI. Text
that matches no template (an LLM's own feedback, an older grade) is shown as it is.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

TEMPLATES = {
    # offline feedback (offline.py)
    "skipped": _("没有作答：先回忆回答重点，再看参考答案。"),
    "all_covered": _("关键点都提到了。"),
    "some_partial": _("关键点都碰到了，但有的说得不完整：%(points)s"),
    "missing": _("还缺：%(points)s"),
    "missing_more": _("还缺：%(points)s等"),
    # offline errors
    "contradicted": _("与参考相反：%(point)s（你的说法：%(said)s）"),
    "retracted": _("前后说法矛盾，以后一句为准：%(point)s（你的说法：%(said)s）"),
    "turned": _("与参考答案相反：「%(said)s」（参考：%(reference)s）"),
    "verdict": _("判断与参考答案相反"),
    # why a grading failed (services.py, llm.py)
    "gave_up": _("评分多次失败，可重试"),
    "internal": _("评分出错（内部错误，已记录）"),
    "timed_out": _("评分超时"),
    "rate_limited": _("每小时的评分次数已用完：回答已保存，稍后点“重新评分”"),
    "not_completion": _("评分服务的回复不是 chat completion（%(what)s）：检查 OPENAI_BASE_URL"),
    "text_not_json": _("返回了文本而不是 JSON：%(shown)s"),
    "no_choices": _("回复里没有 choices"),
    "bad_output": _("评分模型两次输出都不合格：%(detail)s"),
    "deadline": _("评分超时：%(seconds)s 秒内没有拿到评分服务的有效回复"),
    "unavailable": _("评分服务暂时不可用，已请求 %(requests)s 次"),
    "unavailable_kind": _("评分服务暂时不可用（%(kind)s），已请求 %(requests)s 次"),
    "refused": _("评分服务拒绝了请求（%(status)s）：检查 OPENAI_API_KEY 和权限"),
    "status": _("评分服务返回 %(status)s：检查 OPENAI_BASE_URL 和 QUIZBANK_GRADER_MODEL"),
    "call_failed": _("调用评分服务出错（%(kind)s）"),
    "invalid_json": _("回复不是合法的 JSON"),
}


def say(key: str, **parts) -> str:
    """The stored (Chinese) sentence."""
    return TEMPLATES[key] % {k: str(v) for k, v in parts.items()} if parts else TEMPLATES[key]


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    out = []
    for template in TEMPLATES.values():
        pieces = re.split(r"%\((\w+)\)s", template)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(pieces))
        out.append((re.compile(regex, re.S), template))
    # the longest template first: "还缺：…等" before "还缺：…"
    return sorted(out, key=lambda pair: -len(pair[1]))


def localize(text: str) -> str:
    """A stored sentence in the active language; inner sentences (a failure's detail) too."""
    if not text:
        return text
    for pattern, template in _patterns():
        m = pattern.fullmatch(text)
        if m:
            translated = gettext(template)
            if translated == template and not m.groupdict():
                return text
            return translated % {k: localize(v) for k, v in m.groupdict().items()}
    return text
