"""Which hosts hold a set of which security group's members (models.GroupSetHolder): written by the hosts
themselves, read by every change of a group's members (security_group_push.py) to know where to push."""
import logging

from django.db import IntegrityError

from compute_platform import sql

from ..models import GroupSetHolder, SecurityGroup

logger = logging.getLogger(__name__)

_TABLE, _GROUPS = GroupSetHolder._meta.db_table, SecurityGroup._meta.db_table


def group_set_holders_add(*, host: str, group_ids) -> None:
    """`host` is about to read these groups' members into its sets: from now on a change of them is pushed to it
    (a change committed before is in its read). Idempotent; a group deleted meanwhile is skipped. One statement
    (in SQL: the build of a host's first server in a group makes it)."""
    where, params = sql.sql_in("id", sql.uuid_params(group_ids))
    if not params:
        return
    try:
        sql.execute(f"INSERT INTO {_TABLE} (host, security_group_id) SELECT %s, id FROM {_GROUPS} WHERE {where} "
                    "ON CONFLICT DO NOTHING", [host, *params])
    except IntegrityError as exc:  # a group deleted between the SELECT and the INSERT: it has no members to push
        logger.info("host %s: a group of %s went while becoming its holder: %s", host, sorted(group_ids), exc)


def group_set_holders_reset(*, host: str, group_ids) -> None:
    """At the host's start: it holds the sets of exactly these groups (the rows of the others go)."""
    keep, params = sql.sql_in("security_group_id", sql.uuid_params(group_ids), negate=True)
    sql.execute(f"DELETE FROM {_TABLE} WHERE host = %s AND {keep}", [host, *params])
    group_set_holders_add(host=host, group_ids=group_ids)
