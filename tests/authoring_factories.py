"""Users of the editor: a content editor (the group) and a reviewer (staff)."""

from django.contrib.auth.models import Group

from quizbank.authoring.permissions import EDITOR_GROUP
from tests.practice_factories import make_user


def make_editor(name: str):
    user = make_user(name)
    # get_or_create: a transactional test's flush removed the row the migration made
    user.groups.add(Group.objects.get_or_create(name=EDITOR_GROUP)[0])
    return user


def make_reviewer(name: str):
    user = make_user(name)
    user.is_staff = True
    user.save()
    return user
