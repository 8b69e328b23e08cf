"""The bookkeeping around one piece of host work, in the spirit of Nova's `wrap_instance_event` and
`reverts_task_state`: written once here, not in every entry point.

    with instance_event(request_id=..., event="compute_stop_instance", host=host, what="stop of <uuid>",
                        on_error=revert) as ev:
        driver.power_off(uuid)
        instance_task_complete(...)

The event starts on entry. If the body raises, the failure is logged with its traceback, the event
finishes with it (os-instance-actions shows it), `on_error(exc, details)` records the outcome (revert the
task_state, build failed, set error, attach failed: `details` is the formatted traceback for the
instance fault), the action finishes in error, and the exception goes no further: the task is done.
Otherwise the event and the action finish as successes. The gate (is this delivery still wanted?) stays
in each entry point, before the `with`, where a reader sees the redelivery no-op.
"""
import contextlib
import dataclasses
import logging
import traceback
from typing import Callable

from compute_platform.compute.services.actions import action_event_finish, action_event_start, action_finish

logger = logging.getLogger(__name__)

OnError = Callable[[BaseException, str], None]


@dataclasses.dataclass
class InstanceEvent:
    on_error: OnError | None  # may be changed by the body as its work advances
    failed: bool = False


@contextlib.contextmanager
def instance_event(*, request_id: str, event: str, host: str, what: str, on_error: OnError | None,
                   finishes_action: bool = True):
    """`finishes_action=False`: one step of several (a move's), so success leaves the action open for the
    next step's host; a failure still finishes it in error."""
    ev = InstanceEvent(on_error=on_error)
    row = action_event_start(request_id=request_id, event=event, host=host)
    try:
        yield ev
    except Exception as exc:
        ev.failed = True
        logger.exception("%s on %s failed (%s)", what, host, request_id)
        action_event_finish(event=row, exc=exc)
        if ev.on_error is not None:
            ev.on_error(exc, traceback.format_exc())
        action_finish(request_id=request_id, error=True)
        return
    action_event_finish(event=row)
    if finishes_action:
        action_finish(request_id=request_id)
