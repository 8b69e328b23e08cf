"""Remote security groups as address sets, as Neutron's firewall does with `enable_ipset`: a rule "from (to)
members of group G" matches against one nftables named set of G's member addresses per ethertype (`g4-<G>`,
`g6-<G>` in `table inet compute_platform`), shared by every port on the host whose rules name G. A member
coming or going is then one set update on each host that needs the set, never a rewrite of every member's
chains (which made a group's N boots cost N^2 rule rewrites).

The members are kept in `<state dir>/group_members.json` (a full render of the table puts them back), and only
for the groups some plugged port's rule names: nothing stale outlives what needs it."""
from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Mapping

from hypervisors.base import sorted_members

from .commands import NetplaneError
from .ports import _ID, PortRecord


def set_name(group_id: str, version: int) -> str:
    return f"g{version}-{group_id}"


def referenced(ports: Iterable[PortRecord]) -> set[str]:
    """The remote groups the ports' rules name (the sets the host needs)."""
    return {r.remote_group_id for rec in ports for r in rec.vif.security_group_rules if r.remote_group_id}


def check_members(group_id: str, addresses: Iterable[str]) -> tuple[str, ...]:
    """The addresses normalised, without repeats, sorted (IPv4 first); NetplaneError if any value is malformed
    (they reach a file name and the ruleset)."""
    if not _ID.match(str(group_id)):
        raise NetplaneError(f"bad security group id {group_id!r}")
    try:
        return sorted_members(addresses)
    except ValueError as exc:
        raise NetplaneError(f"security group {group_id}: {exc}") from exc


class GroupStore:
    """The members of the remote groups the host's rules name, one JSON file. Callers hold the data plane's
    lock around changes."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        self.path = Path(state_dir) / "group_members.json"

    def all(self) -> dict[str, tuple[str, ...]]:
        try:
            return {g: tuple(a) for g, a in json.loads(self.path.read_text()).items()}
        except FileNotFoundError:
            return {}

    def _write(self, groups: Mapping[str, tuple[str, ...]]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".groups.")
        with os.fdopen(fd, "w") as f:
            json.dump({g: list(a) for g, a in sorted(groups.items())}, f)
        os.replace(tmp, self.path)

    def update(self, members: Mapping[str, Iterable[str]], keep: set[str],
               load: Callable[[dict[str, tuple[str, ...]]], None] | None = None) -> dict[str, tuple[str, ...]]:
        """Take `members` for the groups in `keep` and drop every group not in `keep`. Returns the groups
        of `members` that are kept, with their (checked) addresses: the sets to load. `load`, if given, is
        called first with those of them whose addresses are not the ones kept already (only when there are
        some), and the file is written after it returns: a load that fails leaves the file as it was, so
        the next update loads them again."""
        checked = {g: check_members(g, a) for g, a in members.items()}
        current = self.all()
        new = {g: a for g, a in current.items() if g in keep}
        applied = {g: a for g, a in checked.items() if g in keep}
        new.update(applied)
        if load is not None and (changed := {g: a for g, a in applied.items() if current.get(g) != a}):
            load(changed)
        if new != current:
            self._write(new)
        return applied

    def prune(self, keep: set[str]) -> dict[str, tuple[str, ...]]:
        """Drop the groups not in `keep`; the members of those in it (empty for one never told)."""
        current = self.all()
        new = {g: a for g, a in current.items() if g in keep}
        if new != current:
            self._write(new)
        return {g: new.get(g, ()) for g in keep}


def _elements(addresses: Iterable[str], version: int) -> list[str]:
    return [a for a in addresses if ipaddress.ip_address(a).version == version]


def render_sets(groups: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The set declarations of `groups`, for inside the table's block (before the chains that use them)."""
    lines = []
    for group_id, addresses in sorted(groups.items()):
        for version, kind in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            lines += [f"  set {set_name(group_id, version)} {{", f"    type {kind}"]
            if elems := _elements(addresses, version):
                lines.append(f"    elements = {{ {', '.join(elems)} }}")
            lines.append("  }")
    return lines


def render_update(table: str, groups: Mapping[str, tuple[str, ...]]) -> str:
    """The nft script that makes the existing sets of `groups` hold exactly their addresses (one transaction;
    no chain is touched)."""
    script = []
    for group_id, addresses in sorted(groups.items()):
        for version in (4, 6):
            name = set_name(group_id, version)
            script.append(f"flush set inet {table} {name}")
            if elems := _elements(addresses, version):
                script.append(f"add element inet {table} {name} {{ {', '.join(elems)} }}")
    return "\n".join(script) + "\n"
