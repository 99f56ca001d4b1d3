"""The attempt table takes its new app's name; an attempt can answer a follow-up in place."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0004_attempt_moves_here"),
        ("practice", "0003_attempt_moves_to_grading"),
    ]

    operations = [
        migrations.AlterModelTable(name="attempt", table=None),
        migrations.RenameIndex(
            model_name="attempt", new_name="grading_att_user_id_58592f_idx", old_name="practice_at_user_id_556abd_idx"
        ),
        migrations.AddField(
            model_name="attempt",
            name="follow_up",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
