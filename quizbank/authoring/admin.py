"""The admin lists questions and drafts read-only; writing happens in the editor (/author/),
where every change is validated, kept as a revision and reviewed."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from quizbank.authoring.models import Draft
from quizbank.bank.models import Question


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ReadOnly):
    list_display = ["id", "title", "question_set", "version", "edited_in_app", "retired_at", "editor_link"]
    list_filter = ["question_set", "difficulty", "qtype"]
    search_fields = ["id", "title"]
    list_select_related = ["question_set"]
    fields = ["id", "title", "question_set", "difficulty", "qtype", "version", "answer_md", "key_points", "retired_at"]

    @admin.display(boolean=True, description=_("应用里改过、未写回文件"))
    def edited_in_app(self, obj):
        return obj.edited_in_app

    @admin.display(description=_("编辑"))
    def editor_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("authoring:question", args=[obj.id]), _("在编辑台打开"))


@admin.register(Draft)
class DraftAdmin(ReadOnly):
    list_display = ["target_id", "title", "question_set", "state", "author", "reviewer", "updated_at"]
    list_filter = ["state", "origin", "question_set"]
    search_fields = ["target_id", "title"]
    list_select_related = ["question_set", "author", "reviewer"]
    exclude = ["source"]
