"""The instance action log (os-instance-actions) and its events: written by services and workers, read here."""
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, OuterRef, Subquery
from django.db.models.functions import Cast
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from ..models import InstanceAction, InstanceActionEvent
from .common import ReadOnlyAdminMixin, ReadOnlyInline

ACTION_FIELDS = ("action", "request_id", "user_id", "project_id", "start_time", "finish_time", "message")
EVENT_FIELDS = ("event", "host", "result", "start_time", "finish_time", "details", "traceback")


def _with_username(queryset):
    # user_id is the Django user's pk as text (Nova reports user ids as strings); join on the text
    # form so a value that is not a number can never break the query.
    users = get_user_model().objects.annotate(pk_text=Cast("pk", CharField())).filter(pk_text=OuterRef("user_id"))
    return queryset.annotate(_username=Subquery(users.values("username")[:1]))


class NewestActionsFormSet(BaseInlineFormSet):
    """Only the newest actions on the instance page; the full log is the InstanceAction list."""

    limit = 50

    def get_queryset(self):
        if not hasattr(self, "_newest"):
            self._newest = super().get_queryset()[: self.limit]
        return self._newest


class InstanceActionInline(ReadOnlyInline, admin.TabularInline):
    model = InstanceAction
    formset = NewestActionsFormSet
    fields = ("action", "request_id", "user_id", "start_time", "finish_time", "message", "events")
    readonly_fields = fields
    ordering = ("-start_time", "-id")
    show_change_link = True
    verbose_name_plural = f"actions (newest {NewestActionsFormSet.limit})"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_events=Count("events"))

    @admin.display(description="events")
    def events(self, action):
        url = reverse("admin:compute_instanceaction_change", args=[action.pk])
        return format_html('<a href="{}">{} event{}</a>', url, action._events, "" if action._events == 1 else "s")


class InstanceActionEventInline(ReadOnlyInline, admin.StackedInline):
    model = InstanceActionEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS


@admin.register(InstanceAction)
class InstanceActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("instance", "action", "request_id", "user", "start_time", "finish_time", "message")
    list_filter = ("action", "message")
    list_select_related = ("instance",)
    search_fields = ("=request_id", "instance__name", "instance__uuid")
    date_hierarchy = "start_time"
    fields = ("instance",) + ACTION_FIELDS + ("updated_at",)
    readonly_fields = fields
    inlines = (InstanceActionEventInline,)

    def get_queryset(self, request):
        return _with_username(super().get_queryset(request))

    @admin.display(description="user", ordering="_username")
    def user(self, action):
        return f"{action._username} ({action.user_id})" if action._username else action.user_id


@admin.register(InstanceActionEvent)
class InstanceActionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "action", "host", "result", "start_time", "finish_time")
    list_filter = ("result", "event", "host")
    list_select_related = ("action",)
    search_fields = ("=action__request_id", "event", "host")
    fields = ("action",) + EVENT_FIELDS
    readonly_fields = fields
