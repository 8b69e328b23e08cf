"""Server metadata (Nova's /servers/{id}/metadata): read-modify-write of the instance's JSON under a
lock on its row, so concurrent updates of one server never lose each other's keys."""
import logging

from django.db import transaction
from django.utils import timezone

from ..exceptions import Conflict, NotFound
from ..models import Instance
from ..states import VmState
from .quotas import quota_check_metadata, quota_limits

logger = logging.getLogger(__name__)

# Nova's check_instance_state for metadata changes: stable states only, no task in flight.
METADATA_WRITABLE = (VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED)


def _locked(instance: Instance, action: str) -> dict:
    row = Instance.objects.select_for_update(no_key=True).filter(pk=instance.pk).values(
        "metadata", "vm_state", "task_state").get()
    if row["task_state"]:
        raise Conflict(f"Cannot '{action}' instance {instance.uuid} while it is in task_state "
                       f"{row['task_state']}")
    if row["vm_state"] not in METADATA_WRITABLE:
        raise Conflict(f"Cannot '{action}' instance {instance.uuid} while it is in vm_state {row['vm_state']}")
    return dict(row["metadata"] or {})


def server_metadata_update(*, context, instance: Instance, metadata: dict, replace: bool) -> dict:
    """Merge `metadata` into the server's (POST, PUT of one key) or replace it all (PUT). Returns the
    resulting metadata; 403 if it would hold more items than the metadata_items quota."""
    limits = quota_limits(project_id=instance.project_id)
    with transaction.atomic():
        current = _locked(instance, "update metadata")
        current = {**({} if replace else current), **metadata}
        quota_check_metadata(limits=limits, items=len(current))
        Instance.objects.filter(pk=instance.pk).update(metadata=current, updated_at=timezone.now())
    logger.info("instance %s metadata %s (%s)", instance.uuid, "replaced" if replace else "updated",
                context.request_id)
    instance.metadata = current
    return current


def server_metadata_delete_item(*, context, instance: Instance, key: str) -> None:
    with transaction.atomic():
        current = _locked(instance, "delete metadata")
        if key not in current:
            raise NotFound("Metadata item was not found")
        del current[key]
        Instance.objects.filter(pk=instance.pk).update(metadata=current, updated_at=timezone.now())
    logger.info("instance %s metadata key %r deleted (%s)", instance.uuid, key, context.request_id)
    instance.metadata = current
