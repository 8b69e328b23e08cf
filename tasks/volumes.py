"""Volume tasks. Thin: ids in, tasks/volume_manager.py and tasks/mounts.py do the work.

- `compute.*` run on `compute.<host>` (the attachment's host: only it can mount and plug);
- `volume.*` run on `volume`, consumed by the conductor worker, which makes and removes volume files
  under its own mount identity (VOLUME_SERVICE_HOST);
- `conductor.audit_mounts_all_hosts` is beat's: it fans the audit out to each live host, as power sync does.
"""
import logging

from celery import shared_task

from compute_platform.celery import app
from compute_platform.compute.models import Host
from compute_platform.compute.services.dispatch import host_queue
from compute_platform.volumes.services.volumes import VOLUME_QUEUE

from . import mounts, volume_manager

logger = logging.getLogger(__name__)


@shared_task(name="compute.attach_volume")
def attach_volume(*, attachment_id: str, request_id: str):
    volume_manager.attach_volume(attachment_id=attachment_id, request_id=request_id)


@shared_task(name="compute.detach_volume")
def detach_volume(*, attachment_id: str, request_id: str):
    volume_manager.detach_volume(attachment_id=attachment_id, request_id=request_id)


@shared_task(name="compute.audit_mounts", ignore_result=False)
def audit_mounts():
    return mounts.host_mounts_audit()


@shared_task(name="compute.mount_status", ignore_result=False)
def mount_status():
    return mounts.host_mount_status()


@shared_task(name="volume.create_volume")
def create_volume(*, volume_id: str, request_id: str = ""):
    volume_manager.create_volume_file(volume_id=volume_id, request_id=request_id)


@shared_task(name="volume.delete_volume")
def delete_volume(*, volume_id: str, request_id: str = ""):
    volume_manager.delete_volume_file(volume_id=volume_id, request_id=request_id)


@shared_task(name="volume.audit_mounts", ignore_result=False)
def volume_service_audit_mounts():
    return mounts.volume_service_mounts_audit()


@shared_task(name="volume.mount_status", ignore_result=False)
def volume_service_mount_status():
    return mounts.volume_service_mount_status()


@shared_task(name="conductor.audit_mounts_all_hosts")
def audit_mounts_all_hosts():
    """Each live host audits its own mounts (only its kernel knows them); so does the volume service.
    Disabled hosts too: they take no new servers but keep their guests and mounts. `expires`: an audit that
    waited longer than an interval is superseded by the next one."""
    sent = []
    for host in Host.objects.all():
        if host.is_up:
            app.send_task("compute.audit_mounts", queue=host_queue(host.name), expires=60)
            sent.append(host.name)
    app.send_task("volume.audit_mounts", queue=VOLUME_QUEUE, expires=60)
    return sent
