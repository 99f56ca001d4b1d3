from quizbank.authoring.permissions import can_author


def roles(request) -> dict:
    """`can_author` for the navigation: a callable, so the group query runs only where a
    template asks (templates call callables)."""
    user = getattr(request, "user", None)
    return {"can_author": (lambda: can_author(user)) if user is not None else False}
