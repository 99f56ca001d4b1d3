import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizbank.bank.loader import PREFER, load_questions
from quizbank.bank.markup import ContentErrors


class Command(BaseCommand):
    help = "Load question-set Markdown files (default: content/) into the database and the search index."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="files or directories (default: content/)")
        parser.add_argument("--check", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--force", action="store_true", help="re-parse files whose hash is unchanged")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        parser.add_argument(
            "--prefer",
            choices=PREFER,
            default="",
            help="a question changed both in its file and in the app since the last load: keep this side",
        )
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="PATH is ordinary Markdown notes: import its questions as drafts for editors (needs --set)",
        )
        parser.add_argument("--set", dest="set_slug", default="", help="with --lenient: the set the drafts go to")

    def handle(self, *args, **options):
        if options["lenient"]:
            # the importer belongs to authoring (drafts, an app above the bank): imported on use
            from quizbank.authoring.management.lenient import handle_lenient

            return handle_lenient(self, options)
        started = time.perf_counter()
        try:
            summary = load_questions(
                options["paths"] or None, check=options["check"], force=options["force"], prefer=options["prefer"]
            )
        except ContentErrors as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            count = len(exc.errors)
            raise CommandError(f"{count} 个错误，什么都没有写入 / {count} error(s), nothing written") from None
        for warning in summary.warnings:
            self.stderr.write(f"警告 warning: {warning}")
        if summary.kept_app:
            self.stderr.write(
                f"注意 note: {len(summary.kept_app)} 道题在应用里发布过修改、文件里没改，保留应用里的版本"
                f"（运行 export_questions 写回文件）：{', '.join(summary.kept_app[:10])}"
            )
        # one line per file (a file may have dozens); every follow-up with its line at -v 2
        for path, count in summary.open_follow_ups_per_file().items():
            self.stderr.write(f"警告 warning: {path}: {count} 条追问没有答案也没有链接（模拟面试不会问）")
        if options["verbosity"] >= 2:
            for warning in summary.open_follow_ups:
                self.stderr.write(f"警告 warning: {warning}")
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, sort_keys=True))
            return
        seconds = time.perf_counter() - started
        if summary.checked_only:
            self.stdout.write(f"检查通过 checked: {summary.sets} sets, {summary.questions} questions, no errors")
        else:
            self.stdout.write(
                f"载入 loaded: {summary.sets} sets, {summary.questions} questions — created {summary.created}, "
                f"updated {summary.updated}, unchanged {summary.unchanged}, retired {summary.retired} "
                f"(files skipped as unchanged: {summary.files_skipped}) in {seconds:.2f}s"
            )
        for slug, entry in summary.per_set.items():
            types = ", ".join(f"{k} {v}" for k, v in sorted(entry["by_type"].items()))
            levels = ", ".join(f"{k} {v}" for k, v in sorted(entry["by_difficulty"].items()))
            self.stdout.write(f"  {slug}: {entry['questions']} ({types}; {levels})")
