from django import forms
from django.utils.translation import gettext_lazy as _

from quizbank.feedback.models import Kind


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("问题类型"), choices=Kind.choices)
    text = forms.CharField(
        label=_("说明（哪里不对、应该是什么、出处）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )
