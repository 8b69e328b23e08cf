"""Server tags (microversion 2.26; Nova's server_tags): replace, add, remove, under the instance's row lock."""
import logging

from django.db import transaction

from ..exceptions import BadRequest, Conflict, NotFound
from ..models import Instance, InstanceTag
from ..states import VmState

logger = logging.getLogger(__name__)

# Nova's server_tags._check_instance_in_valid_state: a stable state with no task in flight (the states
# this platform has of ACTIVE, PAUSED, RESCUED, RESIZED, SHELVED, SHELVED_OFFLOADED, STOPPED, SUSPENDED).
TAGGABLE_VM_STATES = (VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.SUSPENDED)


def _lock(instance: Instance, action: str) -> Instance:
    row = Instance.objects.select_for_update().get(pk=instance.pk)
    if row.task_state is not None or row.vm_state not in TAGGABLE_VM_STATES:
        raise Conflict(f"Cannot '{action}' instance {row.uuid} while it is in vm_state {row.vm_state} "
                       f"and task_state {row.task_state}")
    return row


def _check_count(count: int):
    if count > InstanceTag.MAX_PER_SERVER:
        raise BadRequest(f"The number of tags exceeded the per-server limit {InstanceTag.MAX_PER_SERVER}")


def tags_replace(*, context, instance: Instance, tags: list[str]) -> list[str]:
    """The server's tags become exactly `tags` (duplicates collapse)."""
    wanted = sorted(set(tags))
    _check_count(len(wanted))
    with transaction.atomic():
        row = _lock(instance, "update tags")
        InstanceTag.objects.filter(instance=row).delete()
        InstanceTag.objects.bulk_create([InstanceTag(instance=row, tag=t) for t in wanted])
    logger.info("instance %s tags replaced (%d) by %s", instance.uuid, len(wanted), context.request_id)
    return wanted


def tag_add(*, context, instance: Instance, tag: str) -> bool:
    """Add one tag; False when the server had it already."""
    with transaction.atomic():
        row = _lock(instance, "update tag")
        if InstanceTag.objects.filter(instance=row, tag=tag).exists():
            return False
        _check_count(InstanceTag.objects.filter(instance=row).count() + 1)
        InstanceTag.objects.create(instance=row, tag=tag)
    logger.info("instance %s tagged %r by %s", instance.uuid, tag, context.request_id)
    return True


def tag_remove(*, context, instance: Instance, tag: str | None = None):
    """Remove one tag (404 when the server lacks it), or all of them (`tag` None)."""
    with transaction.atomic():
        row = _lock(instance, "delete tags")
        qs = InstanceTag.objects.filter(instance=row)
        if tag is not None:
            qs = qs.filter(tag=tag)
            if not qs.exists():
                raise NotFound(f"Instance {instance.uuid} has no tag '{tag}'")
        qs.delete()
    logger.info("instance %s tag %s removed by %s", instance.uuid, "(all)" if tag is None else repr(tag),
                context.request_id)
