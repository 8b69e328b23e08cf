"""Instance requests from the API: create, act, delete. Each claims state atomically, records the
action, and enqueues the work to the chosen host's queue after commit."""
import dataclasses
import logging
import secrets
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compute_platform import tasknames
from compute_platform.db_retry import db_retry
from compute_platform.images.models import Image
from compute_platform.tasknames import host_queue

from ..context import new_request_id
from ..exceptions import BadRequest, NoValidHost
from ..models import Flavor, Instance, InstanceFault, InstanceTag, KeyPair
from ..scheduler.claims import claim_release, schedule_and_claim
from ..scheduler.filters import RequestSpec
from ..selectors_hosts import availability_zones_available
from ..states import ACTIONS, TaskState, VmState
from .actions import action_event_record, action_finish, action_start
from .dispatch import task_enqueue_on_commit
from .hostnames import hostname_for
from .instance_claims import instance_lock_check, instance_task_state_claim
from .quotas import (INSTANCE_RESOURCES, quota_check_metadata, quota_limits_and_user, quota_lock_project,
                     quota_reserve_instances)
from .server_groups import server_group_lock_for_boot

logger = logging.getLogger(__name__)


def _reservation_id() -> str:
    # Nova's form: "r-" and 8 characters, shared by the servers of one request.
    return "r-" + secrets.token_hex(4)


def instance_create(*, context, name: str, flavor: Flavor, image: Image | None,
                    availability_zone: str | None = None, metadata: dict | None = None,
                    key_name: str | None = None, user_data: str | None = None,
                    scheduler_hints: dict | None = None, min_count: int = 1,
                    max_count: int | None = None, networks=None, security_groups: list[str] | None = None,
                    config_drive: bool = False, access_ip_v4: str | None = None,
                    access_ip_v6: str | None = None, description: str | None = None, tags=(),
                    trusted_certs: list | None = None, hostname: str | None = None,
                    block_devices: list[dict] | None = None) -> tuple[list[Instance], str]:
    """Create up to `max_count` instances (at least `min_count`, or 403 over quota), place them, and
    enqueue their builds (`max_count` defaults to `min_count`, as Nova's). Returns (instances, admin_pass
    of the first).

    A placement failure is not an API error (Nova's behaviour): the servers exist, in ERROR, with a
    "No valid host" fault, and the client learns it by polling. A multi-create is placed all or
    nothing, as Nova: if one server finds no host, none keeps a claim and all are in ERROR.

    Locks, in this order and held to commit: the project's row (the quota count and the creates are
    one step; skipped when the project is unlimited in instances, cores and RAM), then the server
    group's row (where its members are and the new members are one step).

    Networking (`networks`: None, "auto", "none" or [{"uuid"|"port", "fixed_ip"}]): the servers' ports are
    made before they are placed, in this transaction, so a bad network, a taken address or the port quota
    fails the whole create with nothing left; servers that find no host give theirs back at once.

    `block_devices` (Nova's block_device_mapping_v2): volumes to boot from (`image` None) or attach at build,
    recorded as attachments on the chosen host in this transaction (volumes.services.boot_volumes).
    """
    from compute_platform.network.services.instance_ports import (
        instance_network_requests_resolve, instance_ports_allocate, instance_ports_release)
    from compute_platform.volumes.services.boot_volumes import (
        block_devices_prepare, instance_block_devices_attach)

    max_count = min_count if max_count is None else max_count
    if min_count > max_count:
        raise BadRequest("min_count must be <= max_count")
    if hostname and max_count > 1:
        raise BadRequest("Unable to allocate a hostname for multiple instances: give no hostname, or create "
                         "one server at a time.")  # Nova's AmbiguousHostnameForMultipleInstances
    if image is not None and image.status != "active":
        raise BadRequest(f"Image {image.id} is not active.")
    if image is not None and flavor.memory_mb < image.min_ram:
        raise BadRequest("Flavor's memory is too small for requested image.")
    if image is not None and flavor.root_gb and flavor.root_gb < image.min_disk:
        raise BadRequest("Flavor's disk is too small for requested image.")
    if availability_zone and availability_zone not in availability_zones_available():
        raise BadRequest("The requested availability zone is not available")  # Nova's, before scheduling
    hints = scheduler_hints or {}
    key_data = None
    if key_name is not None:
        key_data = KeyPair.objects.filter(user_id=context.user_id, name=key_name).values_list(
            "public_key", flat=True).first()
        if key_data is None:
            raise BadRequest("Invalid key_name provided.")
    started = timezone.now()
    limits, user_overrides = quota_limits_and_user(project_id=context.project_id, user_id=context.user_id)
    with transaction.atomic():
        if any(limits[r] >= 0 for r in INSTANCE_RESOURCES):
            # Count and create under the project's lock. A project unlimited in instances, cores and
            # RAM has nothing to count, so its boots do not queue on one row (a limit set meanwhile
            # applies from the next request, as Nova's without its recheck).
            limits = quota_lock_project(project_id=context.project_id)
        quota_check_metadata(limits=limits, items=len(metadata or {}))
        count = quota_reserve_instances(project_id=context.project_id, limits=limits, min_count=min_count,
                                        max_count=max_count, vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
                                        user_id=context.user_id, user_overrides=user_overrides)
        volumes = block_devices_prepare(context=context, mappings=block_devices or [], image=image, count=max_count)
        group, group_hosts = None, {}
        if hints.get("group"):
            group, group_hosts = server_group_lock_for_boot(context=context, group_uuid=hints["group"],
                                                            adding=count, limits=limits)
        # Nova's allocate_for_instance, moved before scheduling: the ports carry their server's uuid from the
        # start; its host binds them when it builds (instance_ports_activate).
        uuids = [str(uuid.uuid4()) for _ in range(count)]
        ports = instance_ports_allocate(
            context=context, requests=instance_network_requests_resolve(context=context, networks=networks),
            instance_uuids=uuids, security_groups=security_groups)
        specs, hosts, failure = _place(context=context, flavor=flavor, availability_zone=availability_zone,
                                       hints=hints, group=group, group_hosts=group_hosts, uuids=uuids)
        reservation_id = _reservation_id()
        instances = []
        for index, spec in enumerate(specs):
            host = hosts[index] if hosts else None
            # An action's request_id is unique (the workers find the action by it), so the servers after
            # the first of a multi-create record theirs under request ids of their own.
            ctx = context if index == 0 else dataclasses.replace(context, request_id=new_request_id())
            instance = Instance.objects.create(
                uuid=spec.instance_uuid, name=f"{name}-{index + 1}" if count > 1 else name,
                project_id=context.project_id, user_id=context.user_id, flavor=flavor, image=image,
                availability_zone=availability_zone, vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
                root_gb=flavor.root_gb, metadata=metadata or {}, key_name=key_name, key_data=key_data,
                user_data=user_data, config_drive=config_drive, reservation_id=reservation_id, server_group=group,
                access_ip_v4=access_ip_v4, access_ip_v6=access_ip_v6,
                description=description, trusted_certs=trusted_certs or None, scheduler_hints=hints,
                launch_index=index, hostname=hostname or hostname_for(
                    name=name, instance_uuid=spec.instance_uuid, count=count, index=index),
                host_id=host.id if host else None, resources_claimed=host is not None,
                vm_state=VmState.ERROR if failure else VmState.BUILDING,
                task_state=None if failure else TaskState.SCHEDULING,
            )
            if failure:
                instance_ports_release(instance_uuid=spec.instance_uuid)
            else:
                instance_block_devices_attach(context=ctx, instance=instance, host_name=host.name, volumes=volumes)
            if tags:
                InstanceTag.objects.bulk_create([InstanceTag(instance=instance, tag=t) for t in tags])
            action = action_start(instance=instance, action="create", context=ctx, failed=failure is not None)
            action_event_record(action=action, event="conductor_schedule_and_build_instances", started=started,
                                exc=failure)
            if failure:
                InstanceFault.objects.create(instance=instance, code=500, details=failure.message,
                                             message="No valid host was found. There are not enough hosts "
                                                     "available.")
            else:
                task_enqueue_on_commit(task_name=tasknames.BUILD_INSTANCE, queue=host_queue(host.name),
                                       kwargs={"instance_uuid": spec.instance_uuid,
                                               "request_id": ctx.request_id, "block_devices": bool(volumes),
                                               "ports": bool(ports[index])})
            instances.append(instance)
    if not failure:
        logger.info("instances %s created by %s, building on %s", ",".join(str(i.uuid) for i in instances),
                    context.request_id, ",".join(h.name for h in hosts))
    return instances, secrets.token_urlsafe(9)


def _place(*, context, flavor: Flavor, availability_zone, hints: dict, group, group_hosts: dict, uuids: list[str]):
    """Schedule and claim an instance per uuid: (specs, hosts, None), or (specs, [], NoValidHost) with
    no claim left behind. Each placement sees the earlier ones of the request in its group state."""
    count = len(uuids)
    group_hosts = dict(group_hosts)
    max_per_host = 1
    if group is not None and group.policy == "anti-affinity":
        max_per_host = int((group.rules or {}).get("max_server_per_host", 1))
    specs, hosts = [], []

    def place_all():
        for instance_uuid in uuids:
            spec = RequestSpec(instance_uuid=instance_uuid, project_id=context.project_id,
                               vcpus=flavor.vcpus, memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
                               availability_zone=availability_zone, scheduler_hints=hints,
                               group_policy=group.policy if group else None, group_hosts=dict(group_hosts),
                               group_max_per_host=max_per_host)
            specs.append(spec)
            host = schedule_and_claim(spec=spec)
            hosts.append(host)
            group_hosts[host.id] = group_hosts.get(host.id, 0) + 1

    try:
        if count == 1:
            place_all()  # nothing to undo: a failed single claim claimed nothing
        else:
            with transaction.atomic():  # a savepoint: the claims of a partly placed request roll back
                place_all()
    except NoValidHost as exc:
        while len(specs) < count:  # the servers never tried still need their rows
            specs.append(RequestSpec(instance_uuid=uuids[len(specs)], project_id=context.project_id,
                                     vcpus=flavor.vcpus, memory_mb=flavor.memory_mb, root_gb=flavor.root_gb))
        return specs, [], exc
    return specs, hosts, None


def instance_action(*, context, instance: Instance, action_key: str) -> None:
    """Start `action_key` (a key of states.ACTIONS) on the instance's host. 409 if not allowed now.

    The claim is one conditional UPDATE, so of two concurrent requests exactly one starts.
    """
    rule = ACTIONS[action_key]
    with transaction.atomic():
        instance_task_state_claim(context=context, instance=instance, action=rule.name,
                                  allowed_from=rule.allowed_from, task_state=rule.task_state)
        action_start(instance=instance, action=rule.name, context=context)
        task_enqueue_on_commit(task_name=rule.task_name, queue=host_queue(instance.host.name),
                               kwargs={"instance_uuid": str(instance.uuid), "request_id": context.request_id,
                                       "action_key": action_key})
    logger.info("instance %s: %s requested (%s)", instance.uuid, action_key, context.request_id)


def instance_delete(*, context, instance: Instance) -> None:
    """Delete from any state. An instance that never reached a host, or whose host is down, is
    deleted locally at once (Nova's local delete); the host's worker reaps the guest when it returns.
    """
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        claimed = Instance.objects.filter(pk=instance.pk).exclude(vm_state=VmState.DELETED).filter(
            Q(task_state__isnull=True) | ~Q(task_state=TaskState.DELETING)
        ).update(task_state=TaskState.DELETING, updated_at=timezone.now())
        if not claimed:
            # Already deleted or being deleted: a repeated DELETE is accepted and changes nothing.
            return
        action = action_start(instance=instance, action="delete", context=context)
        host = instance.host
        if host is None or not host.is_up:
            started = timezone.now()
            instance_mark_deleted(instance_uuid=str(instance.uuid))
            action_event_record(action=action, event="api_local_delete", started=started)
            action_finish(request_id=context.request_id)
            logger.info("instance %s deleted locally (%s)", instance.uuid,
                        "never placed" if host is None else f"host {host.name} is down")
            return
        task_enqueue_on_commit(task_name=tasknames.DELETE_INSTANCE, queue=host_queue(host.name),
                               kwargs={"instance_uuid": str(instance.uuid), "request_id": context.request_id})
    logger.info("instance %s: delete requested (%s)", instance.uuid, context.request_id)


@db_retry
def instance_mark_deleted(*, instance_uuid: str) -> bool:
    """Record that the guest is gone: DELETED, claims released once. Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        inst = Instance.objects.filter(uuid=instance_uuid).values("id", "shelved_image_id").first()
        if inst is None:
            return False
        if inst["shelved_image_id"] is not None:  # a shelved server's snapshot goes with it (Nova)
            from compute_platform.images.services.images import image_discard

            image_discard(image_id=inst["shelved_image_id"])
        Instance.objects.filter(pk=inst["id"]).exclude(vm_state=VmState.DELETED).update(
            vm_state=VmState.DELETED, task_state=None, power_state=0, deleted_at=now, terminated_at=now,
            updated_at=now)
        claim_release(instance_id=inst["id"])
        from .migration_claims import migrations_close_for_deleted

        migrations_close_for_deleted(instance_id=inst["id"])
        # A deleted server holds no volume (the host's worker has released their mounts already; after a
        # local delete its start-up rebuild does). Imported here: the volumes app depends on compute.
        from compute_platform.network.services.instance_ports import instance_ports_release
        from compute_platform.volumes.services.attachments import instance_attachments_release

        instance_attachments_release(instance_id=inst["id"])
        instance_ports_release(instance_uuid=instance_uuid)
    return True
