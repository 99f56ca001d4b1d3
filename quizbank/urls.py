from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("quizbank.accounts.urls")),
    path("practice/", include("quizbank.practice.urls")),
    path("interview/", include("quizbank.interviews.urls")),
    path("feedback/", include("quizbank.feedback.urls")),
    path("author/", include("quizbank.authoring.urls")),
    path("", include("quizbank.bank.urls")),
]
