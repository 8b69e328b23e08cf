"""trigger_crash_dump (compute API 2.17): an NMI to the guest, recorded as an instance action. No task_state
is claimed, as in Nova: the guest stays as it is, so the action blocks nothing else."""
import logging

from django.db import transaction

from compute_platform import tasknames
from compute_platform.tasknames import host_queue

from ..exceptions import Conflict
from ..models import Instance
from ..states import VmState, action_conflict_message
from .actions import action_start
from .dispatch import task_enqueue_on_commit

logger = logging.getLogger(__name__)

# Nova's check_instance_state for trigger_crash_dump (of ACTIVE, PAUSED, RESCUED, RESIZED, ERROR).
CRASH_DUMP_VM_STATES = (VmState.ACTIVE, VmState.PAUSED, VmState.ERROR)


def instance_trigger_crash_dump(*, context, instance: Instance) -> None:
    """409 unless the server is in one of CRASH_DUMP_VM_STATES with no task in flight and on a host."""
    with transaction.atomic():
        row = Instance.objects.select_for_update(of=("self",)).select_related("host").get(pk=instance.pk)
        if row.task_state is not None or row.vm_state not in CRASH_DUMP_VM_STATES or row.host is None:
            raise Conflict(action_conflict_message("trigger_crash_dump", str(row.uuid), row.vm_state,
                                                   row.task_state))
        action_start(instance=row, action="trigger_crash_dump", context=context)
        task_enqueue_on_commit(task_name=tasknames.TRIGGER_CRASH_DUMP, queue=host_queue(row.host.name),
                               kwargs={"instance_uuid": str(row.uuid), "request_id": context.request_id})
    logger.info("instance %s: trigger_crash_dump requested (%s)", instance.uuid, context.request_id)
