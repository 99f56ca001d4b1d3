from django.urls import path

from quizbank.authoring import views

app_name = "authoring"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("preview/", views.preview_view, name="preview"),
    path("drafts/<int:pk>/", views.draft, name="draft"),
    path("drafts/<int:pk>/submit/", views.submit, name="submit"),
    path("drafts/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("drafts/<int:pk>/review/", views.review, name="review"),
    path("drafts/<int:pk>/publish/", views.publish, name="publish"),
    path("drafts/<int:pk>/reject/", views.reject, name="reject"),
    path("drafts/<int:pk>/assist/", views.assist_request, name="assist"),
    path("drafts/<int:pk>/assist/<int:run_id>/", views.assist_result, name="assist_result"),
    path("q/<str:question_id>/", views.question, name="question"),
    path("q/<str:question_id>/edit/", views.edit, name="edit"),
    path("q/<str:question_id>/diff/", views.compare, name="diff"),
    path("q/<str:question_id>/restore/", views.restore, name="restore"),
    path("q/<str:question_id>/retire/", views.retire, name="retire"),
]
