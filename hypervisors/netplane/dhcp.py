"""DHCP for one network: dnsmasq in its own network namespace, plugged into the bridge by a veth pair, giving
each port its fixed IP by MAC and nothing else (`--dhcp-range ...,static`: an address the network service
did not allocate is never handed out).

Files under `<state dir>/dhcp/<network id>/`: `hosts` (MAC,name,IP a line) and `opts` (router, DNS, MTU),
both re-read by dnsmasq on SIGHUP, `pid`, `args` (the command line it was started with: a change of subnets
needs a restart, not a reload) and `log`.

The DHCP server's own address on each subnet is its DHCP port's (`VifSpec.dhcp_server`: the network service
allocates it like any port's, so no guest can hold it); it is not on the bridge, whose address is the gateway.
A subnet without one (DHCP disabled) is not served.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import shutil
import signal
from pathlib import Path

from .bridge import link_delete, veth_ensure
from .commands import NetplaneError, in_netns, ip, pid_from_file, processes_with_arg, run, stop_process
from .metadata_proxy import METADATA_ADDRESS
from .ports import PortRecord

LOG = logging.getLogger(__name__)
DNSMASQ = "dnsmasq"
LEASE_TIME = "86400s"
VETH_PREFIX = "dhcp"  # + network id[:11]: 15 characters, the most a link name may have


def veth_names(network_id: str) -> tuple[str, str]:
    """(bridge end, namespace end) of a network's DHCP veth pair, within IFNAMSIZ."""
    return f"{VETH_PREFIX}{network_id[:11]}", f"ns{network_id[:11]}"


class Dhcp:
    """The DHCP servers of one host: one per network, in namespace `<ns_prefix><network id>`."""

    def __init__(self, state_dir: Path, *, host_netns: str | None, ns_prefix: str, metadata: bool = False) -> None:
        self.dir = state_dir / "dhcp"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host_netns, self.ns_prefix = host_netns, ns_prefix
        # a metadata proxy runs in the namespaces: 169.254.169.254 is theirs, and DHCP routes guests to it
        self.metadata = metadata

    def namespace(self, network_id: str) -> str:
        return f"{self.ns_prefix}{network_id}"

    def _net_dir(self, network_id: str) -> Path:
        return self.dir / network_id

    # -- namespaces and processes ------------------------------------------------------------------

    def namespaces(self) -> list[str]:
        """Network ids whose DHCP namespace exists now."""
        out = run(["ip", "netns", "list"], what="listing network namespaces").stdout
        names = [line.split()[0] for line in out.splitlines() if line.strip()]
        return sorted(n[len(self.ns_prefix):] for n in names if n.startswith(self.ns_prefix))

    def pid(self, network_id: str) -> int | None:
        """The pid of this network's dnsmasq if it runs."""
        return pid_from_file(self._net_dir(network_id) / "pid")

    def running(self) -> dict[str, int]:
        """{network id: pid} of every dnsmasq started from this state directory, pid file or not."""
        return processes_with_arg(f"--pid-file={self.dir}/")

    # -- one network -------------------------------------------------------------------------------

    def ensure(self, network_id: str, bridge: str, ports: list[PortRecord]) -> str:
        """Afterwards the network's namespace, veth and dnsmasq exist and serve exactly `ports` (the
        network's ports on this host). Returns what was done: "started", "reloaded" or "unchanged"."""
        why = f"network {network_id}"
        servers = served_subnets(ports)
        subnets = sorted(servers)
        mtu = max([p.vif.mtu for p in ports] or [1500])
        ns = self.namespace(network_id)
        if network_id not in self.namespaces():
            run(["ip", "netns", "add", ns], what=f"{why}: creating namespace {ns}")
            ip(ns, "link", "set", "lo", "up", what=f"{why}: lo up in {ns}")
            LOG.info("%s: created namespace %s", why, ns)
        host_end, ns_end = veth_names(network_id)
        veth_ensure(self.host_netns, host_end, peer=ns_end, peer_netns=ns, bridge=bridge, mtu=mtu, why=why)
        wanted = {f"{servers[c]}/{ipaddress.ip_network(c).prefixlen}" for c in subnets}
        if self.metadata and subnets:
            wanted.add(f"{METADATA_ADDRESS}/32")
        have = {line.split()[3] for line in ip(ns, "-o", "-4", "addr", "show", "dev", ns_end,
                                               what=f"{why}: addresses of {ns_end}").stdout.splitlines()}
        for addr in sorted(wanted - have):
            ip(ns, "addr", "add", addr, "dev", ns_end, what=f"{why}: DHCP address {addr}")
        for addr in sorted(have - wanted):
            ip(ns, "addr", "del", addr, "dev", ns_end, what=f"{why}: removing {addr}")

        d = self._net_dir(network_id)
        d.mkdir(exist_ok=True)
        changed = _write(d / "hosts", _hosts(ports)) | _write(d / "opts", _opts(ports, subnets, servers if self.metadata else None))
        args = self._args(network_id, ns_end, subnets, len(ports))
        pid = self.pid(network_id)
        if pid is not None and (d / "args").exists() and json.loads((d / "args").read_text()) == args:
            if not changed:
                return "unchanged"
            os.kill(pid, signal.SIGHUP)  # re-reads the hosts and opts files
            LOG.info("%s: dnsmasq %d reloaded for %d ports", why, pid, len(ports))
            return "reloaded"
        if pid is not None:
            stop_process(pid, what=f"{why}: dnsmasq")
        _write(d / "args", json.dumps(args))
        if subnets:
            run(in_netns(ns, args), what=f"{why}: starting dnsmasq")
            LOG.info("%s: dnsmasq %s started in %s for subnets %s, %d ports", why, self.pid(network_id), ns,
                     subnets, len(ports))
        return "started"

    def _args(self, network_id: str, ns_end: str, subnets: list[str], n_ports: int) -> list[str]:
        d = self._net_dir(network_id)
        args = [DNSMASQ, "--conf-file=/dev/null", "--no-hosts", "--no-resolv", "--port=0", "--leasefile-ro",
                f"--pid-file={d / 'pid'}", f"--dhcp-hostsfile={d / 'hosts'}", f"--dhcp-optsfile={d / 'opts'}",
                f"--log-facility={d / 'log'}", "--log-dhcp", "--bind-interfaces", f"--interface={ns_end}",
                "--except-interface=lo", "--dhcp-authoritative", f"--dhcp-lease-max={max(16, 4 * n_ports)}",
                "--user=root"]  # root: the hosts file stays readable to it whatever the state directory's modes
        for i, cidr in enumerate(subnets):
            net = ipaddress.ip_network(cidr)
            args.append(f"--dhcp-range=set:subnet{i},{net.network_address},static,{net.netmask},{LEASE_TIME}")
        return args

    def remove(self, network_id: str) -> bool:
        """Stop the network's dnsmasq, delete its namespace (and with it the veth pair) and its files.
        True if anything was there."""
        why = f"network {network_id}"
        found = False
        pid = self.pid(network_id) or self.running().get(network_id)
        if pid is not None:
            stop_process(pid, what=f"{why}: dnsmasq")
            found = True
        if network_id in self.namespaces():
            run(["ip", "netns", "del", self.namespace(network_id)], what=f"{why}: deleting namespace")
            LOG.info("%s: deleted namespace %s", why, self.namespace(network_id))
            found = True
        found |= link_delete(self.host_netns, veth_names(network_id)[0], why=why)
        if self._net_dir(network_id).exists():
            shutil.rmtree(self._net_dir(network_id), ignore_errors=True)
        return found

    def known(self) -> set[str]:
        """Network ids that have anything of DHCP on this host: files, namespace or process."""
        files = {p.name for p in self.dir.iterdir() if p.is_dir()}
        return files | set(self.namespaces()) | set(self.running())


def served_subnets(ports: list[PortRecord]) -> dict[str, str]:
    """{cidr: the DHCP server's address} of the IPv4 subnets with DHCP among the ports' (what dnsmasq serves)."""
    return {p.vif.cidr: p.vif.dhcp_server for p in ports
            if p.vif.cidr and p.vif.dhcp_server and ipaddress.ip_network(p.vif.cidr).version == 4}


def _hosts(ports: list[PortRecord]) -> str:
    lines = []
    for p in sorted(ports, key=lambda r: r.vif.port_id):
        for a in p.vif.fixed_ips:
            if ipaddress.ip_address(a).version == 4:
                lines.append(f"{p.vif.mac},host-{a.replace('.', '-')},{a}")
                break  # one IPv4 address per MAC: DHCPv4 gives one
    return "".join(f"{line}\n" for line in lines)


def _opts(ports: list[PortRecord], subnets: list[str], metadata_via: dict[str, str] | None = None) -> str:
    """`metadata_via`: {cidr: the DHCP port's address} when a metadata proxy listens there."""
    lines = []
    for i, cidr in enumerate(subnets):
        on_subnet = [p.vif for p in ports if p.vif.cidr == cidr]
        gateway = next((v.gateway for v in on_subnet if v.gateway), None)
        dns = next((v.dns_nameservers for v in on_subnet if v.dns_nameservers), ())
        lines.append(f"tag:subnet{i},option:router" + (f",{gateway}" if gateway else ""))
        if metadata_via:
            # Neutron's isolated metadata: 169.254.169.254 via the DHCP port (option 121). A client that takes
            # classless routes ignores the router option (RFC 3442), so the default route is repeated here.
            routes = f"{METADATA_ADDRESS}/32,{metadata_via[cidr]}" + (f",0.0.0.0/0,{gateway}" if gateway else "")
            lines.append(f"tag:subnet{i},option:classless-static-route,{routes}")
        lines.append(f"tag:subnet{i},option:dns-server" + "".join(f",{a}" for a in dns))
        mtu = max(v.mtu for v in on_subnet)
        lines.append(f"tag:subnet{i},option:mtu,{mtu}")
    return "".join(f"{line}\n" for line in lines)


def _write(path: Path, text: str) -> bool:
    """Write `text` to `path` atomically if it differs; True if it did."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def require_dnsmasq() -> None:
    if shutil.which(DNSMASQ) is None:
        raise NetplaneError("dnsmasq is not installed: apt-get install dnsmasq-base")
