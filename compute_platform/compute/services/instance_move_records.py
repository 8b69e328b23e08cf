"""What a host's worker records for shelve offload and a failed unshelve: the host given back (claim
released, attachments held by no host) in one transaction, conditional on the task_state the work was
claimed under, so a duplicate delivery changes nothing."""
import logging

from django.db import transaction
from django.utils import timezone

from compute_platform.db_retry import db_retry

from ..models import Instance
from ..scheduler.claims import claim_release
from ..states import TaskState, VmState
from .instance_lifecycle import _fault

logger = logging.getLogger(__name__)


def _leave_host(instance_uuid: str, task_state: str) -> int | None:
    inst = Instance.objects.select_for_update(of=("self",)).filter(uuid=instance_uuid, task_state=task_state).values(
        "id").first()
    if inst is None:
        return None
    claim_release(instance_id=inst["id"])  # reads the host: before it is cleared
    Instance.objects.filter(pk=inst["id"]).update(
        vm_state=VmState.SHELVED_OFFLOADED, task_state=None, host=None, power_state=0, updated_at=timezone.now())
    from compute_platform.volumes.services.attachments import instance_attachments_move

    instance_attachments_move(instance_id=inst["id"], host="")
    return inst["id"]


@db_retry
def instance_offloaded(*, instance_uuid: str) -> bool:
    """The guest is gone from its host and its mounts released: SHELVED_OFFLOADED, no host, no claim."""
    with transaction.atomic():
        done = _leave_host(instance_uuid, TaskState.SHELVING_OFFLOADING) is not None
    if done:
        logger.info("instance %s: shelved_offloaded", instance_uuid)
    return done


@db_retry
def instance_unshelve_failed(*, instance_uuid: str, message: str, details: str = "", host: str = "") -> bool:
    """An unshelve onto a new host failed and its guest is gone: offloaded again (Nova's conductor does
    the same), the new host's claim given back, with a fault."""
    with transaction.atomic():
        instance_id = _leave_host(instance_uuid, TaskState.UNSHELVING)
        if instance_id is None:
            return False
        _fault(instance_uuid, message=message, details=details, host=host)
    logger.warning("instance %s: unshelve failed on %s, offloaded again: %s", instance_uuid, host, message)
    return True
