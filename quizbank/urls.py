from django.contrib import admin
from django.urls import include, path

from quizbank.accounts.views import admin_login
from quizbank.ops.views import healthz

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", admin_login),  # the site's throttled login, before the admin's own
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("ops/", include("quizbank.ops.urls")),
    path("accounts/", include("quizbank.accounts.urls")),
    path("practice/", include("quizbank.practice.urls")),
    path("interview/", include("quizbank.interviews.urls")),
    path("feedback/", include("quizbank.feedback.urls")),
    path("author/", include("quizbank.authoring.urls")),
    path("", include("quizbank.bank.urls")),
]

handler500 = "quizbank.ops.errors.server_error"
