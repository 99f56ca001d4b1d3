from django import template
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Difficulty, QuestionType

register = template.Library()

FLAG_LABELS = {
    "keyword_list": _("关键词罗列"),
    "fragment": _("不成句"),
    "pasted": _("疑似粘贴"),
    "verbatim": _("照抄参考答案"),
    "injection": _("含给评分器的指令"),
    "low_confidence": _("评分器没把握"),
    "unrecognised": _("多是评分标准以外的内容"),
    "contradiction": _("与参考答案矛盾"),
    "disagreement": _("两个评分器分歧大"),
}


@register.filter
def flag_label(code: str) -> str:
    """A grader flag in a word or two, for the rubric test's table."""
    return FLAG_LABELS.get(code, code)


@register.filter
def difficulty_label(value: str) -> str:
    return Difficulty(value).label if value in Difficulty.values else value


@register.filter
def qtype_label(value: str) -> str:
    return QuestionType(value).label if value in QuestionType.values else value
