from django.urls import path

from quizbank.ops import views

app_name = "ops"
urlpatterns = [
    path("metrics/", views.grading_metrics, name="metrics"),
]
