from django.http import HttpRequest


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap gets the partial; a page load or an htmx history restore gets the whole page.

    Views that serve both on one URL also send `Vary: HX-Request`, or the browser's cache
    serves the partial on Back."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request
