"""Synchronous calls to a host's worker about its mounts: only that host's kernel knows what it has mounted.

The volume service (the conductor worker consuming `volume`) answers for VOLUME_SERVICE_HOST.
"""
from django.conf import settings

from compute_platform import tasknames
from compute_platform.compute.exceptions import NotFound
from compute_platform.compute.models import Host
from compute_platform.compute.services.host_calls import host_call
from compute_platform.tasknames import host_queue


def _route(host: str, *, compute_task: str, volume_service_task: str) -> tuple[str, str]:
    """(task name, queue) answering for `host`; 404 for a host nobody runs."""
    if host == settings.VOLUME_SERVICE_HOST:
        return volume_service_task, tasknames.VOLUME_QUEUE
    if not Host.objects.filter(name=host).exists():
        raise NotFound(f"Compute host {host} could not be found.")
    return compute_task, host_queue(host)


def host_mount_status(*, context, host: str) -> list[dict]:
    """Each export known to the database, as the host's MountManager and kernel see it (MountStatus dicts)."""
    task, queue = _route(host, compute_task=tasknames.MOUNT_STATUS,
                         volume_service_task=tasknames.VOLUME_SERVICE_MOUNT_STATUS)
    return host_call(context=context, host=host, task=task, queue=queue)


def host_mount_audit(*, context, host: str) -> dict:
    """Run the host's mount audit now; returns its ReconcileReport as a dict."""
    task, queue = _route(host, compute_task=tasknames.AUDIT_MOUNTS,
                         volume_service_task=tasknames.VOLUME_SERVICE_AUDIT_MOUNTS)
    # An audit may wait on export locks held across slow mounts: give it longer than a plain read.
    return host_call(context=context, host=host, task=task, queue=queue,
                     timeout=max(settings.HOST_CALL_TIMEOUT, settings.MOUNT_TIMEOUT))
