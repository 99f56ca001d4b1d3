from django.db import migrations


def create_group(apps, schema_editor):
    """The group whose members may write and submit questions (quizbank/authoring/permissions.py)."""
    apps.get_model("auth", "Group").objects.get_or_create(name="content editor")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authoring", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
