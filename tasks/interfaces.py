"""NIC tasks on `compute.<host>` (host calls from os-interface): plug or unplug one port of one guest."""
import logging

from celery import shared_task

from compute_platform import tasknames
from compute_platform.compute.selectors_guest_data import vif_specs

from .locks import instance_lock
from .network_push import plugged_ports_settle, rules_pushes_applied
from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)


@shared_task(name=tasknames.ATTACH_INTERFACE, ignore_result=False)
def attach_interface(*, instance_uuid: str, port_id: str):
    with instance_lock(instance_uuid):
        rules_pushes = rules_pushes_applied(this_host())
        vif = next((v for v in vif_specs(instance_uuid) if v.port_id == port_id), None)
        if vif is None:  # the port left the instance meanwhile: nothing to plug
            logger.info("attach of port %s to %s skipped: not the instance's port", port_id, instance_uuid)
            return
        get_driver().plug_vif(instance_uuid, vif)
        # its rules and the sets new to this host as the database has them now (plugged_ports_settle)
        plugged_ports_settle(this_host(), instance_uuid, (vif,), rules_pushes=rules_pushes)
    logger.info("port %s plugged into %s on %s", port_id, instance_uuid, this_host())


@shared_task(name=tasknames.DETACH_INTERFACE, ignore_result=False)
def detach_interface(*, instance_uuid: str, port_id: str):
    with instance_lock(instance_uuid):
        get_driver().unplug_vif(instance_uuid, port_id)
    logger.info("port %s unplugged from %s on %s", port_id, instance_uuid, this_host())
