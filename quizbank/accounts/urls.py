from django.contrib.auth import views as auth_views
from django.urls import path

from quizbank.accounts import views
from quizbank.accounts.views import offered_only_with_email

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    # someone already signed in who opens the login page goes on to practice
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", offered_only_with_email(views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password_reset/done/",
        offered_only_with_email(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        offered_only_with_email(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        offered_only_with_email(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]
