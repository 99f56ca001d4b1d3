"""Attempt now lives in grading (grading 0004): the review log points there; state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0004_attempt_moves_here"),
        ("practice", "0002_attempt_runs_pasted"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reviewlog",
                    name="attempt",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="logs",
                        to="grading.attempt",
                    ),
                ),
                migrations.DeleteModel(name="Attempt"),
            ],
        ),
    ]
