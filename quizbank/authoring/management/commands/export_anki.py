import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from quizbank.authoring.anki import AnkiExportError, export_anki


class Command(BaseCommand):
    help = "Write the question bank (or some sets) as an Anki package (.apkg), optionally with a user's schedule."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="the .apkg file to write")
        parser.add_argument(
            "--set", dest="sets", action="extend", nargs="+", metavar="SLUG", help="only these sets (repeatable)"
        )
        parser.add_argument("--with-scheduling", action="store_true", help="carry --user's cards and review history")
        parser.add_argument("--user", metavar="USERNAME", help="whose schedule --with-scheduling carries")
        parser.add_argument(
            "--base-url", default="", help="site address for each note's link, e.g. https://quiz.example"
        )
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args, **options):
        if options["with_scheduling"] != bool(options["user"]):
            raise CommandError(
                "--with-scheduling 与 --user 必须一起使用（导出谁的复习进度）/ "
                "--with-scheduling and --user go together (whose schedule to export)"
            )
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"没有这个用户 / no such user: {options['user']}")
        try:
            summary = export_anki(options["out"], set_slugs=options["sets"], user=user, base_url=options["base_url"])
        except AnkiExportError as exc:
            raise CommandError(f"{exc} — 什么都没有写入 / nothing written") from None
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, sort_keys=True))
            return
        size = summary.path.stat().st_size
        self.stdout.write(
            f"导出 exported: {summary.notes} notes in {summary.decks} decks to {summary.path} ({size / 1024:.0f} KiB)"
        )
        if summary.with_scheduling:
            self.stdout.write(f"  {user.username}: {summary.scheduled} cards scheduled, {summary.reviews} reviews")
