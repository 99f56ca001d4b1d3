from django.contrib.auth import views as auth_views
from django.urls import include, path

from quizbank.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    # someone already signed in who opens the login page goes on to practice
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("", include("django.contrib.auth.urls")),
]
