"""FakeDriver's networking (hypervisors/fake.py): NICs plugged into guests, the security group rules each port
enforces, and the floating IPs the host NATs, in the host's SQLite file (its `vifs`, `vif_rules` and
`floating_ips` tables). A mixin: the storage (`_transaction`, `_reader`, `_power_state`, `_delay`) is
FakeDriver's."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from typing import Iterable, Mapping, Sequence

from hypervisors.base import FloatingIPSpec, SecurityGroupRule, VifPlugFailed, VifSpec, sorted_members

LOG = logging.getLogger("hypervisors.fake")


def _rules_json(rules) -> str:
    return json.dumps([dataclasses.asdict(r) for r in rules])


class FakeNetworking:
    def _insert_vif(self, conn: sqlite3.Connection, instance_uuid: str, vif: VifSpec) -> None:
        if conn.execute("SELECT 1 FROM vifs WHERE instance_uuid = ? AND port_id = ?",
                        (instance_uuid, vif.port_id)).fetchone():
            return
        if conn.execute("SELECT 1 FROM vifs WHERE instance_uuid = ? AND mac = ?", (instance_uuid, vif.mac)).fetchone():
            raise VifPlugFailed(instance_uuid, vif.port_id, f"MAC {vif.mac} is already on another NIC")
        position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM vifs WHERE instance_uuid = ?",
                                (instance_uuid,)).fetchone()[0]
        conn.execute("INSERT INTO vifs VALUES (?, ?, ?, ?, ?)",
                     (instance_uuid, vif.port_id, vif.mac, vif.network_id, position))
        conn.execute("INSERT OR REPLACE INTO vif_rules VALUES (?, ?, ?)",
                     (instance_uuid, vif.port_id, _rules_json(vif.security_group_rules)))
        conn.execute("UPDATE guests SET console = console || ? WHERE uuid = ?",
                     (f"virtio_net: eth{position} {vif.mac} {','.join(vif.fixed_ips)}\n", instance_uuid))

    def plug_vif(self, instance_uuid: str, vif: VifSpec) -> None:
        self._delay("plug_vif")
        with self._transaction("plug_vif") as conn:
            self._power_state(conn, instance_uuid)
            self._insert_vif(conn, instance_uuid, vif)
        LOG.info("fake host %s: plugged port %s (%s) into instance %s", self.host, vif.port_id, vif.mac, instance_uuid)

    def unplug_vif(self, instance_uuid: str, port_id: str) -> None:
        self._delay("unplug_vif")
        with self._transaction("unplug_vif") as conn:
            self._power_state(conn, instance_uuid)
            gone = conn.execute("DELETE FROM vifs WHERE instance_uuid = ? AND port_id = ?",
                                (instance_uuid, port_id)).rowcount
            conn.execute("DELETE FROM vif_rules WHERE instance_uuid = ? AND port_id = ?", (instance_uuid, port_id))
            self._groups_prune(conn)
        LOG.info("fake host %s: unplugged port %s from instance %s (was plugged: %s)", self.host, port_id,
                 instance_uuid, bool(gone))

    def list_vifs(self, instance_uuid: str) -> list[str]:
        with self._reader() as conn:
            self._power_state(conn, instance_uuid)
            rows = conn.execute("SELECT port_id FROM vifs WHERE instance_uuid = ? ORDER BY position",
                                (instance_uuid,)).fetchall()
        return [row[0] for row in rows]

    def refresh_vif_rules(self, vifs_by_instance: Mapping[str, Iterable[VifSpec]]) -> list[str]:
        done, texts = [], {}  # (ports in one group share one rules tuple: written out once)
        with self._transaction("refresh_vif_rules") as conn:  # one transaction for a whole push
            for instance_uuid, vifs in vifs_by_instance.items():
                for vif in vifs:
                    rules = vif.security_group_rules
                    text = texts.get(id(rules)) or texts.setdefault(id(rules), _rules_json(rules))
                    if conn.execute("UPDATE vif_rules SET rules = ? WHERE instance_uuid = ? AND port_id = ?",
                                    (text, instance_uuid, vif.port_id)).rowcount:
                        done.append(vif.port_id)
            self._groups_prune(conn)
        LOG.info("fake host %s: security group rules refreshed on ports %s", self.host, done)
        return done

    def vif_rules(self, instance_uuid: str, port_id: str) -> tuple[SecurityGroupRule, ...] | None:
        with self._reader() as conn:
            row = conn.execute("SELECT rules FROM vif_rules WHERE instance_uuid = ? AND port_id = ?",
                               (instance_uuid, port_id)).fetchone()
        return None if row is None else tuple(SecurityGroupRule(**r) for r in json.loads(row[0]))

    # -- remote groups' member sets ------------------------------------------------------------------------
    # A group is "named" while some plugged port's rules (vif_rules, JSON) have it as their remote group.

    @staticmethod
    def _group_named(conn: sqlite3.Connection, group_id: str) -> bool:
        needle = json.dumps({"remote_group_id": group_id})[1:-1]  # '"remote_group_id": "<id>"', as stored
        return conn.execute("SELECT 1 FROM vif_rules WHERE instr(rules, ?) > 0 LIMIT 1", (needle,)).fetchone() is not None

    def _groups_prune(self, conn: sqlite3.Connection) -> None:
        """Groups no plugged port's rule names any more are not kept (called where rules or guests go)."""
        for (group_id,) in conn.execute("SELECT group_id FROM group_members").fetchall():
            if not self._group_named(conn, group_id):
                conn.execute("DELETE FROM group_members WHERE group_id = ?", (group_id,))

    def apply_group_members(self, members: Mapping[str, Sequence[str]]) -> list[str]:
        done = []
        with self._transaction("apply_group_members") as conn:
            for group_id, addresses in members.items():
                if self._group_named(conn, group_id):
                    conn.execute("INSERT OR REPLACE INTO group_members VALUES (?, ?)",
                                 (group_id, json.dumps(sorted_members(addresses))))
                    done.append(group_id)
                else:
                    conn.execute("DELETE FROM group_members WHERE group_id = ?", (group_id,))
        LOG.info("fake host %s: security group sets %s", self.host, {g: len(members[g]) for g in done})
        return sorted(done)

    def group_members(self, group_id: str) -> tuple[str, ...] | None:
        with self._reader() as conn:
            if not self._group_named(conn, group_id):
                return None
            row = conn.execute("SELECT addresses FROM group_members WHERE group_id = ?", (group_id,)).fetchone()
        return tuple(json.loads(row[0])) if row else ()

    def apply_floating_ips(self, fips: Sequence[FloatingIPSpec]) -> None:
        with self._transaction("apply_floating_ips") as conn:
            conn.execute("DELETE FROM floating_ips")
            conn.executemany("INSERT INTO floating_ips VALUES (?, ?, ?, ?, ?)",
                             [(f.floating_ip, f.fixed_ip, f.port_id, f.network_id, f.cidr) for f in fips])
        LOG.info("fake host %s: floating IPs %s", self.host, [f"{f.floating_ip}->{f.fixed_ip}" for f in fips])

    def floating_ips(self) -> list[FloatingIPSpec]:
        with self._reader() as conn:
            rows = conn.execute("SELECT floating_ip, fixed_ip, port_id, network_id, cidr FROM floating_ips "
                                "ORDER BY floating_ip").fetchall()
        return [FloatingIPSpec(*row) for row in rows]
