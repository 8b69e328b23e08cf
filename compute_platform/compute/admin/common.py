"""Pieces shared by the admin modules: read-only admins, partial saves, and running a service per
selected row with the caller's RequestContext."""
from django.contrib import messages

from compute_platform.identity.models import RoleAssignment

from ..context import RequestContext, new_request_id
from ..exceptions import ComputeError


class ReadOnlyAdminMixin:
    """Rows written only by services and workers: viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin):
    extra = 0
    can_delete = False


class SaveChangedFieldsMixin:
    """Save only the fields the form changed.

    A full `save()` would write back every column as it was when the form was loaded, silently undoing
    what workers and the scheduler wrote meanwhile (task_state, claim counters, heartbeats).
    """

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        fields = [name for name in form.changed_data if name in form.fields]
        if fields:
            auto_now = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
            obj.save(update_fields=fields + auto_now)


def admin_project_id(user) -> str | None:
    """The project where this user holds the admin role, if any (the scope of their requests)."""
    return (RoleAssignment.objects.filter(user_id=user.pk, role=RoleAssignment.ADMIN)
            .order_by("project__name").values_list("project_id", flat=True).first())


def admin_context(request, *, project_id: str) -> RequestContext:
    """A RequestContext for the logged-in admin, as the API would build from an admin token."""
    return RequestContext(user_id=request.user.pk, project_id=project_id, roles=("admin",),
                          request_id=new_request_id())


def run_per_object(modeladmin, request, objects, call, *, done_message: str, project_of) -> int:
    """Call `call(context, obj)` for each object, each with its own request id.

    A ComputeError (409 Conflict and friends) becomes a warning naming the object, never a 500;
    the rest still run. Returns how many succeeded.
    """
    scope = admin_project_id(request.user)
    done = 0
    for obj in objects:
        context = admin_context(request, project_id=scope or project_of(obj))
        try:
            call(context, obj)
        except ComputeError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", level=messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message.format(count=done, s="" if done == 1 else "s"),
                                level=messages.INFO)
    return done
