from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from quizbank.practice.services import create_starter_deck
from quizbank.redirects import same_site_path


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        create_starter_deck(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(same_site_path(request, request.POST.get("next")) or "practice:dashboard")
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )
