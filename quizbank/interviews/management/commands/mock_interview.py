"""Run a whole interview headless with a simulated candidate and print its report card."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quizbank.bank.models import Question
from quizbank.grading import services as grading
from quizbank.interviews import candidates, report, results, services, turns
from quizbank.interviews.models import Track


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Run a mock interview with a simulated candidate (strong, weak, silent, salad, injection)."

    def add_arguments(self, parser):
        parser.add_argument("--track", required=True, help="track slug (content/tracks/)")
        parser.add_argument("--candidate", required=True, choices=candidates.CANDIDATES)
        parser.add_argument("--seed", type=int, default=1, help="which questions the plan draws (default 1)")
        parser.add_argument("--style", default="standard", choices=["gentle", "standard", "pressure"])
        parser.add_argument("--level", default="mid", choices=["junior", "mid", "senior"])
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--keep", action="store_true", help="keep the interview (user mock-<candidate>)")

    def handle(self, *args, **options):
        track = Track.objects.filter(slug=options["track"], retired_at__isnull=True).first()
        if track is None:
            known = ", ".join(Track.objects.filter(retired_at__isnull=True).values_list("slug", flat=True))
            raise CommandError(
                f"没有这个面试轨道 / no such track: {options['track']!r} (tracks: {known or 'none — run load_tracks'})"
            )
        result = {}
        try:
            with transaction.atomic():
                result = self.run(track, options)
                if not options["keep"]:
                    raise Rollback
        except Rollback:
            pass
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.print_report(result)

    def run(self, track: Track, options) -> dict:
        kind = options["candidate"]
        user, _ = get_user_model().objects.get_or_create(username=f"mock-{kind}")
        old = services.open_interview(user)
        if old is not None:
            services.abandon(old)
        setup = services.Setup.from_track(
            track, seed=options["seed"], style=options["style"], level=options["level"], weak_spots=False
        )
        interview = services.start(user, setup)
        for _ in range(200):  # bounded: a plan of at most 20 questions with at most 2 follow-ups each
            turn = turns.current_turn(interview)
            if turn is None:
                break
            if turn.follow_up:
                reference, points = turn.follow_up["answer"], turn.follow_up["key_points"]
            else:
                reference, points = turn.question.answer_md, turn.question.key_points
            text = candidates.reply(kind, answer_md=reference, key_points=points)
            turn = services.answer(interview, turn.number, text, queue=False)
            if turn.attempt_id:
                grading.grade_attempt(turn.attempt_id)
            interview.refresh_from_db()
        queued = results.queue_weak_questions(interview.pk)
        interview.refresh_from_db()
        card = report.report(interview)
        titles = dict(Question.objects.filter(id__in=interview.plan).values_list("id", "title"))
        return {
            "track": track.slug,
            "candidate": kind,
            "overall": card["overall"]["score"],
            "questions": [
                {
                    "id": row.turn.question_id,
                    "title": titles.get(row.turn.question_id, row.turn.prompt),
                    "score": row.score,
                    "status": row.state,
                    "follow_ups": [
                        {"question": f.turn.prompt, "score": f.score, "status": f.state} for f in row.follow_ups
                    ],
                }
                for row in card["rows"]
            ],
            "queued_for_practice": queued,
        }

    def print_report(self, result: dict) -> None:
        self.stdout.write(f"{result['track']} · {result['candidate']}: overall {result['overall']}")
        for i, q in enumerate(result["questions"], 1):
            self.stdout.write(
                f"  {i}. [{q['score'] if q['score'] is not None else q['status']}] {q['title']} ({q['id']})"
            )
            for f in q["follow_ups"]:
                self.stdout.write(
                    f"     追问 [{f['score'] if f['score'] is not None else f['status']}] {f['question']}"
                )
        self.stdout.write(f"  queued for practice: {', '.join(result['queued_for_practice']) or '—'}")
