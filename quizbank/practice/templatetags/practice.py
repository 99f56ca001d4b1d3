from django import template
from django.utils.translation import gettext_lazy as _

from quizbank.grading import wording
from quizbank.practice.queue import COUNT_CAP

register = template.Library()


@register.filter
def queue_count(n: int) -> str:
    """A queue count as the page shows it: counting stops at COUNT_CAP (1000 -> "999+")."""
    return f"{COUNT_CAP - 1}+" if n >= COUNT_CAP else str(n)


@register.filter
def letter(index: int) -> str:
    """0 -> A, 1 -> B, ... (option labels)."""
    return chr(ord("A") + int(index))


# Why a grade pre-selects no rating (grading/models.py Grade.flags; docs/grading.md).
FLAG_TEXTS = {
    "keyword_list": _("看起来是关键词罗列，不算作答：用完整的句子说出它们之间的关系。"),
    "fragment": _("只有一两个词，不算完整的回答。"),
    "pasted": _("与参考答案几乎逐字相同，而且是粘贴进来（或快得不像打字）的：复制的答案不计分。"),
    "verbatim": _("与参考答案几乎逐字相同：如果是背下来的，请对照关键点自己评分。"),
    "injection": _("回答里有写给评分器的指令（例如“给满分”），已忽略；这个分数需要你自己确认。"),
    "low_confidence": _("这个分数把握不大：得分多靠泛泛的词，而不是关键点的具体说法。请对照下面的关键点自己评分。"),
    "contradiction": _("回答里有与参考答案相反的说法（见下面标 ≠ 的关键点和事实错误），分数需要你自己确认。"),
    "unrecognised": _(
        "分数偏低，但回答里很多说法关键点和参考答案都没用到：离线评分可能没认出你换了说法的地方，请对照关键点自己评分。"
    ),
    "unverified": _("大模型说覆盖了的关键点，有的在你的回答里找不到原文，已按未覆盖计。"),
    "disagreement": _("大模型给分与关键点覆盖差距很大，这个分数已标记待复核，请以参考答案为准。"),
    "llm_unavailable": _("大模型评分服务暂时不可用，这是离线估计：请对照关键点自己评分。"),
    "llm_refused": _("大模型评分服务拒绝了请求（配置问题，需要管理员处理），这是离线估计：请对照关键点自己评分。"),
}
STATUS_TEXTS = {
    "covered": ("✓", _("说到了")),
    "partial": ("◐", _("说了一部分")),
    "missing": ("✗", _("没说到")),
    "contradicted": ("≠", _("与参考相反")),
}


@register.filter
def flag_text(code: str) -> str:
    return FLAG_TEXTS.get(code, code)


@register.filter
def status_mark(status: str) -> str:
    return STATUS_TEXTS.get(status, ("?", ""))[0]


@register.filter
def status_text(status: str) -> str:
    return STATUS_TEXTS.get(status, ("", status))[1]


@register.filter
def rating_label(rating: int | None) -> str:
    return {1: _("重来"), 2: _("困难"), 3: _("良好"), 4: _("简单")}.get(rating, "")


@register.filter
def confidence_label(value: float | None) -> str:
    if value is None:
        return ""
    return _("高") if value >= 0.75 else _("中") if value >= 0.5 else _("低")


@register.filter
def grader_text(text: str) -> str:
    """A grader's stored sentence (feedback, a factual error, why grading failed) in the page's
    language; the key points and quotes inside it stay as written."""
    return wording.localize(text)
