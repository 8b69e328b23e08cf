"""The ports this host has plugged, one JSON file each (`<state dir>/ports/<port id>.json`): the VifSpec and
its instance. The data plane renders its firewall and DHCP hosts from them, and the driver answers
`list_vifs` from them. A copy: worker start rebuilds it from the database (DataPlane.reconcile).

Every value is checked here before it reaches a file name, a command line or the nftables ruleset.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypervisors.base import SecurityGroupRule, VifSpec

from .commands import NetplaneError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def check_vif(vif: VifSpec) -> VifSpec:
    """`vif` with its addresses normalised; NetplaneError if any value is malformed."""
    where = f"port {vif.port_id!r}"
    if not _ID.match(vif.port_id) or not _ID.match(vif.network_id):
        raise NetplaneError(f"{where}: port and network ids must be letters, digits, '-' or '_'")
    mac = vif.mac.lower()
    if not _MAC.match(mac):
        raise NetplaneError(f"{where}: bad MAC {vif.mac!r}")
    try:
        fixed = tuple(str(ipaddress.ip_address(a)) for a in vif.fixed_ips)
        cidr = str(ipaddress.ip_network(vif.cidr, strict=False)) if vif.cidr else None
        gateway = str(ipaddress.ip_address(vif.gateway)) if vif.gateway else None
        dns = tuple(str(ipaddress.ip_address(a)) for a in vif.dns_nameservers)
        dhcp_server = str(ipaddress.ip_address(vif.dhcp_server)) if vif.dhcp_server else None
        rules = tuple(check_rule(r) for r in vif.security_group_rules)
    except ValueError as exc:
        raise NetplaneError(f"{where}: {exc}") from exc
    if not 68 <= int(vif.mtu) <= 65535:
        raise NetplaneError(f"{where}: bad MTU {vif.mtu!r}")
    return dataclasses.replace(vif, mac=mac, fixed_ips=fixed, cidr=cidr, gateway=gateway, dns_nameservers=dns,
                               mtu=int(vif.mtu), security_group_rules=rules, dhcp_server=dhcp_server)


def check_rule(rule: SecurityGroupRule) -> SecurityGroupRule:
    if rule.direction not in ("ingress", "egress") or rule.ethertype not in ("IPv4", "IPv6"):
        raise ValueError(f"bad rule direction/ethertype {rule.direction!r}/{rule.ethertype!r}")
    prefix = str(ipaddress.ip_network(rule.remote_ip_prefix, strict=False)) if rule.remote_ip_prefix else None
    lo, hi = rule.port_range_min, rule.port_range_max
    for v in (lo, hi):
        if v is not None and not (isinstance(v, int) and 0 <= v <= 65535):
            raise ValueError(f"bad port range {lo!r}-{hi!r}")
    if rule.remote_group_id is not None and not _ID.match(str(rule.remote_group_id)):
        raise ValueError(f"bad remote group id {rule.remote_group_id!r}")
    return dataclasses.replace(rule, protocol=(str(rule.protocol).lower() if rule.protocol else None),
                               remote_ip_prefix=prefix)


def vif_to_dict(vif: VifSpec) -> dict:
    return dataclasses.asdict(vif)


def vif_from_dict(data: dict) -> VifSpec:
    rules = tuple(SecurityGroupRule(**r) for r in data.get("security_group_rules", ()))
    return VifSpec(**{**data, "security_group_rules": rules})


@dataclass(frozen=True)
class PortRecord:
    instance_uuid: str
    vif: VifSpec


class PortStore:
    """The plugged ports, as files. Callers hold the data plane's lock around changes."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        self.dir = Path(state_dir) / "ports"
        self.dir.mkdir(parents=True, exist_ok=True)

    def _path(self, port_id: str) -> Path:
        if not _ID.match(port_id):
            raise NetplaneError(f"bad port id {port_id!r}")
        return self.dir / f"{port_id}.json"

    def put(self, instance_uuid: str, vif: VifSpec) -> bool:
        """Record the port; True if this changed the record."""
        body = json.dumps({"instance_uuid": instance_uuid, "vif": vif_to_dict(vif)}, sort_keys=True)
        path = self._path(vif.port_id)
        if path.exists() and path.read_text() == body:
            return False
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".port.")
        with os.fdopen(fd, "w") as f:
            f.write(body)
        os.replace(tmp, path)
        return True

    def rules_replace(self, instance_uuid: str, vif: VifSpec) -> bool:
        """The plugged port `vif.port_id` of `instance_uuid` takes `vif`'s security group rules (checked), the
        rest of its record unchanged; False if no such port is plugged (a push crossed an unplug)."""
        rec = self.get(vif.port_id)
        if rec is None or rec.instance_uuid != instance_uuid:
            return False
        self.put(instance_uuid, dataclasses.replace(rec.vif, security_group_rules=check_vif(vif).security_group_rules))
        return True

    def get(self, port_id: str) -> PortRecord | None:
        try:
            data = json.loads(self._path(port_id).read_text())
        except FileNotFoundError:
            return None
        return PortRecord(data["instance_uuid"], vif_from_dict(data["vif"]))

    def delete(self, port_id: str) -> bool:
        try:
            self._path(port_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def all(self) -> list[PortRecord]:
        out = []
        for path in sorted(self.dir.glob("*.json")):
            rec = self.get(path.stem)
            if rec is not None:
                out.append(rec)
        return out
