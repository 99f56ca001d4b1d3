from django.urls import path

from quizbank.feedback import views

app_name = "feedback"
urlpatterns = [path("questions/<str:question_id>/report/", views.report, name="report")]
