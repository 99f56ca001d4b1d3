"""Who may write and who may publish. Editors: staff, superusers and the "content editor" group.
Reviewers (publish, reject, retire): staff and superusers. Everyone else gets a 403; an
anonymous visitor is sent to log in."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _

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
        def allowed(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated and getattr(request, "htmx", False):
                # a fragment must not become the login page inside the editor (it would take the
                # focus and the keystrokes): say so; the text stays in the editor's box
                return HttpResponse(
                    _("登录已过期：请先登录，再重新打开这一页——没保存的文本会从这台电脑提示恢复。"), status=401
                )
            return allowed(request, *args, **kwargs)

        return wrapped

    return decorator


author_required = _requiring(can_author)
reviewer_required = _requiring(can_review)
