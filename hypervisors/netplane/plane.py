"""DataPlane: plug and unplug ports on this host, and reconcile everything with the database's truth.

One lock (a flock on the state directory) serialises every change, across a worker's task threads and
processes. Each call converges the host to what the port records say, so repeating one is harmless.
"""
from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import logging
import os
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from hypervisors.base import FloatingIPSpec, VifSpec

from . import bridge as br
from . import firewall, nat
from .groups import GroupStore, referenced
from .commands import NetplaneError
from .dhcp import VETH_PREFIX, Dhcp, require_dnsmasq, served_subnets, veth_names
from .metadata import MetadataConfig, MetadataProxies
from .ports import PortRecord, PortStore, check_vif

LOG = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    ports: int = 0
    networks_created: list[str] = field(default_factory=list)
    networks_removed: list[str] = field(default_factory=list)
    dhcp_started: list[str] = field(default_factory=list)
    metadata_started: list[str] = field(default_factory=list)
    stale_bridges: list[str] = field(default_factory=list)
    stale_ports: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class DataPlane:
    """The data plane of one host.

    `host_netns`: the network namespace that plays the host (None: this process's own; tests pass a private
    one so nothing touches the machine's network). `ns_prefix`: DHCP namespaces are `<prefix><network id>`
    (Neutron's `qdhcp-`); only namespaces with this prefix are ever reconciled away. `metadata`: where each
    network's metadata proxy relays (None: no metadata service on this host's networks).
    """

    def __init__(self, state_dir: str | os.PathLike, *, host_netns: str | None = None,
                 ns_prefix: str = "qdhcp-", metadata: MetadataConfig | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.host_netns = host_netns
        self.ports = PortStore(self.state_dir)
        self.floating = nat.FloatingStore(self.state_dir)
        self.groups = GroupStore(self.state_dir)
        self.dhcp = Dhcp(self.state_dir, host_netns=host_netns, ns_prefix=ns_prefix, metadata=metadata is not None)
        self.metadata = MetadataProxies(self.state_dir, host_netns=host_netns, config=metadata)
        self._prepared = False

    @contextlib.contextmanager
    def _locked(self):
        with open(self.state_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _prepare(self) -> None:
        """Once, when the first port needs it (a host without ports needs neither dnsmasq nor br_netfilter)."""
        if not self._prepared:
            require_dnsmasq()
            br.enable_bridge_netfilter(self.host_netns)
            self._prepared = True

    # -- the contract the driver uses --------------------------------------------------------------

    def port_plug(self, instance_uuid: str, vif: VifSpec) -> None:
        """Afterwards the port's bridge, DHCP host entry and firewall chains exist as `vif` says (a repeat
        with changed security group rules applies the new rules). The tap itself is libvirt's."""
        vif = check_vif(vif)
        with self._locked():
            self.ports.put(instance_uuid, vif)
            self._converge_network(vif.network_id)
            self._firewall(why=f"port {vif.port_id} of instance {instance_uuid}")
        LOG.info("port %s (instance %s, network %s, %s) plugged on bridge %s", vif.port_id, instance_uuid,
                 vif.network_id, ",".join(vif.fixed_ips), vif.bridge)

    def port_unplug(self, port_id: str) -> bool:
        """Afterwards nothing of the port is left; the network's bridge, namespace and dnsmasq go with its
        last port. An unknown port succeeds. True if the port was plugged."""
        with self._locked():
            rec = self.ports.get(port_id)
            if rec is None:
                return False
            self.ports.delete(port_id)
            self._converge_network(rec.vif.network_id)
            self._firewall(why=f"port {port_id} unplugged")
        LOG.info("port %s (instance %s) unplugged", port_id, rec.instance_uuid)
        return True

    def ports_rules_refresh(self, vifs_by_instance: Mapping[str, Iterable[VifSpec]]) -> list[str]:
        """The plugged ones of these ports take their VifSpec's security group rules, loaded in one nftables
        transaction; ports not plugged here are skipped. The port ids refreshed."""
        with self._locked():
            done = [vif.port_id for uuid, vifs in vifs_by_instance.items() for vif in vifs
                    if self.ports.rules_replace(uuid, vif)]
            if done:
                self._firewall(why=f"security groups of ports {done}")
        LOG.info("security group rules refreshed on ports %s", done)
        return done

    def group_members_apply(self, members: Mapping[str, Iterable[str]]) -> list[str]:
        """The sets of those remote groups that plugged ports' rules name hold exactly `members`' addresses,
        loaded in one nftables transaction that touches no chain (only the sets whose addresses changed: a
        build's settle hands over every set its ports name); groups no rule names are not kept. The group ids
        applied."""
        loaded = {}

        def load(changed):
            firewall.apply_members(self.host_netns, changed, why="group members")
            loaded.update(changed)

        with self._locked():
            applied = self.groups.update(members, referenced(self.ports.all()), load)
        LOG.info("security group sets refreshed: %s (reloaded: %s)", {g: len(a) for g, a in applied.items()},
                 sorted(loaded))
        return sorted(applied)

    def _firewall(self, *, why: str) -> None:
        """Our tables rendered whole from the port records and the kept group members (the lock held)."""
        ports = self.ports.all()
        firewall.apply(self.host_netns, ports, self.groups.prune(referenced(ports)), why=why)

    def floating_ips_apply(self, fips: Iterable[FloatingIPSpec]) -> None:
        """Afterwards the host NATs exactly `fips`: each floating IP an address of its external network's bridge
        (made for it, and gone with the network's last floating IP unless ports need it) and DNAT/SNAT rules."""
        fips = sorted((nat.check_fip(f) for f in fips), key=lambda f: f.floating_ip)
        with self._locked():
            touched = {f.network_id for f in self.floating.all()} | {f.network_id for f in fips}
            self.floating.put(fips)
            if fips:
                self._prepare()
                nat.enable_forwarding(self.host_netns)
            for network_id in sorted(touched):
                self._converge_network(network_id)
            nat.apply(self.host_netns, fips, why="floating IPs")
        LOG.info("floating IPs NATed: %s", [f"{f.floating_ip}->{f.fixed_ip}" for f in fips])

    def instance_unplug(self, instance_uuid: str) -> list[str]:
        """Unplug every port of the instance (its destroy); the port ids unplugged."""
        done = [r.vif.port_id for r in self.ports.all() if r.instance_uuid == instance_uuid]
        for port_id in done:
            self.port_unplug(port_id)
        return done

    def instance_ports(self, instance_uuid: str) -> list[VifSpec]:
        return [r.vif for r in self.ports.all() if r.instance_uuid == instance_uuid]

    # -- networks ----------------------------------------------------------------------------------

    def _converge_network(self, network_id: str, report: ReconcileReport | None = None) -> None:
        """The network's bridge with its subnets' gateways (for its ports) and its floating IPs (an external
        network's) on it, and its DHCP server for its ports; nothing of it when it has neither."""
        ports = [r for r in self.ports.all() if r.vif.network_id == network_id]
        fips = [f for f in self.floating.all() if f.network_id == network_id]
        if not ports and not fips:
            removed = self._remove_network(network_id)
            if removed and report is not None:
                report.networks_removed.append(network_id)
            return
        self._prepare()
        vifs = [r.vif for r in ports]
        addresses = {f"{v.gateway}/{ipaddress.ip_network(v.cidr).prefixlen}" for v in vifs if v.cidr and v.gateway}
        addresses |= {f"{f.floating_ip}/{ipaddress.ip_network(f.cidr).prefixlen}" for f in fips}
        bridge = br.bridge_name(network_id)
        created = br.bridge_ensure(self.host_netns, bridge, addresses=addresses,
                                   mtu=max([v.mtu for v in vifs] or [1500]), network_id=network_id)
        proxy = "unchanged"
        if ports:
            done = self.dhcp.ensure(network_id, bridge, ports)
            # the proxy listens on 169.254.169.254, which the namespace has while it serves DHCP
            if served_subnets(ports):
                proxy = self.metadata.ensure(network_id, self.dhcp.namespace(network_id))
            else:
                self.metadata.remove(network_id)
        else:  # an external network with floating IPs only: no DHCP of ours there
            self.metadata.remove(network_id)
            done = "removed" if self.dhcp.remove(network_id) else "unchanged"
        if report is not None:
            if created:
                report.networks_created.append(network_id)
            if done == "started":
                report.dhcp_started.append(network_id)
            if proxy == "started":
                report.metadata_started.append(network_id)

    def _remove_network(self, network_id: str) -> bool:
        found = self.metadata.remove(network_id)  # first: its socket would keep the namespace alive
        found |= self.dhcp.remove(network_id)
        bridge = br.bridge_name(network_id)
        found |= br.link_delete(self.host_netns, bridge, why=f"network {network_id}")
        return found

    # -- reconcile ---------------------------------------------------------------------------------

    def reconcile(self, vifs_by_instance: Mapping[str, Iterable[VifSpec]],
                  group_members: Mapping[str, Iterable[str]] | None = None) -> ReconcileReport:
        """Make the host's data plane exactly what `vifs_by_instance` (the database's truth: every live
        instance on this host and its ports) needs, its group sets holding `group_members`: port records,
        bridges, namespaces, dnsmasq processes, nftables chains and sets that nothing needs go; missing ones
        are made again."""
        report = ReconcileReport()
        wanted: dict[str, PortRecord] = {}
        for uuid, vifs in vifs_by_instance.items():
            for vif in vifs:
                try:
                    vif = check_vif(vif)
                except NetplaneError as exc:
                    LOG.error("reconcile: instance %s: %s: port skipped", uuid, exc)
                    continue
                wanted[vif.port_id] = PortRecord(uuid, vif)
        with self._locked():
            for rec in self.ports.all():
                if rec.vif.port_id not in wanted:
                    self.ports.delete(rec.vif.port_id)
                    report.stale_ports.append(rec.vif.port_id)
            for rec in wanted.values():
                self.ports.put(rec.instance_uuid, rec.vif)
            report.ports = len(wanted)
            by_network: dict[str, list[PortRecord]] = defaultdict(list)
            for rec in wanted.values():
                by_network[rec.vif.network_id].append(rec)
            networks = set(by_network) | {f.network_id for f in self.floating.all()}  # external: floating IPs
            for network_id in sorted((self.dhcp.known() | self.metadata.known()) - networks):
                self._remove_network(network_id)
                report.networks_removed.append(network_id)
            needed_bridges = {br.bridge_name(n) for n in networks}
            needed_veths = {veth_names(n)[0] for n in by_network}
            for name in br.bridges(self.host_netns):
                if name not in needed_bridges:
                    br.link_delete(self.host_netns, name, why="reconcile: stale bridge")
                    report.stale_bridges.append(name)
            for name in br.veths_with_prefix(self.host_netns, VETH_PREFIX):
                if name not in needed_veths:
                    br.link_delete(self.host_netns, name, why="reconcile: stale DHCP veth")
            for network_id in sorted(networks):
                try:
                    self._converge_network(network_id, report)
                except NetplaneError as exc:  # one broken network must not keep the others down
                    LOG.error("reconcile: network %s: %s", network_id, exc)
            keep = referenced(self.ports.all())
            self.groups.update({g: (group_members or {}).get(g, ()) for g in keep}, keep)
            self._firewall(why="reconcile")
            nat.apply(self.host_netns, self.floating.all(), why="reconcile")
        LOG.info("data plane reconciled: %s", {k: v for k, v in report.as_dict().items() if v})
        return report
