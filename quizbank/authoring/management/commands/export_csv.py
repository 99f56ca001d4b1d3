import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizbank.authoring.csvio import CsvExportError, export_csv


class Command(BaseCommand):
    help = "Write the active questions (or some sets) as CSV, one row per question (UTF-8 with BOM)."

    def add_arguments(self, parser):
        parser.add_argument("out", help="the .csv file to write, or - for standard output")
        parser.add_argument(
            "--set", dest="sets", action="extend", nargs="+", metavar="SLUG", help="only these sets (repeatable)"
        )

    def handle(self, *args, **options):
        if options["out"] == "-":
            self.stdout.ending = ""  # the CSV as written: no newline after the BOM
            try:
                export_csv(self.stdout, set_slugs=options["sets"])
            except CsvExportError as exc:
                raise CommandError(str(exc)) from None
            return
        path = Path(options["out"])
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="") as out:
                rows = export_csv(out, set_slugs=options["sets"])
            tmp.replace(path)
        except (CsvExportError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(f"{exc} — 什么都没有写入 / nothing written") from None
        size = os.path.getsize(path)
        self.stdout.write(f"导出 exported: {rows} rows to {path} ({size / 1024:.0f} KiB)")
