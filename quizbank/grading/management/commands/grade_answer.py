import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizbank.bank.models import Question
from quizbank.grading import llm, rubrics
from quizbank.grading.offline import suggested_rating
from quizbank.grading.services import checked_result, grader_kind, llm_flags, llm_grader


class Command(BaseCommand):
    help = "Grade one answer to a question (nothing is stored)."

    def add_arguments(self, parser):
        parser.add_argument("question_id")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--answer")
        source.add_argument("--answer-file", type=Path)
        parser.add_argument("--grader", choices=["offline", "llm"], default=None)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        question = Question.objects.filter(id=options["question_id"]).first()
        if question is None:
            raise CommandError(f"no question with id {options['question_id']!r}")
        try:
            answer = options["answer"] if options["answer"] is not None else options["answer_file"].read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {options['answer_file']}: {exc}") from exc
        kind = options["grader"] or grader_kind()
        base = rubrics.grade(question, answer)
        if kind == "llm":
            if grader_kind() != "llm":
                raise CommandError("--grader llm needs OPENAI_API_KEY")
            try:
                result = llm_grader().grade(
                    question=question.title,
                    reference=rubrics.reference_text(question),
                    key_points=question.key_points,
                    answer=answer,
                )
            except llm.GraderError as exc:
                raise CommandError(str(exc)) from exc
            points, score, unverified = checked_result(answer, question.key_points, result)
            flags = llm_flags(answer, score, unverified, base)
            out = {"score": score, "points": points, "errors": result.errors, "feedback": result.feedback}
            out.update(flags=flags, confidence=None, offline_score=base.score)
        else:
            out = {
                "score": base.score,
                "points": [vars(p) for p in base.points],
                "errors": base.errors,
                "feedback": base.feedback,
                "flags": base.flags,
                "confidence": base.confidence,
            }
        out.update(
            grader=kind,
            flagged=bool(out["flags"]),
            suggested_rating=None if out["flags"] else suggested_rating(out["score"]),
        )
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        rating = out["suggested_rating"] or "none (flagged: the learner decides)"
        confidence = f", confidence {out['confidence']}" if out.get("confidence") is not None else ""
        self.stdout.write(f"{out['score']}/100 ({kind}{confidence}), suggested rating {rating}")
        for flag in out["flags"]:
            self.stdout.write(f"  flag: {flag}")
        for p in out["points"]:
            self.stdout.write(f"  [{p['status']:>12}] {p['text']}  {p.get('evidence', '')}")
        for error in out["errors"]:
            self.stdout.write(f"  error: {error}")
        self.stdout.write(out["feedback"])
