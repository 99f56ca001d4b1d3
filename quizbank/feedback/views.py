from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quizbank.bank.models import Question
from quizbank.feedback import services
from quizbank.feedback.forms import ReportForm


@login_required
@require_POST
def report(request: HttpRequest, question_id: str):
    """报告问题: a 400 with the reason for a bad form, 429 over the daily limit."""
    question = get_object_or_404(Question.objects.active(), id=question_id)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return HttpResponse(" ".join(e for errors in form.errors.values() for e in errors), status=400)
    try:
        services.report_problem(user=request.user, question=question, **form.cleaned_data)
    except services.TooMany:
        return HttpResponse(
            _("今天报告的问题太多了（每天最多 %(n)d 条），明天再来。") % {"n": services.DAILY_LIMIT}, status=429
        )
    if not request.htmx:
        return redirect(reverse("bank:question", args=[question.id]) + "#report-problem")
    context = {"q": question, "report_form": ReportForm(), "reports": services.open_reports(request.user, question)}
    return render(request, "feedback/_report.html", {**context, "thanks": True})
