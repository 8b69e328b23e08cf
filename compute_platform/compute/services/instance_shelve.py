"""shelve, shelveOffload, unshelve (Nova's os-shelve): snapshot and stop; give the host back; come back
anywhere the scheduler finds room.

Mount order (the safety rule of every move): an offload releases the host's mount references only after
its guest is gone (the host's task does it); an unshelve records its attachments on the new host in the
same transaction as the claim, so that host's MountManager attaches before the guest starts there, and a
crash in between leaves an extra mount (the audit's), never a missing one.
"""
import dataclasses
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from compute_platform.images.services.images import image_snapshot_create

from ..context import RequestContext
from ..exceptions import NoValidHost
from ..models import Instance, InstanceFault
from ..move_rules import MOVE_RULES
from ..scheduler.claims import schedule_and_claim
from ..scheduler.filters import RequestSpec
from ..states import VmState
from .actions import action_event_record, action_start
from .instance_claims import instance_lock_check, instance_move_start
from .quotas import quota_limits
from .server_groups import server_group_lock_for_boot

logger = logging.getLogger(__name__)


def instance_shelve(*, context, instance: Instance) -> None:
    """Queue the shelved snapshot (`<name>-shelved`, as Nova names it) and claim `shelving`."""
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        image = image_snapshot_create(context=context, instance=instance, name=f"{instance.name}-shelved",
                                      extra={"_request_id": context.request_id})
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["shelve"], shelved_image_id=image.id)


def instance_shelve_offload(*, context, instance: Instance) -> None:
    with transaction.atomic():
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["shelveOffload"])


def instance_unshelve(*, context, instance: Instance) -> None:
    """A shelved server starts again on its host; an offloaded one is scheduled (claims, server group) and
    spawned from its snapshot there. No host with room: accepted, and the server stays offloaded with a
    failed action and a fault, as Nova's conductor leaves it."""
    instance_lock_check(context=context, instance=instance)
    rule = MOVE_RULES["unshelve"]
    with transaction.atomic():
        inst = Instance.objects.select_for_update(of=("self",)).select_related("host", "server_group").get(
            pk=instance.pk)
        if inst.vm_state != VmState.SHELVED_OFFLOADED or inst.task_state is not None:
            instance_move_start(context=context, instance=inst, rule=rule)  # 409s or starts on its own host
            return
        started = timezone.now()
        try:
            host = _place(context=context, instance=inst)
        except NoValidHost as exc:
            action = action_start(instance=inst, action=rule.name, context=context, failed=True)
            action_event_record(action=action, event="conductor_unshelve_instance", started=started, exc=exc)
            InstanceFault.objects.create(instance=inst, code=500, message=exc.message[:255], details=exc.message)
            logger.warning("unshelve of %s: no valid host (%s)", inst.uuid, context.request_id)
            return
        instance_move_start(context=context, instance=inst, rule=rule, host_name=host.name, host_id=host.id,
                            resources_claimed=True)
        # Imported here: the volumes app depends on compute.
        from compute_platform.volumes.services.attachments import instance_attachments_move

        instance_attachments_move(instance_id=inst.pk, host=host.name)


def _place(*, context, instance: Instance):
    group, group_hosts = None, {}
    if instance.server_group_id is not None:
        owner = dataclasses.replace(context, project_id=instance.project_id)
        group, group_hosts = server_group_lock_for_boot(
            context=owner, group_uuid=str(instance.server_group.uuid), adding=0,
            limits=quota_limits(project_id=instance.project_id))
    max_per_host = 1
    if group is not None and group.policy == "anti-affinity":
        max_per_host = int((group.rules or {}).get("max_server_per_host", 1))
    spec = RequestSpec(instance_uuid=str(instance.uuid), project_id=instance.project_id, vcpus=instance.vcpus,
                       memory_mb=instance.memory_mb, root_gb=instance.root_gb,
                       availability_zone=instance.availability_zone, group_policy=group.policy if group else None,
                       group_hosts=group_hosts, group_max_per_host=max_per_host)
    return schedule_and_claim(spec=spec)


def instances_offload_shelved(*, offload_after: int) -> list[str]:
    """Nova's _poll_shelved_instances: offload servers shelved for `offload_after` seconds or more (each on
    its own host's queue, recorded as a shelveOffload by the system). -1: never."""
    if offload_after < 0:
        return []
    cutoff = timezone.now() - timedelta(seconds=offload_after)
    sent = []
    for inst in Instance.objects.select_related("host").filter(
            vm_state=VmState.SHELVED, task_state__isnull=True, shelved_at__lte=cutoff, host__isnull=False):
        system = RequestContext(user_id=inst.user_id, project_id=inst.project_id, roles=("admin",))
        try:
            with transaction.atomic():
                instance_move_start(context=system, instance=inst, rule=MOVE_RULES["shelveOffload"])
        except Exception as exc:  # moved meanwhile (an unshelve won): the next sweep looks again
            logger.info("offload of shelved %s skipped: %s", inst.uuid, exc)
            continue
        sent.append(str(inst.uuid))
    return sent
