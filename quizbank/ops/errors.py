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
    if request.method not in ("GET", "HEAD"):
        message += _("这次提交没有保存：写的内容还在，稍后再提交一次。")
    if request.headers.get("HX-Request"):  # htmx shows a short plain-text reply in the page's notice
        response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=503)
    else:
        html = loader.get_template("503.html").render({"message": message})  # no request: no database
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
