"""A server's NICs as its host plugs them (network/selectors_instances.py: instance_vifs): one query joins a
port's addresses, subnets, DHCP server and rules, a row per address and rule, so each must come out once."""
import pytest

from compute_platform.network.selectors_instances import instance_vifs
from compute_platform.network.services.networks import network_create, subnet_create
from compute_platform.network.services.ports import port_create
from compute_platform.network.services.security_groups import (security_group_create, security_group_default_ensure,
                                                                 security_group_rule_create)

pytestmark = pytest.mark.service


def test_a_dual_stack_port_in_two_groups_has_each_address_and_rule_once(world):
    ctx, project = world.context(), world.project.pk
    net = network_create(context=ctx, project_id=project, values={"name": "dual", "mtu": 1400})
    subnet_create(context=ctx, project_id=project, network=net,
                  values={"cidr": "fd00:77::/64", "ip_version": 6, "enable_dhcp": False})
    v4 = subnet_create(context=ctx, project_id=project, network=net,
                       values={"cidr": "10.77.0.0/24", "dns_nameservers": ["10.77.0.53"]})
    web = security_group_create(project_id=project, name="web")
    security_group_rule_create(group=web, values={"direction": "ingress", "protocol": "tcp", "port_range_min": 80,
                                                  "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"})
    default = security_group_default_ensure(project_id=project)
    server = world.instance(host=None)
    port = port_create(context=ctx, project_id=project, network_id=net.id, values={
        "device_owner": "compute:nova", "device_id": str(server.uuid), "security_groups": [str(default.id), str(web.id)]})
    [vif] = instance_vifs(instance_uuid=server.uuid)
    addresses = [a.ip_address for a in port.fixed_ips.order_by("id")]
    assert len(addresses) == 2 and vif["fixed_ips"] == addresses
    # the guest is told of its IPv4 subnet, whichever came first
    assert (vif["cidr"], vif["gateway"], vif["dns_nameservers"], vif["mtu"]) == (
        "10.77.0.0/24", v4.gateway_ip, ["10.77.0.53"], 1400)
    # default: egress v4 and v6, ingress v4 and v6 from the group; web: egress v4 and v6 (made with it), tcp 80
    rules = sorted((r["direction"], r["ethertype"], r["port_range_min"] or 0) for r in vif["security_group_rules"])
    assert rules == [("egress", "IPv4", 0), ("egress", "IPv4", 0), ("egress", "IPv6", 0), ("egress", "IPv6", 0),
                     ("ingress", "IPv4", 0), ("ingress", "IPv4", 80), ("ingress", "IPv6", 0)]
    assert vif["dhcp_server"] is not None  # the IPv4 subnet's DHCP port
    assert (vif["port_id"], vif["mac"], vif["network_id"]) == (str(port.id), port.mac_address, str(net.id))
