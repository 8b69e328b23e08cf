"""A server's NICs after boot (Nova's os-interface) and its security groups (addSecurityGroup,
removeSecurityGroup). Attach and detach are host calls: the port is bound, the host plugs it (or unplugs it),
and only then does the request answer; a host that fails leaves the port as it was before the request."""
import logging

from django.db import transaction
from django.db.models import Q

from compute_platform import tasknames
from compute_platform.compute.exceptions import BadRequest, Conflict, NotFound
from compute_platform.compute.services.host_calls import HostUnavailable, host_call
from compute_platform.compute.states import VmState
from compute_platform.tasknames import host_queue

from ..models import Port, SecurityGroup
from .instance_ports import NetworkRequest, instance_ports_allocate, instance_ports_bind
from .ports import _ports_remove, _uuid
from .floating_ip_push import floating_ips_push
from .security_group_push import security_group_members_push, security_groups_push
from .security_groups import security_group_default_ensure

logger = logging.getLogger(__name__)

PLUGGABLE_STATES = (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED)


def _require_pluggable(instance, what: str) -> None:
    if instance.host_id is None or instance.task_state or instance.vm_state not in PLUGGABLE_STATES:
        raise Conflict(f"Cannot '{what}' instance {instance.uuid} while it is in vm_state {instance.vm_state}"
                       + (f", task_state {instance.task_state}" if instance.task_state else ""))


def _port_release(port_id) -> None:
    port = Port.objects.filter(pk=port_id).values("created_for_device").first()
    if port is None:
        return
    if port["created_for_device"]:
        _ports_remove(port_ids=[port_id])
    else:
        with transaction.atomic():
            floating_ips_push(why=f"port {port_id} unbound", ports=[port_id])
            Port.objects.filter(pk=port_id).update(device_id="", device_owner="", binding_host_id="", status="DOWN")


def instance_interface_attach(*, context, instance, network_id: str | None = None, port_id: str | None = None,
                              fixed_ip: str | None = None) -> Port:
    """A new port on `network_id` (or the given port) bound to the instance and plugged by its host. 409 when
    the server cannot take it now or the host refuses; 503 when the host cannot be reached (the port is then
    released: the request changed nothing)."""
    _require_pluggable(instance, "attach_interface")
    if network_id is None and port_id is None:
        network_id = _only_network(context)
    host = instance.host.name
    with transaction.atomic():
        [[port]] = instance_ports_allocate(context=context, instance_uuids=[str(instance.uuid)], requests=[
            NetworkRequest(network_id=network_id, port_id=port_id, fixed_ip=fixed_ip)])
        instance_ports_bind(ports=[port], host=host)
    try:
        host_call(context=context, host=host, task=tasknames.ATTACH_INTERFACE, queue=host_queue(host),
                  kwargs={"instance_uuid": str(instance.uuid), "port_id": str(port.id)})
    except HostUnavailable:
        _port_release(port.id)
        raise
    except Exception as exc:
        _port_release(port.id)
        logger.warning("instance %s: attach of port %s failed on %s: %s (%s)", instance.uuid, port.id, host, exc,
                       context.request_id)
        raise Conflict(f"Failed to attach network adapter device to {instance.uuid}: {exc}")
    Port.objects.filter(pk=port.pk).update(status="ACTIVE")
    # the holders of its groups learn the member (the host too, unless it read the sets once the port was plugged)
    security_group_members_push(why=f"port {port.id} attached to {instance.uuid}", ports=[port.id])
    floating_ips_push(why=f"port {port.id} attached to {instance.uuid}", ports=[port.id])
    logger.info("instance %s: port %s attached on %s (%s)", instance.uuid, port.id, host, context.request_id)
    return port


def _only_network(context) -> str:
    from .instance_ports import _available_networks

    available = _available_networks(context)
    if len(available) != 1:
        raise BadRequest("Exactly one network must be available to attach an interface without net_id or "
                         "port_id." if available else "No network is available to attach an interface to.")
    return str(available[0])


def instance_interface_detach(*, context, instance, port_id: str) -> None:
    """The host unplugs the port; then it is removed (made for the server) or unbound (passed in)."""
    _require_pluggable(instance, "detach_interface")
    if not Port.objects.filter(pk=_uuid(port_id), device_id=str(instance.uuid)).exists():
        raise NotFound(f"Port {port_id} is not attached")
    host = instance.host.name
    try:
        host_call(context=context, host=host, task=tasknames.DETACH_INTERFACE, queue=host_queue(host),
                  kwargs={"instance_uuid": str(instance.uuid), "port_id": str(port_id)})
    except HostUnavailable:
        raise
    except Exception as exc:
        logger.warning("instance %s: detach of port %s failed on %s: %s (%s)", instance.uuid, port_id, host, exc,
                       context.request_id)
        raise Conflict(f"Failed to detach network adapter device from {instance.uuid}: {exc}")
    _port_release(_uuid(port_id))
    logger.info("instance %s: port %s detached from %s (%s)", instance.uuid, port_id, host, context.request_id)


def _instance_group(context, instance, name: str) -> SecurityGroup:
    if name == "default":
        return security_group_default_ensure(project_id=instance.project_id)
    group = (SecurityGroup.objects.filter(project_id=instance.project_id)
             .filter(Q(name=name) | Q(pk=_uuid(name))).order_by("id").first())
    if group is None:
        raise NotFound(f"Security group {name} not found for project {instance.project_id}.")
    return group


def instance_security_group_add(*, context, instance, name: str) -> None:
    """The group on every port of the server (Nova's addSecurityGroup over Neutron)."""
    group = _instance_group(context, instance, name)
    ports = list(Port.objects.filter(device_id=str(instance.uuid)))
    if not ports:
        raise BadRequest(f"Instance {instance.uuid} has no network ports to add security group {name} to.")
    for port in ports:
        port.security_groups.add(group)
    security_groups_push(why=f"group {group.id} added to {instance.uuid}", ports=[p.id for p in ports])
    security_group_members_push(why=f"group {group.id} added to {instance.uuid}", groups=[group.id])
    logger.info("instance %s: security group %s added (%s)", instance.uuid, group.id, context.request_id)


def instance_security_group_remove(*, context, instance, name: str) -> None:
    group = _instance_group(context, instance, name)
    ports = list(Port.objects.filter(device_id=str(instance.uuid), security_groups=group))
    if not ports:
        raise BadRequest(f"Security group {name} not associated with the instance {instance.uuid}")
    for port in ports:
        port.security_groups.remove(group)
    security_groups_push(why=f"group {group.id} removed from {instance.uuid}", ports=[p.id for p in ports])
    security_group_members_push(why=f"group {group.id} removed from {instance.uuid}", groups=[group.id])
    logger.info("instance %s: security group %s removed (%s)", instance.uuid, group.id, context.request_id)
