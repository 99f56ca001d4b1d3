from django.urls import path

from quizbank.interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:interview_id>/", views.interview, name="interview"),
    path("<int:interview_id>/answer/", views.answer, name="answer"),
    path("<int:interview_id>/draft/", views.draft, name="draft"),
    path("<int:interview_id>/hint/", views.hint, name="hint"),
    path("<int:interview_id>/finish/", views.finish, name="finish"),
    path("<int:interview_id>/abandon/", views.abandon, name="abandon"),
    path("<int:interview_id>/report/", views.report, name="report"),
    path("<int:interview_id>/retry/<int:number>/", views.retry, name="retry"),
    path("<int:interview_id>/verdict/<int:number>/", views.verdict, name="verdict"),
    path("<int:interview_id>/queue/<int:number>/", views.queue, name="queue"),
]
