import json

from django.core.management.base import BaseCommand, CommandError

from quizbank.bank.markup import ContentErrors
from quizbank.interviews.loader import load_tracks


class Command(BaseCommand):
    help = "Load the mock-interview tracks (content/tracks/*.md); --check validates and writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **options):
        try:
            summary = load_tracks(check=options["check"])
        except ContentErrors as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            count = len(exc.errors)
            raise CommandError(f"{count} 个错误，什么都没有写入 / {count} error(s), nothing written") from None
        if options["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
        elif options["check"]:
            self.stdout.write(f"检查通过 checked: {summary['tracks']} tracks, no errors")
        else:
            self.stdout.write(
                f"载入 loaded: {summary['tracks']} tracks — created {summary['created']}, "
                f"updated {summary['updated']}, retired {summary['retired']}"
            )
