from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from quizbank.bank.models import QuestionSet
from quizbank.practice.models import Deck

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "quizbank-demo"  # noqa: S105 — a published demo login, not a secret
CORE_SETS = ["transformer", "rag", "lora", "quantization", "mcp"]


class Command(BaseCommand):
    help = (
        "On an embedded first run (no account yet, not production), create the demo account "
        "(demo / quizbank-demo) with one deck of the core sets. Never in production; once the "
        "database has other accounts, a deleted demo account stays deleted."
    )

    def handle(self, *args, **options):
        users = get_user_model().objects
        if settings.PRODUCTION:
            self.stdout.write("demo account not created: QUIZBANK_PRODUCTION=true")
            return
        with transaction.atomic():
            if users.filter(username=DEMO_USERNAME).exists():
                self.stdout.write(f"demo account exists: username {DEMO_USERNAME!r}")
                return
            if users.exists():
                self.stdout.write("demo account not created: this database already has accounts")
                return
            user = users.create_user(DEMO_USERNAME, password=DEMO_PASSWORD)
            deck = Deck.objects.create(user=user, name="核心五题集")
            deck.topics.set(QuestionSet.objects.active().filter(slug__in=CORE_SETS))
        self.stdout.write(f"demo account created: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}")
