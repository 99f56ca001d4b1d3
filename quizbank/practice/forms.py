from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from quizbank.bank import selectors as bank_selectors
from quizbank.bank.fields import IdsField
from quizbank.bank.models import Difficulty, QuestionSet
from quizbank.practice import scheduling
from quizbank.practice.models import Deck, PracticeSettings


class DeckForm(forms.ModelForm):
    difficulties = forms.MultipleChoiceField(
        label=_("难度"), choices=Difficulty.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Deck
        fields = ["name", "topics", "tags", "difficulties", "starred_only", "mode"]
        field_classes = {"topics": IdsField, "tags": IdsField}
        widgets = {"topics": forms.CheckboxSelectMultiple, "tags": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = QuestionSet.objects.active()
        own_tags = self.instance.tags.values("pk") if self.instance.pk else None
        self.fields["tags"].queryset = bank_selectors.useful_tags(keep=own_tags)
        self.fields["tags"].label_from_instance = lambda tag: f"{tag.name} ({tag.n})"
        self.fields["tags"].help_text = _("不选则不限标签；选了则只练带这些标签的题")

    def clean(self):
        data = super().clean()
        if not data.get("starred_only") and not data.get("topics"):
            raise forms.ValidationError(_("至少选一个题集，或勾选“只练收藏”。"))
        return data


class PracticeSettingsForm(forms.ModelForm):
    class Meta:
        model = PracticeSettings
        fields = [
            "new_per_day",
            "reviews_per_day",
            "desired_retention",
            "learning_steps",
            "relearning_steps",
            "time_zone",
            "day_starts_at",
        ]

    def clean_learning_steps(self):
        return self._steps("learning_steps")

    def clean_relearning_steps(self):
        return self._steps("relearning_steps")

    def _steps(self, name):
        value = self.cleaned_data[name].strip()
        try:
            if not scheduling.parse_steps(value):
                raise ValueError("empty")
        except ValueError as exc:
            raise forms.ValidationError(
                _("写成用空格分隔的时长，例如 1m 10m（单位 s、m、h、d），每步在 1 分钟到 365 天之间")
            ) from exc
        return value

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError(_("未知时区，例如 Asia/Shanghai"))
        return value


class RateForm(forms.Form):
    question = forms.CharField(max_length=80)
    token = forms.CharField(max_length=20)
    rating = forms.TypedChoiceField(choices=[(i, i) for i in (1, 2, 3, 4)], coerce=int)
    duration_ms = forms.IntegerField(required=False, min_value=0, max_value=24 * 3600 * 1000)
    attempt = forms.IntegerField(required=False, min_value=1)


class AnswerForm(forms.Form):
    question = forms.CharField(max_length=80)
    token = forms.CharField(max_length=20)
    text = forms.CharField(
        required=False,
        max_length=settings.QUIZBANK_ANSWER_MAX_CHARS,
        strip=True,
        error_messages={"max_length": _("回答最长 %(limit_value)d 个字符（现在 %(show_value)d）。")},
    )
    choice = forms.TypedMultipleChoiceField(required=False, coerce=int, choices=[(i, i) for i in range(26)])
    number = forms.CharField(
        required=False,
        max_length=50,
        error_messages={"max_length": _("数字答案最长 %(limit_value)d 个字符（现在 %(show_value)d）：只写数和单位。")},
    )
    duration_ms = forms.IntegerField(required=False, min_value=0, max_value=24 * 3600 * 1000)
    pasted = forms.IntegerField(required=False, min_value=0, max_value=1_000_000)


class UndoForm(forms.Form):
    log = forms.IntegerField(min_value=1)


class NoteForm(forms.Form):
    text = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
