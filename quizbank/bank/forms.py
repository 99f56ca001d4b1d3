from django import forms
from django.utils.translation import gettext_lazy as _

from quizbank.bank.models import Difficulty, QuestionSet


class TopicFilterForm(forms.Form):
    tag = forms.CharField(required=False, max_length=60)
    difficulty = forms.ChoiceField(required=False, choices=[("", _("全部难度"))] + Difficulty.choices)


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("搜索"),
        strip=True,
        error_messages={"max_length": _("搜索词最长 %(limit_value)d 个字（现在 %(show_value)d）：挑几个关键的词。")},
    )
    topic = forms.ChoiceField(required=False, label=_("题集"))
    difficulty = forms.ChoiceField(required=False, choices=[("", _("全部难度"))] + Difficulty.choices, label=_("难度"))
    page = forms.IntegerField(required=False, min_value=1, max_value=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("全部题集"))] + list(
            QuestionSet.objects.active().values_list("slug", "title")
        )
