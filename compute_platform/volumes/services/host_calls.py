"""Synchronous calls to a host's worker about its mounts: only that host's kernel knows what it has mounted.

The volume service (the conductor worker consuming `volume`) answers for VOLUME_SERVICE_HOST.
"""
import logging

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from compute_platform.compute.exceptions import NotFound
from compute_platform.compute.models import Host
from compute_platform.compute.services.dispatch import host_queue
from compute_platform.compute.services.host_calls import HostUnavailable

from .volumes import VOLUME_QUEUE

logger = logging.getLogger(__name__)


def _route(host: str, what: str) -> tuple[str, str]:
    """(task name, queue) answering `what` for `host`; 404 for a host nobody runs."""
    if host == settings.VOLUME_SERVICE_HOST:
        return f"volume.{what}", VOLUME_QUEUE
    if not Host.objects.filter(name=host).exists():
        raise NotFound(f"Compute host {host} could not be found.")
    return f"compute.{what}", host_queue(host)


def _call(host: str, what: str, *, context, timeout: float | None = None):
    from compute_platform.celery import app

    task, queue = _route(host, what)
    timeout = timeout or settings.HOST_CALL_TIMEOUT
    result = app.send_task(task, queue=queue, kwargs={}, expires=timeout)
    try:
        return result.get(timeout=timeout, disable_sync_subtasks=False)
    except CeleryTimeout:
        logger.warning("host %s did not answer %s (%s)", host, task, context.request_id)
        raise HostUnavailable(f"Host {host} did not answer within {timeout:.0f} s.")
    finally:
        result.forget()


def host_mount_status(*, context, host: str) -> list[dict]:
    """Each export known to the database, as the host's MountManager and kernel see it (MountStatus dicts)."""
    return _call(host, "mount_status", context=context)


def host_mount_audit(*, context, host: str) -> dict:
    """Run the host's mount audit now; returns its ReconcileReport as a dict."""
    # An audit may wait on export locks held across slow mounts: give it longer than a plain read.
    return _call(host, "audit_mounts", context=context, timeout=max(settings.HOST_CALL_TIMEOUT,
                                                                       settings.MOUNT_TIMEOUT))
