import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from quizbank.authoring.csvio import CsvImportError, import_csv
from quizbank.authoring.services import WorkflowError


class Command(BaseCommand):
    help = (
        "Import questions from CSV as drafts for review: a new id becomes a new question's draft, an existing "
        "id an edit of the published question. Every error is listed with its line and column; any error and "
        "nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .csv file")
        parser.add_argument("--user", required=True, metavar="USERNAME", help="the drafts' author (a content editor)")
        parser.add_argument("--submit", action="store_true", help="send the drafts to review at once")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"没有这个用户 / no such user: {options['user']}")
        path = options["path"]
        try:
            result = import_csv(path, user=user, path_label=path, submit=options["submit"])
        except OSError as exc:
            raise CommandError(f"{exc}") from None
        except WorkflowError as exc:
            raise CommandError(str(exc)) from None
        except CsvImportError as exc:
            self.report_errors(exc, options["json"])
            count = len(exc.errors)
            raise CommandError(f"{count} 个错误，什么都没有写入 / {count} errors, nothing written") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(
            f"导入 imported {path}: {result.rows} rows — {len(result.created)} new (新题草稿), "
            f"{len(result.edited)} edits (修改草稿), {len(result.unchanged)} unchanged (没有变化)"
            + (f"; {result.submitted} sent to review (已提交审核)" if options["submit"] else "")
        )
        for kind, rows in (("新题 new ", result.created), ("修改 edit", result.edited)):
            for row in rows:
                self.stdout.write(f"  {kind}  {path}:{row.line}  {row.id} → draft #{row.draft}")
        for warning in result.warnings:
            self.stdout.write(f"警告 warning: {warning}")

    def report_errors(self, exc: CsvImportError, as_json: bool) -> None:
        if as_json:
            report = {
                "rows": 0,
                "created": [],
                "edited": [],
                "unchanged": [],
                "submitted": 0,
                "errors": [e.as_dict() for e in exc.errors],
                "warnings": [w.as_dict() for w in exc.warnings],
            }
            self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True))
            return
        for error in exc.errors:
            self.stderr.write(f"错误 error: {error}")
        for warning in exc.warnings:
            self.stderr.write(f"警告 warning: {warning}")
