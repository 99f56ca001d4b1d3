"""The 500 handler: a database that cannot be reached (restarting, failing over) is a 503 that
says so and asks to try again; any other error is the usual 500 page."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER = 5  # seconds: a restart or a failover is over by then, usually


def server_error(request: HttpRequest) -> HttpResponse:
    """Called by Django while it handles the exception, so the exception is the current one."""
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return defaults.server_error(request)
    message = _("数据库暂时连不上，请几秒后再试。")
    partial = bool(request.headers.get("HX-Request"))
    if request.method not in ("GET", "HEAD"):
        message += _not_saved(request, partial)
    if partial:  # htmx shows a short plain-text reply in the page's notice
        response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=503)
    else:
        html = loader.get_template("503.html").render({"message": message})  # no request: no database
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _not_saved(request: HttpRequest, partial: bool) -> str:
    """What became of the submit: typed text is kept by htmx in the box, and by the browser on
    the page before this one; a click (a rating, a button) just needs doing again."""
    try:
        typed = any(value.strip() for value in request.POST.getlist("text"))
    except Exception:  # noqa: BLE001 — a body that cannot be read again: say the general thing
        typed = False
    if not typed:
        return _("这次操作没有保存，请稍后再试一次。")
    if partial:
        return _("这次提交没有保存：写的内容还在，稍后再提交一次。")
    return _("这次提交没有保存：用浏览器的返回键回到上一页，写的内容还在输入框里，稍后再提交一次。")
