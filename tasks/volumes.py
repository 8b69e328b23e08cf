"""Volume tasks. Thin: ids in, tasks/volume_manager.py and tasks/mounts.py do the work.

- `compute.*` run on `compute.<host>` (the attachment's host: only it can mount and plug);
- `volume.*` run on `volume`, consumed by the conductor worker, which makes and removes volume files
  under its own mount identity (VOLUME_SERVICE_HOST);
- `conductor.audit_mounts_all_hosts` is beat's: it fans the audit out to each live host, as power sync does.
"""
import logging

from celery import shared_task

from compute_platform.compute.services.dispatch import task_send
from compute_platform.compute.services.hosts import hosts_fan_out
from compute_platform import tasknames

from . import mounts, volume_manager

logger = logging.getLogger(__name__)


@shared_task(name=tasknames.ATTACH_VOLUME)
def attach_volume(*, attachment_id: str, request_id: str):
    volume_manager.attach_volume(attachment_id=attachment_id, request_id=request_id)


@shared_task(name=tasknames.DETACH_VOLUME)
def detach_volume(*, attachment_id: str, request_id: str):
    volume_manager.detach_volume(attachment_id=attachment_id, request_id=request_id)


@shared_task(name=tasknames.AUDIT_MOUNTS, ignore_result=False)
def audit_mounts():
    return mounts.host_mounts_audit()


@shared_task(name=tasknames.MOUNT_STATUS, ignore_result=False)
def mount_status():
    return mounts.host_mount_status()


@shared_task(name=tasknames.CREATE_VOLUME)
def create_volume(*, volume_id: str, request_id: str = ""):
    volume_manager.create_volume_file(volume_id=volume_id, request_id=request_id)


@shared_task(name=tasknames.DELETE_VOLUME)
def delete_volume(*, volume_id: str, request_id: str = ""):
    volume_manager.delete_volume_file(volume_id=volume_id, request_id=request_id)


@shared_task(name=tasknames.VOLUME_SERVICE_AUDIT_MOUNTS, ignore_result=False)
def volume_service_audit_mounts():
    return mounts.volume_service_mounts_audit()


@shared_task(name=tasknames.VOLUME_SERVICE_MOUNT_STATUS, ignore_result=False)
def volume_service_mount_status():
    return mounts.volume_service_mount_status()


@shared_task(name=tasknames.AUDIT_MOUNTS_ALL_HOSTS)
def audit_mounts_all_hosts():
    """Each live host audits its own mounts (only its kernel knows them); so does the volume service.
    Disabled hosts too: they take no new servers but keep their guests and mounts. `expires`: an audit that
    waited longer than an interval is superseded by the next one."""
    sent = hosts_fan_out(task=tasknames.AUDIT_MOUNTS, include_disabled=True)
    task_send(task_name=tasknames.VOLUME_SERVICE_AUDIT_MOUNTS, queue=tasknames.VOLUME_QUEUE, kwargs={}, expires=60)
    return sent
