"""Address management rules, pure Python (no Django): subnet validation, allocation pools, MAC addresses.
The allocation itself (services/ports.py) inserts rows that a unique constraint guards."""
import ipaddress
import random
from typing import Iterator

from .exceptions import InvalidInput

WINDOW = 256  # free addresses an allocation picks among at random (see candidates)


def parse_cidr(cidr: str, ip_version: int | None = None) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        raise InvalidInput(f"'{cidr}' is not a valid IP subnet.")
    if ip_version is not None and net.version != ip_version:
        raise InvalidInput(f"Cidr {cidr} does not match ip_version {ip_version}")
    if (net.version == 4 and net.prefixlen > 30) or (net.version == 6 and net.prefixlen > 126):
        raise InvalidInput(f"Subnet {cidr} is too small: it has no room for hosts.")
    return net


def parse_cidr_any(cidr):
    """Any network (a route's destination may be 0.0.0.0/0)."""
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        raise InvalidInput(f"'{cidr}' is not a valid IP subnet.")


def parse_ip(value, net=None) -> str:
    try:
        ip = ipaddress.ip_address(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid IP address.")
    if net is not None and ip not in net:
        raise InvalidInput(f"IP address {value} is not a valid IP for the specified subnet.")
    return str(ip)


def default_gateway(net) -> str:
    return str(net.network_address + 1)


def default_pools(net, gateway: str | None) -> list[dict]:
    """Every host address but the gateway (and, for IPv4, the broadcast), as Neutron computes it."""
    first = net.network_address + 1
    last = net.broadcast_address - 1 if net.version == 4 else net.broadcast_address
    pools, gw = [], ipaddress.ip_address(gateway) if gateway else None
    if gw is not None and first <= gw <= last:
        if gw > first:
            pools.append((first, gw - 1))
        if gw < last:
            pools.append((gw + 1, last))
    else:
        pools.append((first, last))
    return [{"start": str(a), "end": str(b)} for a, b in pools]


def validate_pools(net, pools: list, gateway: str | None) -> list[dict]:
    """The pools, checked: inside the subnet, start <= end, not overlapping, not holding the gateway."""
    out, ranges = [], []
    for pool in pools:
        if not isinstance(pool, dict) or "start" not in pool or "end" not in pool:
            raise InvalidInput("allocation_pools entries need 'start' and 'end'.")
        start = ipaddress.ip_address(parse_ip(pool["start"], net))
        end = ipaddress.ip_address(parse_ip(pool["end"], net))
        if start > end:
            raise InvalidInput(f"The allocation pool {start}-{end} is not valid.")
        if start in (net.network_address,) or (net.version == 4 and end == net.broadcast_address):
            raise InvalidInput(f"The allocation pool {start}-{end} spans beyond the subnet cidr {net}.")
        for a, b in ranges:
            if start <= b and a <= end:
                raise InvalidInput(f"Found overlapping allocation pools: {start}-{end} and {a}-{b}")
        if gateway and start <= ipaddress.ip_address(gateway) <= end:
            raise InvalidInput(f"Gateway ip {gateway} conflicts with allocation pool {start}-{end}")
        ranges.append((start, end))
        out.append({"start": str(start), "end": str(end)})
    return out


def pool_size(pools: list[dict]) -> int:
    return sum(int(ipaddress.ip_address(p["end"])) - int(ipaddress.ip_address(p["start"])) + 1 for p in pools)


def candidates(pools: list[dict], used: set[str]) -> Iterator[str]:
    """Free addresses of the pools, lowest first, generated lazily (a /16 is not listed up front). The first
    WINDOW free ones come in a random order, so concurrent allocations mostly try different addresses instead
    of all racing for the lowest one (as Neutron's IPAM picks among the first free). A collision is costly: the
    loser's INSERT waits for the winner's whole transaction (a server create's), so the window is wide enough
    that 8 concurrent creates rarely pick one address (16 made most bursts collide: measured, wt-netperf)."""
    def free() -> Iterator[str]:
        for pool in pools:
            start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
            text = _ipv4_text if start.version == 4 else (lambda n, make=type(start): str(make(n)))
            for n in range(int(start), int(end) + 1):
                ip = text(n)
                if ip not in used:
                    yield ip

    gen = free()
    if pool_size(pools) - len(used) < WINDOW:  # maybe fewer than WINDOW free: list them up front
        window = [ip for _, ip in zip(range(WINDOW), gen)]
        random.shuffle(window)
        yield from window
        yield from gen
        return
    # The window holds WINDOW addresses for sure: its random order is drawn one index at a time (Fisher-Yates,
    # the swaps in a dict) and it is listed only as far as the draws reach. A create's first candidate mostly
    # wins, and then costs a walk to one random point of the window, not the whole window and its shuffle.
    window, swapped = [], {}
    for i in range(WINDOW):
        j = random.randrange(i, WINDOW)
        pick = swapped.get(j, j)
        swapped[j] = swapped.get(i, i)
        while len(window) <= pick:
            window.append(next(gen))
        yield window[pick]
    yield from gen


def _ipv4_text(n: int) -> str:
    """str(IPv4Address(n)), without the object: a create walks past every taken address of the pool."""
    return f"{n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def contains(cidr: str, ip: str) -> bool:
    """Whether `ip` (any text) is an address of `cidr`; False for text that is no address."""
    try:
        return ipaddress.ip_address(str(ip)) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def in_pools(ip: str, pools: list[dict]) -> bool:
    addr = ipaddress.ip_address(ip)
    return any(ipaddress.ip_address(p["start"]) <= addr <= ipaddress.ip_address(p["end"]) for p in pools)


def random_mac(base: str = "fa:16:3e:00:00:00") -> str:
    prefix = base.lower().split(":")[:3]
    return ":".join(prefix + [f"{random.randint(0, 255):02x}" for _ in range(3)])


def valid_mac(value: str) -> str:
    parts = str(value).lower().split(":")
    if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts):
        raise InvalidInput(f"'{value}' is not a valid MAC address")
    if int(parts[0], 16) & 1:
        raise InvalidInput(f"'{value}' is a multicast MAC address")
    return ":".join(parts)
