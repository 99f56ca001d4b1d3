from pathlib import Path

from django.core.management.base import BaseCommand

from quizbank.bank.loader import export_questions


class Command(BaseCommand):
    help = (
        "Write the question bank back to Markdown, one file per set: to OUTDIR, or (no OUTDIR) over "
        "the files the sets were loaded from, so edits published in the app reach content/."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdir", type=Path, nargs="?", help="a directory (default: each set's own file)")
        parser.add_argument("--set", dest="slugs", action="append", help="only this set (repeatable)")

    def handle(self, *args, **options):
        written = export_questions(options["outdir"], slugs=options["slugs"])
        where = options["outdir"] or "their source files"
        self.stdout.write(f"exported {len(written)} sets to {where}")
