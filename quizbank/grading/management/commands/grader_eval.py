import csv
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizbank.bank import vocabulary
from quizbank.bank.models import Question
from quizbank.grading import evaluation, llm, offline, rubrics
from quizbank.grading import text as tx


class Command(BaseCommand):
    help = "Grade every row of a labelled CSV against its own reference and report agreement with the human scores."

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path)
        parser.add_argument("--grader", choices=["offline", "llm"], default="offline")
        parser.add_argument("--limit", type=int, default=0)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        csv.field_size_limit(sys.maxsize)
        try:
            with options["csv"].open(encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"cannot read {options['csv']}: {exc}") from exc
        needed = {"question", "reference_answer", "student_answer", "score"}
        if not rows or not needed <= set(rows[0]):
            raise CommandError(f"the CSV needs the columns {', '.join(sorted(needed))}")
        rows = rows[: options["limit"]] if options["limit"] else rows
        try:
            human = [float(row["score"]) for row in rows]
        except ValueError as exc:
            raise CommandError(f"a score is not a number: {exc}") from exc
        if options["grader"] == "llm":
            machine = self._llm_scores(rows)
        else:
            machine = self._offline_scores(rows)
        report = evaluation.agreement(human, max(human) or 1, machine)
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in report.items()))

    def _offline_scores(self, rows) -> list[int]:
        glossary = vocabulary.glossary()
        references = list(dict.fromkeys(row["reference_answer"] for row in rows))
        glossary_docs = [rubrics.document(q, glossary) for q in Question.objects.active().iterator()]
        weights = tx.idf_weights(glossary_docs + [tx.analyse(r, glossary).keys for r in references])
        prepared: dict = {}
        scores = []
        for row in rows:
            best = 0
            for options in evaluation.rubrics_for_row(row):
                key = json.dumps(options, sort_keys=True, ensure_ascii=False)
                if key not in prepared:
                    prepared[key] = offline.prepare(glossary=glossary, weights=weights, **options)
                best = max(best, offline.grade(row["student_answer"], prepared[key]).score)
            scores.append(best)
        return scores

    def _llm_scores(self, rows) -> list[int]:
        from quizbank.grading.services import checked_result, grader_kind, llm_grader

        if grader_kind() != "llm":
            raise CommandError("--grader llm needs OPENAI_API_KEY (and OPENAI_BASE_URL for other providers)")
        grader, scores = llm_grader(), []
        for row in rows:
            options = evaluation.rubrics_for_row(row)[0]
            try:
                result = grader.grade(
                    question=row["question"],
                    reference=row["reference_answer"],
                    key_points=options["key_points"],
                    answer=row["student_answer"],
                )
            except llm.GraderError as exc:
                raise CommandError(f"row {len(scores) + 2}: {exc}") from exc
            scores.append(checked_result(row["student_answer"], options["key_points"], result)[1])
        return scores
