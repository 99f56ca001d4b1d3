"""Tracks come from content files and interviews from their users: both read-only here."""

from django.contrib import admin

from quizbank.interviews.models import Interview, Track


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Track)
class TrackAdmin(ReadOnly):
    list_display = ("slug", "title", "questions", "minutes_per_question", "follow_ups", "retired_at")


@admin.register(Interview)
class InterviewAdmin(ReadOnly):
    list_display = ("id", "user", "title", "mode", "style", "level", "status", "started_at")
    list_filter = ("status", "mode", "style", "level", "track")
