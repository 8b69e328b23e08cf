"""Reads of the network service, scoped to what the caller may see, with Neutron's filters and paging.

Visibility as Neutron's default policy: an admin sees everything; a project sees its own resources, plus
shared and external networks and their subnets."""
import uuid as uuidlib

from django.db.models import Prefetch, Q

from compute_platform.compute.exceptions import BadRequest
from compute_platform.tag_filters import tag_filtered

from .exceptions import NeutronNotFound, TagNotFound
from .models import (FloatingIP, FloatingIPTag, IPAllocation, Network, NetworkQuota, NetworkTag, Port, PortTag,
                     SecurityGroup, SecurityGroupRule, SecurityGroupTag, Subnet, SubnetTag)

TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _bool(value: str) -> bool:
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise BadRequest(f"'{value}' cannot be converted to boolean")


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"'{value}' is not an integer")


def _uuid(value: str):
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        return None


def _uuid_filter(value: str):
    # An id that is no uuid matches nothing (not a 400: Neutron answers an empty list).
    return _uuid(value) or uuidlib.UUID(int=0)


def _str(value: str) -> str:
    return value


def _nullable(value: str):
    return None if value in ("", "None", "null") else value


COMMON = {"id": ("id", _uuid_filter), "name": ("name", _str), "description": ("description", _str),
          "project_id": ("project_id", _str), "tenant_id": ("project_id", _str)}

RESOURCES = {
    "networks": {
        "model": Network, "label": "Network",
        "filters": {**COMMON, "admin_state_up": ("admin_state_up", _bool), "shared": ("shared", _bool),
                    "router:external": ("external", _bool), "mtu": ("mtu", _int), "status": ("status", _str),
                    "subnets": ("subnets__id", _uuid_filter)},
        "visible": lambda ctx: Q(project_id=ctx.project_id) | Q(shared=True) | Q(external=True),
        "prefetch": lambda qs: qs.prefetch_related(Prefetch("subnets", queryset=Subnet.objects.only("id", "network_id")
                                                            .order_by("created_at", "id")), "tags"),
        "tag_model": NetworkTag,
    },
    "subnets": {
        "model": Subnet, "label": "Subnet",
        "filters": {**COMMON, "network_id": ("network_id", _uuid_filter), "cidr": ("cidr", _str),
                    "ip_version": ("ip_version", _int), "gateway_ip": ("gateway_ip", _nullable),
                    "enable_dhcp": ("enable_dhcp", _bool), "ipv6_ra_mode": ("ipv6_ra_mode", _nullable),
                    "ipv6_address_mode": ("ipv6_address_mode", _nullable),
                    "router:external": ("network__external", _bool)},
        "visible": lambda ctx: Q(project_id=ctx.project_id) | Q(network__shared=True) | Q(network__external=True),
        "prefetch": lambda qs: qs.select_related("network").prefetch_related("tags"),  # its `router:external`
        "tag_model": SubnetTag,
    },
    "ports": {
        "model": Port, "label": "Port",
        "filters": {**COMMON, "network_id": ("network_id", _uuid_filter), "mac_address": ("mac_address", str.lower),
                    "admin_state_up": ("admin_state_up", _bool), "status": ("status", _str),
                    "device_id": ("device_id", _str), "device_owner": ("device_owner", _str),
                    "binding:host_id": ("binding_host_id", _str),
                    "port_security_enabled": ("port_security_enabled", _bool),
                    "security_groups": ("security_groups__id", _uuid_filter)},
        "visible": lambda ctx: Q(project_id=ctx.project_id),
        "prefetch": lambda qs: qs.prefetch_related(
            Prefetch("fixed_ips", queryset=IPAllocation.objects.order_by("id")),
            Prefetch("security_groups", queryset=SecurityGroup.objects.only("id")), "tags"),
        "tag_model": PortTag,
    },
    "security-groups": {
        "model": SecurityGroup, "label": "Security group",
        "filters": {**COMMON, "stateful": ("stateful", _bool)},
        "visible": lambda ctx: Q(project_id=ctx.project_id),
        "prefetch": lambda qs: qs.prefetch_related(Prefetch("rules", queryset=SecurityGroupRule.objects.order_by("id")),
                                                   "tags"),
        "tag_model": SecurityGroupTag,
    },
    "security-group-rules": {
        "model": SecurityGroupRule, "label": "Security group rule",
        "filters": {**{k: v for k, v in COMMON.items() if k != "name"},
                    "security_group_id": ("security_group_id", _uuid_filter), "direction": ("direction", _str),
                    "ethertype": ("ethertype", _str), "protocol": ("protocol", _nullable),
                    "port_range_min": ("port_range_min", _int), "port_range_max": ("port_range_max", _int),
                    "remote_ip_prefix": ("remote_ip_prefix", _nullable),
                    "remote_group_id": ("remote_group_id", _uuid_filter)},
        "visible": lambda ctx: Q(project_id=ctx.project_id),
        "prefetch": lambda qs: qs,
    },
    "floatingips": {
        "model": FloatingIP, "label": "Floating IP",
        "filters": {**{k: v for k, v in COMMON.items() if k != "name"},
                    "floating_network_id": ("floating_network_id", _uuid_filter),
                    "floating_ip_address": ("floating_ip_address", _str), "port_id": ("port_id", _uuid_filter),
                    "fixed_ip_address": ("fixed_ip_address", _nullable), "status": ("status", _str),
                    "router_id": (None, _str)},
        "visible": lambda ctx: Q(project_id=ctx.project_id),
        "prefetch": lambda qs: qs.prefetch_related("tags"),
        "tag_model": FloatingIPTag,
    },
}
# The resources that carry tags (Neutron's standard-attr-tag): their bodies show them, their lists filter on
# them, and /<resources>/<id>/tags serves them.
TAGGED_RESOURCES = tuple(name for name, spec in RESOURCES.items() if "tag_model" in spec)


def _scoped(context, resource: str):
    spec = RESOURCES[resource]
    qs = spec["model"].objects.all()
    if not context.is_admin:
        qs = qs.filter(spec["visible"](context)).distinct()
    return qs


def _port_fixed_ips_filter(values: list[str]) -> Q:
    """`fixed_ips=ip_address=10.0.0.3` / `fixed_ips=subnet_id=...`: ports holding that address or subnet."""
    q = Q()
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep or key not in ("ip_address", "subnet_id", "ip_address_substr"):
            raise BadRequest(f"Invalid fixed_ips filter '{value}'")
        if key == "subnet_id":
            q &= Q(fixed_ips__subnet_id=_uuid_filter(wanted))
        elif key == "ip_address":
            q &= Q(fixed_ips__ip_address=wanted)
        else:
            q &= Q(fixed_ips__ip_address__contains=wanted)
    return q


def network_resource_list(*, context, resource: str, filters: dict[str, list[str]], limit: int | None = None,
                          marker: str | None = None, page_reverse: bool = False,
                          tag_filters: dict[str, list[str]] | None = None) -> list:
    """The resources the caller sees, filtered (every value of an attribute is an alternative: `?id=a&id=b`;
    `tag_filters` as compute_platform/tag_filters.py reads them), in id order, one page after `marker`
    (before it with `page_reverse`)."""
    spec = RESOURCES[resource]
    qs = _scoped(context, resource)
    if tag_filters:
        if "tag_model" not in spec:
            raise BadRequest(f"[{next(iter(tag_filters))}] is invalid attribute for filtering")
        qs = tag_filtered(qs, tag_model=spec["tag_model"], owner="resource_id", filters=tag_filters)
    for attr, values in filters.items():
        if resource == "ports" and attr == "fixed_ips":
            qs = qs.filter(_port_fixed_ips_filter(values))
            continue
        if attr not in spec["filters"]:
            raise BadRequest(f"[{attr}] is invalid attribute for filtering")
        field, convert = spec["filters"][attr]
        if field is None:  # an attribute that always reads null here (a floating IP's router_id)
            if any(v not in ("", "None", "null") for v in values):
                qs = qs.none()
            continue
        converted = [convert(v) for v in values]
        if len(converted) == 1:
            qs = qs.filter(**{field: converted[0]})
        else:
            qs = qs.filter(**{f"{field}__in": converted})
    if filters:
        qs = qs.distinct()
    if marker:
        anchor = _uuid(marker)
        if anchor is None or not spec["model"].objects.filter(pk=anchor).exists():
            raise NeutronNotFound(spec["label"], marker)
        qs = qs.filter(id__lt=anchor) if page_reverse else qs.filter(id__gt=anchor)
    qs = spec["prefetch"](qs.order_by("-id" if page_reverse else "id"))
    items = list(qs[:limit] if limit is not None else qs)
    return items[::-1] if page_reverse else items


def network_resource_get(*, context, resource: str, resource_id, for_update: bool = False):
    """The resource, or 404 (Neutron's `<Kind>NotFound`) when it is missing or not the caller's to see."""
    spec = RESOURCES[resource]
    missing = NeutronNotFound(spec["label"], resource_id)
    if _uuid(resource_id) is None:
        raise missing
    qs = _scoped(context, resource).filter(pk=_uuid(resource_id))
    obj = spec["prefetch"](qs).first()
    if obj is None:
        raise missing
    return obj


def network_resource_owned(*, context, resource: str, resource_id):
    """For a write: the resource if the caller owns it (or is an admin). Another project's shared network
    is visible but not theirs to change: 404, as Neutron hides what a policy refuses."""
    obj = network_resource_get(context=context, resource=resource, resource_id=resource_id)
    if not context.is_admin and obj.project_id != context.project_id:
        raise NeutronNotFound(RESOURCES[resource]["label"], resource_id)
    return obj


def network_resource_tags(*, context, resource: str, resource_id) -> list[str]:
    """The tags of a resource the caller sees, sorted; 404 as network_resource_get."""
    row = network_resource_get(context=context, resource=resource, resource_id=resource_id)
    return sorted(t.tag for t in row.tags.all())


def network_resource_tag_get(*, context, resource: str, resource_id, tag: str) -> None:
    """Nothing if the resource the caller sees carries `tag`; 404 TagNotFound if not. (The read prefetches
    the tags: no second query for them.)"""
    if tag not in network_resource_tags(context=context, resource=resource, resource_id=resource_id):
        raise TagNotFound(tag)


# --- quotas ------------------------------------------------------------------------------------------

QUOTA_COUNTED = {"network": Network, "subnet": Subnet, "port": Port, "security_group": SecurityGroup,
                 "security_group_rule": SecurityGroupRule, "floatingip": FloatingIP}


def network_quota_limits(*, project_id: str) -> dict:
    """The project's limits: its overrides over settings.NETWORK_QUOTA_DEFAULTS (-1 unlimited)."""
    from django.conf import settings

    limits = dict(settings.NETWORK_QUOTA_DEFAULTS)
    limits.update(dict(NetworkQuota.objects.filter(project_id=project_id).values_list("resource", "hard_limit")))
    return limits


def network_quota_usage(*, project_id: str) -> dict:
    return {r: model.objects.filter(project_id=project_id).count() for r, model in QUOTA_COUNTED.items()}


def network_quota_projects() -> list[str]:
    """Projects with an override (Neutron's GET /quotas lists them)."""
    return sorted(set(NetworkQuota.objects.values_list("project_id", flat=True)))
