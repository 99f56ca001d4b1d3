"""Attempt moves from practice to grading (practice and interviews depend on grading, not the
other way round). State only here: the table keeps its name until 0005 renames it, so no row
is copied and nothing is lost."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bank", "0001_initial"),
        ("grading", "0003_flags_confidence_charges"),
        ("practice", "0002_attempt_runs_pasted"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Attempt",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("question_version", models.PositiveIntegerField()),
                        ("text", models.TextField()),
                        ("duration_ms", models.PositiveIntegerField(blank=True, null=True)),
                        (
                            "pasted_chars",
                            models.PositiveIntegerField(default=0, help_text="characters pasted into the answer box"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "待评分"),
                                    ("grading", "评分中"),
                                    ("graded", "已评分"),
                                    ("failed", "评分失败"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        (
                            "runs",
                            models.PositiveSmallIntegerField(
                                default=0, help_text="grading runs started since the last charge"
                            ),
                        ),
                        ("score", models.FloatField(blank=True, help_text="0-100 once graded", null=True)),
                        (
                            "status_changed_at",
                            models.DateTimeField(auto_now_add=True, help_text="for the sweep of stuck attempts"),
                        ),
                        (
                            "failure",
                            models.CharField(
                                blank=True, help_text="why grading failed, for the user and admins", max_length=300
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "question",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="attempts", to="bank.question"
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attempts",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at", "-id"],
                        "db_table": "practice_attempt",
                        "indexes": [
                            models.Index(
                                fields=["user", "question", "created_at"], name="practice_at_user_id_556abd_idx"
                            )
                        ],
                    },
                ),
                migrations.AlterField(
                    model_name="grade",
                    name="attempt",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="grade", to="grading.attempt"
                    ),
                ),
                migrations.AlterField(
                    model_name="gradingcharge",
                    name="attempt",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="charges",
                        to="grading.attempt",
                    ),
                ),
            ],
        ),
    ]
