"""Security groups and their rules. Every project has a `default` group, made on first use as Neutron
makes it: egress to anywhere, ingress from members of the same group."""
import ipaddress
import logging

from django.db import IntegrityError, transaction

from ..exceptions import InUse, InvalidInput, NeutronNotFound
from ..models import SecurityGroup, SecurityGroupRule
from .quotas import network_quota_reserve
from .security_group_push import security_groups_push

logger = logging.getLogger(__name__)

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132}


class SecurityGroupRuleExists(InUse):
    fault = "SecurityGroupRuleExists"


def security_group_default_ensure(*, project_id: str) -> SecurityGroup:
    """The project's `default` group, created (with its four rules) if it is missing. Two concurrent first
    uses make one: the partial unique constraint refuses the second, which then reads the first."""
    group = SecurityGroup.objects.filter(project_id=project_id, name="default").first()
    if group is not None:
        return group
    try:
        with transaction.atomic():
            group = SecurityGroup.objects.create(project_id=project_id, name="default",
                                                 description="Default security group")
            for ethertype in ("IPv4", "IPv6"):
                SecurityGroupRule.objects.create(project_id=project_id, security_group=group, direction="egress",
                                                 ethertype=ethertype)
                SecurityGroupRule.objects.create(project_id=project_id, security_group=group, direction="ingress",
                                                 ethertype=ethertype, remote_group=group)
    except IntegrityError:
        return SecurityGroup.objects.get(project_id=project_id, name="default")
    logger.info("default security group %s created for project %s", group.id, project_id)
    return group


def security_group_create(*, project_id: str, name: str, description: str = "", stateful: bool = True
                          ) -> SecurityGroup:
    """A group with Neutron's two default egress rules (any IPv4, any IPv6)."""
    _check_not_default(name)
    security_group_default_ensure(project_id=project_id)
    with transaction.atomic():
        network_quota_reserve(project_id=project_id, resource="security_group")
        group = SecurityGroup.objects.create(project_id=project_id, name=name, description=description or "",
                                             stateful=stateful)
        for ethertype in ("IPv4", "IPv6"):
            SecurityGroupRule.objects.create(project_id=project_id, security_group=group, direction="egress",
                                             ethertype=ethertype)
    logger.info("security group %s (%s) created in project %s", group.id, name, project_id)
    return group


def security_group_update(*, group: SecurityGroup, values: dict) -> SecurityGroup:
    if "name" in values:
        if group.name == "default":
            raise InUse("Updating default security group not allowed.")
        _check_not_default(values["name"])
    for key in ("name", "description", "stateful"):
        if key in values:
            setattr(group, key, values[key] if values[key] is not None else "")
    group.save()
    return group


def _check_not_default(name) -> None:
    """A project has one `default` group, the one made for it: no other may take (or be renamed to) the
    name, in any case (Neutron's `name_not_default` validator: 409)."""
    if (name or "").lower() == "default":
        raise InUse("Default security group already exists.")


def security_group_delete(*, group: SecurityGroup, is_admin: bool) -> None:
    if group.name == "default" and not is_admin:
        raise InUse("Removing default security group not allowed.")
    with transaction.atomic():
        if group.ports.exists():
            raise InUse(f"Security Group {group.id} in use.")
        group.delete()
    logger.info("security group %s deleted", group.id)


def _rule_values(values: dict, group: SecurityGroup) -> dict:
    direction = values.get("direction")
    if direction not in ("ingress", "egress"):
        raise InvalidInput(f"'{direction}' is not in ['ingress', 'egress']")
    ethertype = values.get("ethertype") or "IPv4"
    if ethertype not in ("IPv4", "IPv6"):
        raise InvalidInput(f"'{ethertype}' is not in ['IPv4', 'IPv6']")
    protocol = values.get("protocol")
    if protocol is not None:
        protocol = str(protocol).lower()
        if protocol == "any":
            protocol = None
        elif protocol not in PROTOCOLS and not (protocol.isdigit() and 0 <= int(protocol) <= 255):
            raise InvalidInput(f"Security group rule protocol {protocol} not supported.")
    pmin, pmax = values.get("port_range_min"), values.get("port_range_max")
    for value in (pmin, pmax):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535):
            raise InvalidInput(f"Invalid value for port {value}")
    _check_port_range(protocol, pmin, pmax)
    prefix, remote_group_id = values.get("remote_ip_prefix"), values.get("remote_group_id")
    if prefix is not None and remote_group_id is not None:
        raise InvalidInput("Only remote_ip_prefix or remote_group_id may be provided.")
    if prefix is not None:
        try:
            net = ipaddress.ip_network(str(prefix), strict=False)
        except ValueError:
            raise InvalidInput(f"'{prefix}' is not a valid IP prefix")
        if net.version != (4 if ethertype == "IPv4" else 6):
            raise InvalidInput(f"Conflicting value ethertype {ethertype} for CIDR {prefix}")
        # As Neutron (netaddr): the mask added when absent, host bits kept ("10.2.3.124/24" stays so).
        prefix = str(ipaddress.ip_interface(str(prefix)))
    remote_group = None
    if remote_group_id is not None:
        # As Neutron: the remote group must be one of the rule's project (another's is no more than absent).
        remote_group = SecurityGroup.objects.filter(pk=_uuid_or_none(remote_group_id),
                                                    project_id=group.project_id).first()
        if remote_group is None:
            raise NeutronNotFound("Security group", remote_group_id)
    return {"direction": direction, "ethertype": ethertype, "protocol": protocol, "port_range_min": pmin,
            "port_range_max": pmax, "remote_ip_prefix": prefix, "remote_group": remote_group,
            "description": values.get("description") or ""}


PORT_PROTOCOLS = ("tcp", "udp", "sctp", "6", "17", "132")
ICMP_PROTOCOLS = ("icmp", "icmpv6", "ipv6-icmp", "1", "58")


def _check_port_range(protocol, pmin, pmax) -> None:
    """Neutron's port range checks (securitygroups_db._validate_port_range), with its words: TCP/UDP/SCTP need
    both ends, 1 to 65535, min <= max; ICMP takes a type (min) and a code (max), each 0 to 255, and a code
    only with a type; other protocols take none."""
    if pmin is None and pmax is None:
        return
    if protocol is None:
        raise InvalidInput("Must also specify protocol if port range is given.")
    if protocol in PORT_PROTOCOLS:
        if pmin == 0 or pmax == 0:
            raise InvalidInput("Invalid value for port 0")
        if pmin is None or pmax is None or pmin > pmax:
            raise InvalidInput("For TCP/UDP protocols, port_range_min must be <= port_range_max")
    elif protocol in ICMP_PROTOCOLS:
        for value, field, attr in ((pmin, "type", "port_range_min"), (pmax, "code", "port_range_max")):
            if value is not None and not 0 <= value <= 255:
                raise InvalidInput(f"Invalid value for ICMP {field} ({attr}) {value}. It must be 0 to 255.")
        if pmin is None:
            raise InvalidInput(f"ICMP code (port-range-max) {pmax} is provided but ICMP type (port-range-min) "
                               "is missing.")
    else:
        raise InvalidInput(f"Ports cannot be specified for protocol {protocol}. Ports are only supported for "
                           "TCP, UDP, SCTP, ICMP and ICMPV6.")


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def security_group_rule_create(*, group: SecurityGroup, values: dict) -> SecurityGroupRule:
    """409 SecurityGroupRuleExists for a rule the group already has (Neutron's duplicate check)."""
    fields = _rule_values(values, group)
    with transaction.atomic():
        network_quota_reserve(project_id=group.project_id, resource="security_group_rule")
        same = {k: v for k, v in fields.items() if k != "description"}
        existing = SecurityGroupRule.objects.filter(security_group=group, **same).first()
        if existing is not None:
            raise SecurityGroupRuleExists(f"Security group rule already exists. Rule id is {existing.id}.")
        rule = SecurityGroupRule.objects.create(project_id=group.project_id, security_group=group, **fields)
        security_groups_push(why=f"rule {rule.id} added to group {group.id}", groups=[group.id])
    logger.info("security group rule %s added to %s", rule.id, group.id)
    return rule


def security_group_rule_delete(*, rule: SecurityGroupRule) -> None:
    with transaction.atomic():
        security_groups_push(why=f"rule {rule.id} deleted from group {rule.security_group_id}",
                             groups=[rule.security_group_id])
        rule.delete()
    logger.info("security group rule %s deleted", rule.id)
