from django.contrib import admin
from django.db.models import Count, Q, Sum

from quizbank.grading.models import Grade


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = (
        "attempt",
        "score",
        "grader",
        "model",
        "flagged",
        "flags",
        "confidence",
        "prompt_tokens",
        "completion_tokens",
        "cached_tokens",
        "created_at",
    )
    list_filter = ("grader", "flagged", "model")
    readonly_fields = [f.name for f in Grade._meta.fields]
    change_list_template = "admin/grading/grade/change_list.html"

    def changelist_view(self, request, extra_context=None):
        totals = Grade.objects.aggregate(
            gradings=Count("id"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            cached=Sum("cached_tokens"),
            flagged=Count("id", filter=Q(flagged=True)),
        )
        return super().changelist_view(request, {**(extra_context or {}), "token_totals": totals})

    def has_add_permission(self, request):
        return False
