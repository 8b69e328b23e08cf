"""Rebuild, snapshot, shelve and rescue tasks on `compute.<host>`. Thin: ids in, the managers do the work
(tasks/rebuilds.py, snapshots.py, shelving.py, rescues.py); conductor's shelved-offload sweep."""
from celery import shared_task
from django.conf import settings

from compute_platform import tasknames
from compute_platform.compute.services.instance_shelve import instances_offload_shelved

from . import rebuilds, rescues, shelving, snapshots


@shared_task(name=tasknames.REBUILD_INSTANCE)
def rebuild_instance(*, instance_uuid: str, request_id: str | None):
    rebuilds.rebuild_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.SNAPSHOT_INSTANCE)
def snapshot_instance(*, instance_uuid: str, request_id: str | None):
    snapshots.snapshot_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.SHELVE_INSTANCE)
def shelve_instance(*, instance_uuid: str, request_id: str | None):
    shelving.shelve_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.SHELVE_OFFLOAD_INSTANCE)
def shelve_offload_instance(*, instance_uuid: str, request_id: str | None):
    shelving.shelve_offload_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.UNSHELVE_INSTANCE)
def unshelve_instance(*, instance_uuid: str, request_id: str | None):
    shelving.unshelve_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.RESCUE_INSTANCE)
def rescue_instance(*, instance_uuid: str, request_id: str | None):
    rescues.rescue_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.UNRESCUE_INSTANCE)
def unrescue_instance(*, instance_uuid: str, request_id: str | None):
    rescues.unrescue_instance(instance_uuid=instance_uuid, request_id=request_id)


@shared_task(name=tasknames.OFFLOAD_SHELVED_INSTANCES)
def offload_shelved_instances():
    if settings.SHELVED_OFFLOAD_TIME <= 0:
        return []  # 0: offloaded by the shelve itself; -1: never
    return instances_offload_shelved(offload_after=settings.SHELVED_OFFLOAD_TIME)
