"""The statements of a port create, written in SQL that runs unchanged on PostgreSQL and SQLite (but for the
name of the string aggregate). Every boot with a port and every POST /ports runs them: through the ORM, their
query compilation and model instances cost more CPU than PostgreSQL spends on them (measured:
devtools/bench_network.py). The rules (which address, which groups, the quota) stay in ports.py.

- one read: the network (whether the project may use it), the project's port quota override and `default`
  group, and the network's subnets with the addresses taken in each (a row per subnet);
- the INSERTs of the port, of each address and of its group memberships, each one statement. The port's
  and the address's are `... ON CONFLICT DO NOTHING RETURNING id`: a taken MAC or address is a row not
  returned (after waiting for a concurrent uncommitted insert of it), not an error, so the transaction
  goes on without a savepoint."""
import uuid
from dataclasses import dataclass
from functools import cache

from django.db import connection

from compute_platform import sql

from ..models import IPAllocation, Network, NetworkQuota, Port, SecurityGroup, Subnet


@dataclass(frozen=True)
class SubnetRoom:
    """A subnet as an allocation sees it: its pools and the addresses taken in it when it was read (`used_ips`,
    a string_agg: the candidates; the INSERT decides)."""

    id: uuid.UUID
    ip_version: int
    cidr: str
    gateway_ip: str | None
    allocation_pools: list
    used_ips: str | None


@dataclass(frozen=True)
class PortTarget:
    """What a port create on a network reads, in one statement."""

    project_id: str                    # the network's
    shared: bool
    port_limit: int | None             # the creating project's port quota override (None: the default)
    default_group_id: uuid.UUID | None  # the creating project's `default` group (None: not made yet)
    subnets: list[SubnetRoom]


def _subnet_columns() -> str:
    used = f"SELECT {sql.string_agg('a.ip_address')} FROM {IPAllocation._meta.db_table} a WHERE a.subnet_id = s.id"
    return f"s.id, s.ip_version, s.cidr, s.gateway_ip, s.allocation_pools, ({used})"


def _subnet(row) -> SubnetRoom:
    sid, version, cidr, gateway, pools, used = row
    return SubnetRoom(id=sql.uuid_value(sid), ip_version=version, cidr=cidr, gateway_ip=gateway,
                      allocation_pools=sql.json_value(pools), used_ips=used)


def subnets_with_room(*, network_id, ip_version: int | None = None, enable_dhcp: bool | None = None
                      ) -> list[SubnetRoom]:
    """The network's subnets (of `ip_version`, with or without DHCP, if given) in creation order, each with
    the addresses taken in it."""
    text = f"SELECT {_subnet_columns()} FROM {Subnet._meta.db_table} s WHERE s.network_id = %s"
    params = [sql.uuid_param(network_id)]
    if ip_version is not None:
        text, params = text + " AND s.ip_version = %s", params + [ip_version]
    if enable_dhcp is not None:
        text, params = text + " AND s.enable_dhcp = %s", params + [enable_dhcp]
    return [_subnet(row) for row in sql.rows(text + " ORDER BY s.created_at, s.id", params, prepare=True)]


@cache
def _target_sql(vendor: str) -> str:  # (per vendor: the string aggregate is named differently)
    return (f"SELECT n.project_id, n.shared, "
            f"(SELECT q.hard_limit FROM {NetworkQuota._meta.db_table} q "
            "WHERE q.project_id = %s AND q.resource = 'port'), "
            f"(SELECT g.id FROM {SecurityGroup._meta.db_table} g WHERE g.project_id = %s AND g.name = 'default'), "
            f"{_subnet_columns()} "
            f"FROM {Network._meta.db_table} n LEFT OUTER JOIN {Subnet._meta.db_table} s ON s.network_id = n.id "
            "WHERE n.id = %s ORDER BY s.created_at, s.id")


def port_target_read(*, network_id: uuid.UUID, project_id: str) -> PortTarget | None:
    """The network (None if there is none), with what `project_id` needs to create a port on it."""
    rows = sql.rows(_target_sql(connection.vendor), [project_id, project_id, sql.uuid_param(network_id)], prepare=True)
    if not rows:
        return None
    owner, shared, limit, default_group = rows[0][:4]
    return PortTarget(project_id=owner, shared=bool(shared), port_limit=limit,
                      default_group_id=sql.uuid_value(default_group),
                      subnets=[_subnet(row[4:]) for row in rows if row[4] is not None])


@cache
def _port_insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = Port._meta.concrete_fields
    return (f"INSERT INTO {quote(Port._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT DO NOTHING RETURNING {quote(Port._meta.pk.column)}")


def port_insert(port: Port) -> bool:
    """INSERT the (unsaved) port, its timestamps set as save() sets them: False when its MAC is taken on its
    network (the unique (network, mac_address) constraint)."""
    params = [f.get_db_prep_save(f.pre_save(port, True), connection) for f in Port._meta.concrete_fields]
    inserted = bool(sql.rows(_port_insert_sql(connection.vendor), params, prepare=True))
    if inserted:  # as Model.save() leaves it, so a later save() UPDATEs
        port._state.adding, port._state.db = False, connection.alias
    return inserted


def ip_insert(*, port_id, subnet_id, ip: str) -> bool:
    """Take `ip` in the subnet for the port unless another port has it (the unique (subnet, ip_address)
    constraint): False then."""
    return bool(sql.rows(f"INSERT INTO {IPAllocation._meta.db_table} (port_id, subnet_id, ip_address) "
                         "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                         [sql.uuid_param(port_id), sql.uuid_param(subnet_id), ip], prepare=True))


def port_groups_insert(*, port_id, group_ids: list) -> None:
    """The port's memberships of `group_ids` (new rows: the port was just made)."""
    if not group_ids:
        return
    through = Port.security_groups.through
    port = sql.uuid_param(port_id)
    sql.execute(f"INSERT INTO {through._meta.db_table} (port_id, securitygroup_id) VALUES "
                + ", ".join(["(%s, %s)"] * len(group_ids)), [v for g in group_ids for v in (port, sql.uuid_param(g))],
                prepare=True)
