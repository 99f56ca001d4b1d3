from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import QuestionSet
from quizbank.interviews.models import Level, Mode, Style, Track
from quizbank.interviews.tracks import MAX_QUESTIONS

CUSTOM = "custom"
LENGTHS = [
    ("m15", _("15 分钟")),
    ("m30", _("30 分钟")),
    ("m45", _("45 分钟")),
    ("track", _("按轨道设定的题数")),
    ("n", _("指定题数")),
]


class SetupForm(forms.Form):
    track = forms.ChoiceField(label=_("面试轨道"))
    topics = forms.ModelMultipleChoiceField(
        queryset=QuestionSet.objects.active(),
        to_field_name="slug",
        required=False,
        label=_("自选题集（自定义时）"),
        widget=forms.CheckboxSelectMultiple,
    )
    length = forms.ChoiceField(label=_("时长"), choices=LENGTHS, initial="track")
    questions = forms.IntegerField(label=_("题数"), min_value=1, max_value=MAX_QUESTIONS, required=False, initial=6)
    level = forms.ChoiceField(label=_("级别"), choices=Level.choices, initial=Level.MID)
    style = forms.ChoiceField(label=_("风格"), choices=Style.choices, initial=Style.STANDARD)
    mode = forms.ChoiceField(label=_("模式"), choices=Mode.choices, initial=Mode.EXAM)
    weak_spots = forms.BooleanField(label=_("优先没做过或最近答错的题"), required=False, initial=True)
    show_scores = forms.BooleanField(label=_("边答边看分数（默认结束后统一看）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tracks = Track.objects.filter(retired_at__isnull=True)
        self.fields["track"].choices = [(t.slug, t.title) for t in tracks] + [(CUSTOM, _("自定义：自选题集"))]
        self.tracks = {t.slug: t for t in tracks}

    def clean(self):
        data = super().clean()
        if data.get("track") == CUSTOM and not data.get("topics"):
            self.add_error("topics", _("自定义面试至少选一个题集。"))
        if data.get("length") == "n" and not data.get("questions"):
            self.add_error("questions", _("指定题数时请填写 1–%(n)d 之间的题数。") % {"n": MAX_QUESTIONS})
        if data.get("track") == CUSTOM and data.get("length") == "track":
            data["length"] = "n"
            data["questions"] = data.get("questions") or 6
        return data


class AnswerForm(forms.Form):
    turn = forms.IntegerField(min_value=1, max_value=1000)
    action = forms.ChoiceField(
        choices=[("answer", "answer"), ("skip", "skip"), ("dont_know", "dont_know"), ("finish", "finish")],
        required=False,
    )
    text = forms.CharField(
        required=False,
        max_length=settings.QUIZBANK_ANSWER_MAX_CHARS,
        strip=True,
        error_messages={"max_length": _("回答最长 %(limit_value)d 个字符（现在 %(show_value)d）。")},
    )
    duration_ms = forms.IntegerField(required=False, min_value=0, max_value=24 * 3600 * 1000)
    pasted = forms.IntegerField(required=False, min_value=0, max_value=1_000_000)


class DraftForm(forms.Form):
    turn = forms.IntegerField(min_value=1, max_value=1000)
    text = forms.CharField(required=False, max_length=settings.QUIZBANK_ANSWER_MAX_CHARS + 1000, strip=False)


class TurnForm(forms.Form):
    turn = forms.IntegerField(min_value=1, max_value=1000)
