"""Who may write and who may publish. Editors: staff, superusers and the "content editor" group.
Reviewers (publish, reject, retire): staff and superusers. Everyone else gets a 403; an
anonymous visitor is sent to log in."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

EDITOR_GROUP = "content editor"


def can_author(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.is_staff or user.groups.filter(name=EDITOR_GROUP).exists()


def can_review(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff)


def _requiring(test):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


author_required = _requiring(can_author)
reviewer_required = _requiring(can_review)
