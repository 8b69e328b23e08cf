"""What a guest is told about itself, from its instance row: the InstanceSpec fields the config drive is built
from on the host (tasks/specs.py adds the image and boot volume to this spec) and that the metadata service
serves (api/metadata), through the one builder in hypervisors/configdrive.py. Also the metadata service's
lookup: which instance a request relayed by a network's metadata proxy comes from.
"""
from __future__ import annotations

import base64
import hmac
import ipaddress
import uuid as uuidlib
from dataclasses import dataclass

from django.conf import settings

from compute_platform.network.models import FloatingIP, IPAllocation, Port
from compute_platform.network.selectors_instances import instance_vifs
from hypervisors import configdrive
from hypervisors.base import InstanceSpec, SecurityGroupRule, VifSpec
from hypervisors.netplane.metadata_proxy import signature

from .exceptions import BadRequest, Forbidden, NotFound
from .models import Instance
from .states import VmState


def user_data_text(stored: str | None) -> str | None:
    """The API keeps user data base64-encoded, as Nova does; the guest reads it decoded. Any bytes survive:
    undecodable ones ride as surrogates, which the config drive encodes back."""
    if not stored:
        return None
    return base64.b64decode(stored).decode("utf-8", "surrogateescape")


def vif_spec(values: dict, rules_cache: dict | None = None) -> VifSpec:
    """`rules_cache`: for many ports at once, whose rule lists the selector shares between ports in the same
    groups: each list is turned into rules once."""
    listed = values["security_group_rules"]
    rules = rules_cache.get(id(listed)) if rules_cache is not None else None
    if rules is None:
        rules = tuple(SecurityGroupRule(**rule) for rule in listed)
        if rules_cache is not None:
            rules_cache[id(listed)] = rules
    return VifSpec(**{**values, "security_group_rules": rules})


def vif_specs(instance_uuid) -> tuple[VifSpec, ...]:
    """The instance's NICs as the host plugs them, from its ports (tasks never pass specs around)."""
    return tuple(vif_spec(v) for v in instance_vifs(instance_uuid=instance_uuid))


def availability_zone(instance: Instance) -> str:
    """The zone the guest is told: its host's (Nova's get_instance_availability_zone), else the requested one."""
    host_zone = instance.host.availability_zone if instance.host_id is not None else None
    return host_zone or instance.availability_zone or settings.DEFAULT_AVAILABILITY_ZONE


def instance_guest_spec(instance: Instance, *, vifs: tuple[VifSpec, ...] | None = None) -> InstanceSpec:
    """The instance as the driver builds it, less its image and boot volume (tasks/specs.py adds those);
    `vifs` None: its NICs read from its ports."""
    return InstanceSpec(uuid=str(instance.uuid), name=instance.instance_name, vcpus=instance.vcpus,
                        memory_mb=instance.memory_mb, root_gb=instance.root_gb,
                        metadata=dict(instance.metadata or {}), key_data=instance.key_data,
                        user_data=user_data_text(instance.user_data),
                        vifs=vif_specs(instance.uuid) if vifs is None else vifs,
                        config_drive=instance.config_drive, display_name=instance.name,
                        hostname=instance.hostname, key_name=instance.key_name,
                        availability_zone=availability_zone(instance), launch_index=instance.launch_index)


# -- the metadata service --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuestData:
    """Everything the metadata service serves one instance: `openstack` ({file name: bytes}, the config drive's
    files) and `ec2` (the EC2-style meta-data tree) and the EC2 user data."""

    instance_uuid: str
    openstack: dict
    ec2: dict
    user_data: bytes | None


def metadata_guest_data(*, network_id: str | None, address: str | None, signature_hex: str | None) -> GuestData:
    """What the metadata service serves the guest a network's metadata proxy relays a request from."""
    return instance_guest_data(instance=metadata_instance_get(network_id=network_id, address=address,
                                                              signature_hex=signature_hex))


def metadata_instance_get(*, network_id: str | None, address: str | None, signature_hex: str | None) -> Instance:
    """The live instance whose port on `network_id` holds fixed IP `address`, as the network's metadata proxy
    names them (the guest's source address, its network) and signs them with the shared secret. 400 without
    them, 403 for a bad signature (nothing is looked up), 404 when no live instance holds the address."""
    if not network_id or not address:
        raise BadRequest("X-Forwarded-For and X-Neutron-Network-ID are missing from the request: only the "
                         "network's metadata proxy may ask.")
    expected = signature(settings.METADATA_PROXY_SHARED_SECRET, network_id, address)
    if not signature_hex or not _equal(expected, signature_hex):
        raise Forbidden("Invalid proxy request signature.")
    try:
        network_uuid, ip = uuidlib.UUID(network_id), ipaddress.ip_address(address)
    except ValueError:
        raise NotFound(f"No instance has address {address} on network {network_id}.") from None
    device_ids = (IPAllocation.objects.filter(port__network_id=network_uuid, ip_address=str(ip))
                  .exclude(port__device_id="").values_list("port__device_id", flat=True))
    uuids = [u for u in (_uuid(d) for d in device_ids) if u is not None]
    instance = (Instance.objects.filter(uuid__in=uuids).exclude(vm_state=VmState.DELETED)
                .select_related("host", "flavor").first())
    if instance is None:
        raise NotFound(f"No instance has address {address} on network {network_id}.")
    return instance


def instance_guest_data(*, instance: Instance) -> GuestData:
    """What the metadata service serves `instance`: the same builder's output as its config drive."""
    spec = instance_guest_spec(instance)
    ports = [v.port_id for v in spec.vifs]
    floating = (FloatingIP.objects.filter(port_id__in=ports).order_by("created_at")
                .values_list("floating_ip_address", flat=True).first())
    groups = _security_group_names(ports)
    ec2 = configdrive.ec2_meta_data(spec, instance_id=f"i-{instance.id:08x}", public_ipv4=floating,
                                    instance_type=instance.flavor.name, reservation_id=instance.reservation_id or "",
                                    security_groups=groups)
    user_data = spec.user_data.encode("utf-8", "surrogateescape") if spec.user_data is not None else None
    return GuestData(instance_uuid=spec.uuid, openstack=configdrive.openstack_files(spec), ec2=ec2,
                     user_data=user_data)


def _security_group_names(port_ids: list[str]) -> tuple[str, ...]:
    rows = (Port.security_groups.through.objects.filter(port_id__in=port_ids)
            .order_by("securitygroup__name").values_list("securitygroup__name", flat=True))
    return tuple(dict.fromkeys(rows))


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _uuid(value: str):
    try:
        return uuidlib.UUID(value)
    except ValueError:
        return None
