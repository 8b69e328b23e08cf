"""Security group rules as nftables matches, and the checks every value passes before it reaches a command
line or the ruleset (the ruleset itself is loaded into a real kernel by tests/integration/test_netplane.py)."""
import pytest

from hypervisors.base import SecurityGroupRule as R
from hypervisors.base import VifSpec
from hypervisors.netplane import NetplaneError
from hypervisors.base import FloatingIPSpec
from hypervisors.netplane import nat
from hypervisors.netplane import groups
from hypervisors.netplane.firewall import render, rule_match
from hypervisors.netplane.ports import PortRecord, check_vif


@pytest.mark.parametrize("rule, match", [
    (R("ingress"), "meta nfproto ipv4"),
    (R("egress", ethertype="IPv6"), "meta nfproto ipv6"),
    (R("ingress", protocol="tcp", port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.0/8"),
     "meta nfproto ipv4 ip saddr 10.0.0.0/8 tcp dport 22"),
    (R("egress", protocol="udp", port_range_min=1000, port_range_max=2000, remote_ip_prefix="10.1.2.3/32"),
     "meta nfproto ipv4 ip daddr 10.1.2.3/32 udp dport 1000-2000"),
    (R("ingress", protocol="6"), "meta nfproto ipv4 meta l4proto tcp"),
    (R("ingress", protocol="icmp", port_range_min=8, port_range_max=0),
     "meta nfproto ipv4 meta l4proto icmp icmp type 8 icmp code 0"),
    (R("ingress", ethertype="IPv6", protocol="icmp"), "meta nfproto ipv6 meta l4proto ipv6-icmp"),
    (R("ingress", protocol="gre"), "meta nfproto ipv4 meta l4proto 47"),
    (R("ingress", ethertype="IPv6", remote_ip_prefix="10.0.0.0/8"), None),  # family mismatch: skipped
    (R("ingress", protocol="bogus"), None),
    (R("ingress", remote_group_id="g1"), "meta nfproto ipv4 ip saddr @g4-g1"),
    (R("egress", ethertype="IPv6", protocol="tcp", remote_group_id="g1"), "meta nfproto ipv6 ip6 daddr @g6-g1 meta l4proto tcp"),
])
def test_rule_match(rule, match):
    assert rule_match(rule) == match


def test_values_are_checked_before_they_reach_the_ruleset():
    good = VifSpec(port_id="p1", mac="FA:16:3E:00:00:01", network_id="n1", fixed_ips=("10.0.0.5",),
                   cidr="10.0.0.0/24")
    assert check_vif(good).mac == "fa:16:3e:00:00:01"
    for bad in (dict(port_id="p1; drop"), dict(mac="fa:16:3e:00:00"), dict(fixed_ips=("10.0.0.5 }",)),
                dict(network_id="../etc"), dict(mtu=10), dict(dhcp_server="10.0.0.2 --x"),
                dict(security_group_rules=(R("ingress", remote_ip_prefix="any; accept"),)),
                dict(security_group_rules=(R("ingress", remote_group_id="g1 } accept"),))):
        with pytest.raises(NetplaneError):
            check_vif(VifSpec(**{**good.__dict__, **bad}))


def test_render_has_a_chain_per_port_and_no_tables_without_ports():
    v = check_vif(VifSpec(port_id="p1", mac="fa:16:3e:00:00:01", network_id="n1", fixed_ips=("10.0.0.5",),
                          security_group_rules=(R("ingress", protocol="tcp", port_range_min=80, port_range_max=80),)))
    text = render([PortRecord("i1", v)])
    assert "chain in-p1 {" in text and "chain out-p1 {" in text and "chain spoof-p1 {" in text
    assert "ip daddr 10.0.0.5 jump in-p1" in text and 'iifname "tapp1" jump spoof-p1' in text
    assert "meta nfproto ipv4 tcp dport 80 accept" in text
    assert render([]).count("delete table") == 2 and "chain" not in render([])


def test_nat_renders_dnat_and_snat_per_floating_ip_and_checks_its_values():
    fip = FloatingIPSpec(floating_ip="203.0.113.10", fixed_ip="10.0.0.5", port_id="p1", network_id="ext1",
                         cidr="203.0.113.0/24")
    text = nat.render([nat.check_fip(fip)])
    assert text.count("ip daddr 203.0.113.10 dnat to 10.0.0.5") == 2  # prerouting, and output for the host
    assert 'oifname "brqext1" ip saddr 10.0.0.5 snat to 203.0.113.10' in text
    assert nat.render([]).splitlines() == ["table ip compute_platform_nat", "delete table ip compute_platform_nat"]
    for bad in (dict(floating_ip="203.0.114.1"), dict(fixed_ip="10.0.0.5; drop"), dict(network_id="x y"),
                dict(cidr="2001:db8::/64")):
        with pytest.raises(NetplaneError):
            nat.check_fip(FloatingIPSpec(**{**fip.__dict__, **bad}))


def test_a_remote_group_is_one_set_per_ethertype_that_a_member_change_reloads_alone(tmp_path):
    rules = (R("ingress", remote_group_id="g1"), R("ingress", ethertype="IPv6", remote_group_id="g1"))
    ports = [PortRecord(f"i{n}", check_vif(VifSpec(port_id=f"p{n}", mac=f"fa:16:3e:00:00:0{n}", network_id="n1",
                                                   fixed_ips=(f"10.0.0.{n}",), security_group_rules=rules)))
             for n in (1, 2)]
    text = render(ports, {"g1": ("10.0.0.1", "10.0.0.2", "fd00::1")})
    # one set per group and ethertype, declared once for both ports, before the chains that use it
    assert text.count("set g4-g1 {") == 1 and text.count("set g6-g1 {") == 1
    assert "elements = { 10.0.0.1, 10.0.0.2 }" in text and "elements = { fd00::1 }" in text
    assert text.index("set g4-g1") < text.index("chain in-p1") and text.count("ip saddr @g4-g1 accept") == 2
    assert "set g" not in render([], {"g1": ("10.0.0.1",)})  # no ports: no sets
    update = groups.render_update("compute_platform", {"g1": ("10.0.0.1", "fd00::1")})
    assert update.splitlines() == ["flush set inet compute_platform g4-g1",
                                   "add element inet compute_platform g4-g1 { 10.0.0.1 }",
                                   "flush set inet compute_platform g6-g1",
                                   "add element inet compute_platform g6-g1 { fd00::1 }"]
    assert "chain" not in update
    # the store keeps only the groups a rule names, and checks what reaches the ruleset
    store = groups.GroupStore(tmp_path)
    assert store.update({"g1": ["10.0.0.2", "10.0.0.1", "10.0.0.2"], "g2": ["10.0.0.3"]}, keep={"g1"}) == {
        "g1": ("10.0.0.1", "10.0.0.2")}
    assert store.all() == {"g1": ("10.0.0.1", "10.0.0.2")}
    # only the sets whose members changed are loaded, before the file is written (a failed load leaves it)
    loaded = []
    store.update({"g1": ["10.0.0.1", "10.0.0.2"], "g3": ["10.0.0.5"]}, keep={"g1", "g3"}, load=loaded.append)
    assert loaded == [{"g3": ("10.0.0.5",)}]

    def refused(changed):
        raise NetplaneError("nft refused")

    with pytest.raises(NetplaneError):
        store.update({"g1": ["10.0.0.9"]}, keep={"g1", "g3"}, load=refused)
    assert store.all() == {"g1": ("10.0.0.1", "10.0.0.2"), "g3": ("10.0.0.5",)}
    store.update({"g1": ["10.0.0.9"]}, keep={"g1", "g3"}, load=loaded.append)
    assert loaded[-1] == {"g1": ("10.0.0.9",)}  # loaded again, as the failed load was not recorded
    store.update({"g1": ["10.0.0.9"], "g3": ["10.0.0.5"]}, keep={"g1", "g3"}, load=loaded.append)
    assert len(loaded) == 2  # nothing changed: nothing loaded
    assert store.prune(set()) == {} and store.all() == {}
    for bad in ({"g1": ["10.0.0.1 }"]}, {"g1 ; x": []}):
        with pytest.raises(NetplaneError):
            store.update(bad, keep={"g1"})
