"""Where a POSTed or linked `next` may send the browser: only to a path on this site."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_path(request: HttpRequest, url: str | None) -> str | None:
    """`url` if it is a path on this site (not another host, not a view name like "x"), else None."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return None
