from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from quizbank.accounts import throttle
from quizbank.practice.services import create_starter_deck
from quizbank.redirects import same_site_path


def admin_login(request: HttpRequest):
    """The admin's own login form checks passwords without the throttle: every sign-in goes
    through the site's login instead (POSTed credentials are not looked at). A signed-in user who
    is not staff gets a 403 rather than a loop between the two logins."""
    target = same_site_path(request, request.GET.get("next")) or reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect(target)
        raise PermissionDenied(_("这个账号没有管理权限。"))
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


def _too_many(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return _("尝试次数过多，请 %(n)d 分钟后再试。") % {"n": minutes}


def _throttled(response, wait: int):
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


def _blank(view, **initial):
    """The view's form, empty (a throttled post is not validated: that would check the password)."""
    kwargs = {k: v for k, v in view.get_form_kwargs().items() if k not in ("data", "files")}
    return view.get_form_class()(**{**kwargs, "initial": initial})


class LoginView(auth_views.LoginView):
    """Django's login, throttled: after too many failures for an account or from an address,
    every attempt (the right password too) gets a 429 until the window ends."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        address = throttle.client_address(request)
        wait = max(
            throttle.login_failures_per_account().wait(username),
            throttle.login_failures_per_address().wait(address),
        )
        if wait:
            context = self.get_context_data(form=_blank(self, username=username), throttled=_too_many(wait))
            return _throttled(self.render_to_response(context), wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.login_failures_per_account().hit(self.request.POST.get("username", ""))
        throttle.login_failures_per_address().hit(throttle.client_address(self.request))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(password_reset_available=settings.QUIZBANK_PASSWORD_RESET, **kwargs)

    def form_valid(self, form):
        throttle.login_failures_per_account().reset(form.get_user().get_username())
        return super().form_valid(form)


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST":
        limit = throttle.signups_per_address()
        address = throttle.client_address(request)
        if wait := limit.wait(address):
            form = UserCreationForm(initial={"username": request.POST.get("username", "")})
            context = {"form": form, "next": "", "throttled": _too_many(wait)}
            return _throttled(render(request, "registration/signup.html", context), wait)
        limit.hit(address)
        if form.is_valid():
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


def offered_only_with_email(view):
    """Password reset needs a mail server (QUIZBANK_PASSWORD_RESET, on when email is configured):
    without one a reset link cannot reach anyone, so the page says whom to ask instead of
    claiming an email was sent."""

    def wrapper(request: HttpRequest, *args, **kwargs):
        if not settings.QUIZBANK_PASSWORD_RESET:
            return render(request, "registration/password_reset_unavailable.html", status=404)
        return view(request, *args, **kwargs)

    return wrapper


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled by address (each request sends an email)."""

    def post(self, request, *args, **kwargs):
        limit = throttle.resets_per_address()
        address = throttle.client_address(request)
        if wait := limit.wait(address):
            context = self.get_context_data(form=_blank(self), throttled=_too_many(wait))
            return _throttled(self.render_to_response(context), wait)
        limit.hit(address)
        return super().post(request, *args, **kwargs)
