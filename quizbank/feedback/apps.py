from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "quizbank.feedback"
    label = "feedback"
    verbose_name = "问题反馈 Feedback"
