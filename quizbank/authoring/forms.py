from django import forms
from django.utils.translation import gettext_lazy as _

from quizbank.authoring.models import AssistKind
from quizbank.authoring.services import MAX_SOURCE
from quizbank.bank.models import QuestionSet


class SourceForm(forms.Form):
    source = forms.CharField(
        label=_("题目（Markdown）"), max_length=MAX_SOURCE, strip=False, widget=forms.Textarea(attrs={"rows": 30})
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    # the draft's revision the page showed (a save from a stale tab is refused, its text kept)
    revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class PreviewForm(forms.Form):
    source = forms.CharField(max_length=MAX_SOURCE, strip=False, required=False)
    question_set = forms.ModelChoiceField(queryset=QuestionSet.objects.active(), to_field_name="slug")
    draft = forms.IntegerField(required=False, min_value=1)


class NewQuestionForm(forms.Form):
    question_set = forms.ModelChoiceField(
        label=_("题集"), queryset=QuestionSet.objects.active(), to_field_name="slug", empty_label=None
    )


class PublishForm(forms.Form):
    substantive = forms.BooleanField(label=_("实质性修改：学习者的卡片回到重学"), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因（作者会看到）"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DiffForm(forms.Form):
    a = forms.RegexField(regex=r"^[rs][0-9]{1,12}$")
    b = forms.RegexField(regex=r"^[rs][0-9]{1,12}$")


class RestoreForm(forms.Form):
    key = forms.RegexField(regex=r"^[rs][0-9]{1,12}$")


class AssistForm(forms.Form):
    kind = forms.ChoiceField(choices=AssistKind.choices)
    source = forms.CharField(max_length=MAX_SOURCE, strip=False)
