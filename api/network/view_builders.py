"""Neutron's JSON shapes, built as plain dicts from the network service's rows."""
from ..common.timefmt import iso_z


def _common(obj, tagged: bool = True) -> dict:
    """The standard attributes; `tags` sorted (the selectors prefetch them), always empty on what carries
    none here (security group rules)."""
    return {"id": str(obj.id), "tenant_id": obj.project_id, "project_id": obj.project_id,
            "tags": sorted(t.tag for t in obj.tags.all()) if tagged else [],
            "created_at": iso_z(obj.created_at), "updated_at": iso_z(obj.updated_at), "revision_number": 0}


def network_body(network, is_admin: bool = False) -> dict:
    return {**_common(network), "name": network.name, "description": network.description,
            "admin_state_up": network.admin_state_up, "mtu": network.mtu, "status": network.status,
            "subnets": [str(s.id) for s in network.subnets.all()], "shared": network.shared,
            "router:external": network.external, "is_default": False, "availability_zone_hints": [],
            "availability_zones": ["nova"], "ipv4_address_scope": None, "ipv6_address_scope": None,
            "port_security_enabled": True, "l2_adjacency": True}


def subnet_body(subnet, is_admin: bool = False) -> dict:
    return {**_common(subnet), "name": subnet.name, "description": subnet.description,
            "network_id": str(subnet.network_id), "ip_version": subnet.ip_version, "cidr": subnet.cidr,
            "gateway_ip": subnet.gateway_ip, "allocation_pools": subnet.allocation_pools,
            "dns_nameservers": subnet.dns_nameservers, "host_routes": subnet.host_routes,
            "enable_dhcp": subnet.enable_dhcp, "ipv6_ra_mode": subnet.ipv6_ra_mode,
            "ipv6_address_mode": subnet.ipv6_address_mode, "subnetpool_id": None, "segment_id": None,
            "service_types": [], "dns_publish_fixed_ip": False,
            "router:external": subnet.network.external}  # the `subnet-external-network` extension


def port_body(port, is_admin: bool = False) -> dict:
    body = {**_common(port), "name": port.name, "description": port.description,
            "network_id": str(port.network_id), "mac_address": port.mac_address,
            "admin_state_up": port.admin_state_up, "status": port.status, "device_id": port.device_id,
            "device_owner": port.device_owner,
            "fixed_ips": [{"subnet_id": str(a.subnet_id), "ip_address": a.ip_address} for a in port.fixed_ips.all()],
            "security_groups": [str(g.id) for g in port.security_groups.all()],
            "port_security_enabled": port.port_security_enabled, "allowed_address_pairs": [], "extra_dhcp_opts": [],
            "binding:vnic_type": "normal", "ip_allocation": "immediate", "dns_name": "", "dns_assignment": [],
            "propagate_uplink_status": False}
    if is_admin:  # Neutron shows the binding's host details to admins only
        body.update({"binding:host_id": port.binding_host_id,
                     "binding:vif_type": "bridge" if port.binding_host_id else "unbound",
                     "binding:vif_details": {"port_filter": True} if port.binding_host_id else {},
                     "binding:profile": {}})
    return body


def rule_body(rule, is_admin: bool = False) -> dict:
    return {**_common(rule, tagged=False), "security_group_id": str(rule.security_group_id),
            "direction": rule.direction,
            "ethertype": rule.ethertype, "protocol": rule.protocol, "port_range_min": rule.port_range_min,
            "port_range_max": rule.port_range_max, "remote_ip_prefix": rule.remote_ip_prefix,
            "remote_group_id": str(rule.remote_group_id) if rule.remote_group_id else None,
            "remote_address_group_id": None, "normalized_cidr": rule.remote_ip_prefix,
            "description": rule.description, "belongs_to_default_sg": None}


def security_group_body(group, is_admin: bool = False) -> dict:
    return {**_common(group), "name": group.name, "description": group.description, "stateful": group.stateful,
            "shared": False, "security_group_rules": [rule_body(r) for r in group.rules.all()]}


def floatingip_body(fip, is_admin: bool = False) -> dict:
    return {**_common(fip), "floating_network_id": str(fip.floating_network_id),
            "floating_ip_address": fip.floating_ip_address, "port_id": str(fip.port_id) if fip.port_id else None,
            "fixed_ip_address": fip.fixed_ip_address, "router_id": None, "status": fip.status,
            "description": fip.description, "qos_policy_id": None, "port_details": None}
