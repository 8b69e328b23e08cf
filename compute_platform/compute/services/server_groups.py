"""Server groups (Nova's os-server-groups) and the placement state the scheduler needs from them.

Placement within a group is serialized by a row lock on the group (`server_group_lock_for_boot`),
held from reading where the members are to committing the new members: two concurrent boots into an
anti-affinity group can therefore never both pick the same host.
"""
import logging
import uuid as uuidlib

from django.db import transaction
from django.db.models import Count

from ..exceptions import BadRequest, NotFound
from ..models import Instance, ServerGroup
from ..states import VmState
from .quotas import OverQuota, quota_lock_project

# The policies a group can be created with (the API validates against these).
POLICIES = tuple(p for p, _ in ServerGroup.POLICIES)

logger = logging.getLogger(__name__)


def _members(group_ids):
    return Instance.objects.filter(server_group_id__in=group_ids).exclude(vm_state=VmState.DELETED)


def server_group_create(*, context, name: str, policy: str, rules: dict | None = None) -> ServerGroup:
    """403 over the project's server_groups quota (counted under the project lock)."""
    with transaction.atomic():
        limits = quota_lock_project(project_id=context.project_id)
        limit = limits["server_groups"]
        if limit >= 0 and ServerGroup.objects.filter(project_id=context.project_id).count() >= limit:
            raise OverQuota("Quota exceeded, too many server groups.")
        group = ServerGroup.objects.create(name=name, policy=policy, rules=rules or {},
                                           project_id=context.project_id, user_id=context.user_id)
    logger.info("server group %s (%s) created in project %s", group.uuid, policy, context.project_id)
    return group


def server_group_get(*, context, group_uuid: str) -> ServerGroup:
    missing = NotFound(f"Instance group {group_uuid} could not be found.")
    try:
        uuidlib.UUID(str(group_uuid))
    except ValueError:
        raise missing
    qs = ServerGroup.objects.filter(uuid=group_uuid)
    if not context.is_admin:
        qs = qs.filter(project_id=context.project_id)
    group = qs.first()
    if group is None:
        raise missing
    return group


def server_group_list(*, context, all_projects: bool = False):
    qs = ServerGroup.objects.all()
    if not (context.is_admin and all_projects):
        qs = qs.filter(project_id=context.project_id)
    return qs.order_by("created_at", "id")


def server_group_members(*, groups) -> dict:
    """{group id: [member instance uuids]} for the groups, in one query."""
    members = {g.id: [] for g in groups}
    for gid, iuuid in _members(members).order_by("created_at", "id").values_list("server_group_id", "uuid"):
        members[gid].append(str(iuuid))
    return members


def server_group_delete(*, context, group: ServerGroup) -> None:
    """Members stay where they are and simply leave the group (Nova)."""
    with transaction.atomic():
        # Wait for boots into the group to commit first, so none adds a member after the members leave.
        list(ServerGroup.objects.select_for_update().filter(pk=group.pk).values_list("pk"))
        Instance.objects.filter(server_group=group).update(server_group=None)
        group.delete()
    logger.info("server group %s deleted (%s)", group.uuid, context.request_id)


def server_group_lock_for_boot(*, context, group_uuid: str, adding: int, limits: dict) -> tuple[ServerGroup, dict]:
    """Lock the group for the caller's transaction and return (group, {host id: members on it}).

    400 if there is no such group in the caller's project (Nova: a bad `group` hint is a bad request);
    403 if `adding` members would pass the server_group_members quota.
    """
    try:
        uuidlib.UUID(str(group_uuid))
    except ValueError:
        raise BadRequest(f"Invalid input for field/attribute group. Value: {group_uuid}. "
                         f"'{group_uuid}' is not a 'uuid'")
    group = (ServerGroup.objects.select_for_update(no_key=True)
             .filter(uuid=group_uuid, project_id=context.project_id).first())
    if group is None:
        raise BadRequest(f"Instance group {group_uuid} could not be found.")
    per_host, total = {}, 0
    for row in _members([group.id]).values("host_id").annotate(n=Count("id")):
        total += row["n"]
        if row["host_id"] is not None:
            per_host[row["host_id"]] = row["n"]
    limit = limits["server_group_members"]
    if limit >= 0 and total + adding > limit:
        raise OverQuota("Quota exceeded, too many servers in group")
    return group, per_host
