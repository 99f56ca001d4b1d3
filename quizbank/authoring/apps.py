from django.apps import AppConfig


class AuthoringConfig(AppConfig):
    """Editors write, test, review and publish questions in the app (docs/authoring.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "quizbank.authoring"
