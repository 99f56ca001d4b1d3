from django.contrib import admin
from django.urls import include, path

from quizbank.ops.views import healthz

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
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
