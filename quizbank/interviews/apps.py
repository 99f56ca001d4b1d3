from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "quizbank.interviews"
    label = "interviews"
    verbose_name = "模拟面试 Mock interviews"

    def ready(self) -> None:
        from quizbank.interviews import signals  # noqa: F401 — grades arriving fill in the report
