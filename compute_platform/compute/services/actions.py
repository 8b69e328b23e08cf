"""The instance action log (os-instance-actions): one action per request, events per step."""
import traceback as tb

from django.db import connection
from django.utils import timezone

from ..models import InstanceAction, InstanceActionEvent


def action_start(*, instance, action: str, context, failed: bool = False) -> InstanceAction:
    """Record the request. `failed`: it already failed in the API (written finished, in one insert)."""
    return InstanceAction.objects.create(
        instance=instance, action=action, request_id=context.request_id,
        user_id=context.user_key, project_id=context.project_id,
        finish_time=timezone.now() if failed else None, message="Error" if failed else None,
    )


def action_event_record(*, action: InstanceAction, event: str, started, exc: BaseException | None = None,
                        host: str = "") -> InstanceActionEvent:
    """A step that already finished (in the API process), written in one insert."""
    values = {"result": "Success" if exc is None else "Error"}
    if exc is not None:
        values.update(traceback="".join(tb.format_exception(exc))[-8000:], details=str(exc)[:2000])
    return InstanceActionEvent.objects.create(action=action, event=event, host=host, start_time=started,
                                              finish_time=timezone.now(), **values)


def action_finish(*, request_id: str, error: bool = False) -> None:
    values = {"finish_time": timezone.now(), "updated_at": timezone.now()}
    if error:
        values["message"] = "Error"
    InstanceAction.objects.filter(request_id=request_id).update(**values)


def action_event_start(*, request_id: str, event: str, host: str = "") -> InstanceActionEvent | None:
    """The event's row under the request's action (None without one), found and written in one statement: a
    host's task starts with it, so one round trip to the database fewer before the work."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {InstanceActionEvent._meta.db_table} (action_id, event, host, start_time) "
                       f"SELECT id, %s, %s, %s FROM {InstanceAction._meta.db_table} WHERE request_id = %s "
                       "RETURNING id, action_id",
                       [event, host, connection.ops.adapt_datetimefield_value(now), request_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return InstanceActionEvent(pk=row[0], action_id=row[1], event=event, host=host, start_time=now)


def action_event_finish(*, event: InstanceActionEvent | None, exc: BaseException | None = None) -> None:
    if event is None:
        return
    values = {"finish_time": timezone.now(), "result": "Success" if exc is None else "Error"}
    if exc is not None:
        values["traceback"] = "".join(tb.format_exception(exc))[-8000:]
        values["details"] = str(exc)[:2000]
    InstanceActionEvent.objects.filter(pk=event.pk).update(**values)
