"""Power-state sync (Nova's _sync_power_states): the hypervisor is the truth for power_state."""
import logging

from compute_platform.compute.models import Instance
from compute_platform.compute.services.instance_lifecycle import (
    instance_mark_stopped_by_hypervisor, instance_power_state_set,
)
from compute_platform.compute.states import PowerState, VmState
from django.db.models import Q
from hypervisors.base import InstanceNotFound

from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)

# What a guest that stopped behind our back reports; NOSTATE (not found) is not among them, as in Nova:
# a guest missing from the hypervisor is reported, never acted on.
STOPPED_POWER_STATES = (PowerState.SHUTDOWN, PowerState.CRASHED)


def host_sync_power_states() -> dict:
    """Record each guest's power state; an ACTIVE guest found shut down or crashed becomes STOPPED
    (Nova force-stops it); a guest missing from the hypervisor is recorded NOSTATE and logged; a guest
    the hypervisor could not report on (a transient error) is skipped until the next round."""
    driver, host = get_driver(), this_host()
    on_hypervisor = set(driver.list_instances())
    counts = {"checked": 0, "changed": 0, "missing": 0, "stopped": 0, "skipped": 0}
    rows = Instance.objects.filter(host__name=host, task_state__isnull=True).filter(
        ~Q(vm_state__in=(VmState.DELETED, VmState.BUILDING))).values_list("uuid", "vm_state", "power_state")
    for uuid, vm_state, db_power in rows:
        uuid = str(uuid)
        counts["checked"] += 1
        power = PowerState.NOSTATE
        if uuid in on_hypervisor:
            try:
                power = int(driver.get_info(uuid).power_state)
            except InstanceNotFound:
                pass  # deleted between list and get
            except Exception:
                # Not an answer about the guest: acting on it could stop a running server.
                logger.exception("power sync of instance %s on %s skipped this round: the hypervisor did not "
                                 "report its state", uuid, host)
                counts["skipped"] += 1
                continue
        if power == PowerState.NOSTATE and db_power != PowerState.NOSTATE:
            counts["missing"] += 1
            logger.warning("instance %s (%s) is not found on hypervisor %s", uuid, vm_state, host)
        if instance_power_state_set(instance_uuid=uuid, power_state=power):
            counts["changed"] += 1
        if vm_state == VmState.ACTIVE and power in STOPPED_POWER_STATES:
            # The guest stopped behind our back: make the record say so instead of claiming ACTIVE.
            if instance_mark_stopped_by_hypervisor(instance_uuid=uuid):
                counts["stopped"] += 1
                logger.warning("instance %s on %s was %s on the hypervisor: now STOPPED", uuid, host,
                               PowerState(power).name)
    return counts
