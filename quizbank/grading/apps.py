from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "quizbank.grading"
    label = "grading"
    verbose_name = "评分 Grading"

    def ready(self) -> None:
        from quizbank.bank.loader import register_check
        from quizbank.grading.samples import check_samples

        register_check(check_samples)  # load_questions --check runs every question's sample answers
