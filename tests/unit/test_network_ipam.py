"""The address rules of the network service (pure Python): default gateway and pools, pool validation, the
candidate order, MAC addresses."""
import ipaddress

import pytest

from compute_platform.network import ipam
from compute_platform.network.exceptions import InvalidInput


def test_default_pools_leave_out_the_gateway_and_broadcast():
    net = ipam.parse_cidr("10.0.0.0/28")
    assert ipam.default_gateway(net) == "10.0.0.1"
    assert ipam.default_pools(net, "10.0.0.1") == [{"start": "10.0.0.2", "end": "10.0.0.14"}]
    assert ipam.default_pools(net, "10.0.0.5") == [{"start": "10.0.0.1", "end": "10.0.0.4"},
                                                   {"start": "10.0.0.6", "end": "10.0.0.14"}]
    assert ipam.default_pools(net, None) == [{"start": "10.0.0.1", "end": "10.0.0.14"}]
    assert ipam.pool_size(ipam.default_pools(net, "10.0.0.1")) == 13


@pytest.mark.parametrize("pools", [
    [{"start": "10.0.0.9", "end": "10.0.0.3"}],                                      # reversed
    [{"start": "10.0.0.2", "end": "10.0.1.3"}],                                      # outside the subnet
    [{"start": "10.0.0.2", "end": "10.0.0.6"}, {"start": "10.0.0.5", "end": "10.0.0.8"}],  # overlapping
    [{"start": "10.0.0.1", "end": "10.0.0.6"}],                                      # holds the gateway
    [{"start": "10.0.0.2"}],                                                         # no end
])
def test_invalid_pools_are_refused(pools):
    with pytest.raises(InvalidInput):
        ipam.validate_pools(ipam.parse_cidr("10.0.0.0/24"), pools, "10.0.0.1")


@pytest.mark.parametrize("cidr", ["10.0.0.0/31", "fd00::/127", "nonsense", "10.0.0.0/33"])
def test_subnets_without_room_or_sense_are_refused(cidr):
    with pytest.raises(InvalidInput):
        ipam.parse_cidr(cidr)


def test_candidates_are_the_free_addresses_lowest_window_first():
    size = ipam.WINDOW + 13  # a first pool larger than the window
    end = str(ipaddress.ip_address("10.0.0.2") + size - 1)
    pools = [{"start": "10.0.0.2", "end": end}, {"start": "10.9.0.40", "end": "10.9.0.41"}]
    used = {"10.0.0.3", "10.9.0.40"}
    got = list(ipam.candidates(pools, used))
    assert len(got) == len(set(got)) == size + 2 - 2 and not used & set(got)
    first = [str(ipaddress.ip_address("10.0.0.2") + i) for i in range(ipam.WINDOW + 1) if i != 1]
    assert sorted(got[:ipam.WINDOW], key=ipaddress.ip_address) == first
    assert got[ipam.WINDOW:] == sorted(got[ipam.WINDOW:], key=ipaddress.ip_address)


def test_candidates_are_lazy_on_a_huge_pool():
    pools = [{"start": "fd00::2", "end": "fd00::ffff:ffff:ffff"}]
    gen = ipam.candidates(pools, set())
    assert ipaddress.ip_address(next(gen)) in ipaddress.ip_network("fd00::/64")


def test_macs():
    mac = ipam.random_mac("fa:16:3e:00:00:00")
    assert mac.startswith("fa:16:3e:") and ipam.valid_mac(mac) == mac
    assert ipam.valid_mac("FA:16:3E:AA:BB:CC") == "fa:16:3e:aa:bb:cc"
    for bad in ("fa:16:3e:aa:bb", "zz:16:3e:aa:bb:cc", "01:00:5e:00:00:01"):
        with pytest.raises(InvalidInput):
            ipam.valid_mac(bad)
