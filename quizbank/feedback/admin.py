"""The editors' queue of problem reports: open ones first, resolve with a note the reporter sees."""

from django.contrib import admin
from django.utils import timezone

from quizbank.feedback.models import ProblemReport


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ("question", "kind", "text", "user", "created_at", "resolved_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter), "question__question_set")
    search_fields = ("question__id", "question__title", "text")
    readonly_fields = ("question", "user", "question_version", "kind", "text", "created_at")
    fields = (*readonly_fields, "resolution", "resolved_at")
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="标记为已处理 / mark resolved")
    def mark_resolved(self, request, queryset):
        queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
