from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from quizbank.authoring.permissions import reviewer_required
from quizbank.ops import health, metrics


@never_cache
@require_safe
def healthz(request: HttpRequest):
    """For load balancers and monitors: 200 when the database, the broker and this node's search
    index all answer, else 503; which one failed and how long each took, no secrets."""
    checks = health.run_checks()
    ok = health.healthy(checks)
    body = {
        "status": "ok" if ok else "failing",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "ms": c.ms} for c in checks},
    }
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_safe
@reviewer_required
def grading_metrics(request: HttpRequest):
    figures = metrics.grading_metrics(now=timezone.now())
    if request.GET.get("format") == "json":
        return JsonResponse({**figures.__dict__, "failure_rate": figures.failure_rate})
    return render(request, "ops/metrics.html", {"m": figures, "checks": health.run_checks()})
