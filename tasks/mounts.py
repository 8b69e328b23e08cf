"""A host's mounts as a whole: rebuild at worker start, the periodic audit, and the status an operator reads.

The MountManager (hypervisors/volumes) does the work; this module tells it, from the database and the
driver, which attachments the host needs.
"""
import dataclasses
import logging
import os

from compute_platform.compute.models import Instance
from compute_platform.compute.states import VmState
from compute_platform.volumes.models import Export
from compute_platform.compute.selectors_migrations import moving_instance_uuids
from compute_platform.volumes.selectors import (host_live_attachment_keys, host_moving_attachment_keys,
                                                volume_service_op_keys)
from compute_platform.volumes.services.exports import export_ref
from hypervisors.base import InstanceNotFound
from hypervisors.volumes import MountManager, attachment_key

from .runtime import get_driver, get_mount_manager, get_volume_service_mount_manager, this_host

logger = logging.getLogger(__name__)


def _exports() -> list:
    return [export_ref(e) for e in Export.objects.order_by("pk")]


def driver_attachment_keys(mounts: MountManager, exports: list, guests: list[str]) -> dict[str, set[str]]:
    """{export id: {key}} for the volumes the driver's guests have, each mapped to its export by the mount
    point its file lives in (the connection's path is `<mount point>/volume-<id>`)."""
    by_mountpoint = {mounts.mountpoint(e): e.id for e in exports}
    needed: dict[str, set[str]] = {}
    driver = get_driver()
    for uuid in guests:
        try:
            connections = driver.list_volume_attachments(uuid)
        except InstanceNotFound:
            continue
        for conn in connections:
            export_id = by_mountpoint.get(os.path.dirname(os.path.normpath(conn.path)))
            if export_id is None:
                logger.warning("host %s: guest %s has volume %s at %s, on no known export", mounts.host, uuid,
                               conn.volume_id, conn.path)
                continue
            needed.setdefault(export_id, set()).add(attachment_key(conn.volume_id, uuid))
    return needed


def host_mounts_truth() -> tuple[list, dict[str, set[str]]]:
    """The truth the host's MountManager rebuilds from: every export, and per export the keys of the
    database's live attachments on this host plus the volumes the host's live guests hold. Guests no live
    instance owns are about to be reaped, so their disks count for nothing."""
    host, mounts = this_host(), get_mount_manager()
    exports = _exports()
    needed = host_live_attachment_keys(host=host)
    # An open move needs its volumes on both hosts: the destination mounted them before the guest arrives,
    # the source keeps them until the guest has left (and, for a resize, until confirm or revert).
    for export_id, keys in host_moving_attachment_keys(host=host).items():
        needed.setdefault(export_id, set()).update(keys)
    live = {str(u) for u in Instance.objects.filter(host__name=host).exclude(
        vm_state=VmState.DELETED).values_list("uuid", flat=True)} | moving_instance_uuids(host=host)
    guests = [u for u in get_driver().list_instances() if u in live]
    for export_id, keys in driver_attachment_keys(mounts, exports, guests).items():
        extra = keys - needed.get(export_id, set())
        if extra:
            logger.warning("host %s export %s: guests hold volumes the database does not: %s", host, export_id,
                           sorted(extra))
        needed.setdefault(export_id, set()).update(keys)
    return exports, needed


def host_mounts_rebuild() -> dict:
    """At worker start, before consuming: the host's attachment sets become exactly the truth, and the
    kernel's mounts follow. (A worker that finds Redis's copy lost later does the same by itself.)"""
    host, mounts = this_host(), get_mount_manager()
    exports, needed = host_mounts_truth()
    report = mounts.rebuild(exports, needed)
    summary = {k: v for k, v in report.as_dict().items() if v}
    logger.info("host %s mounts rebuilt: %d exports, %d attachments: %s", host, len(exports),
                sum(map(len, needed.values())), summary)
    return summary


def host_mounts_audit() -> dict:
    host, mounts = this_host(), get_mount_manager()
    report = mounts.audit()  # against host_mounts_truth(), which the manager reads itself
    _log_report(host, report)
    return report.as_dict()


def host_mount_status() -> list[dict]:
    mounts = get_mount_manager()
    return [dataclasses.asdict(mounts.status(e)) for e in _exports()]


# --- the volume service's own mounts (creating and deleting files) ------------------------------------

def volume_service_mounts_truth() -> tuple[list, dict[str, set[str]]]:
    """Only volumes still being created or deleted need an export (their tasks are delivered again)."""
    return _exports(), volume_service_op_keys()


def volume_service_mounts_rebuild() -> dict:
    """At the conductor's start: any leftover mount of the volume service that no create or delete needs goes."""
    mounts = get_volume_service_mount_manager()
    report = mounts.rebuild(*volume_service_mounts_truth())
    summary = {k: v for k, v in report.as_dict().items() if v}
    logger.info("volume service %s mounts rebuilt: %s", mounts.host, summary)
    return summary


def volume_service_mounts_audit() -> dict:
    mounts = get_volume_service_mount_manager()
    report = mounts.audit()
    _log_report(mounts.host, report)
    return report.as_dict()


def volume_service_mount_status() -> list[dict]:
    mounts = get_volume_service_mount_manager()
    return [dataclasses.asdict(mounts.status(e)) for e in _exports()]


def _log_report(host: str, report) -> None:
    if report.drift or report.busy:
        # Missing keys were added back; stale keys are pruned only once a fresh truth confirms them.
        logger.warning("host %s mount audit: drift: mounted %s unmounted %s busy %s failed %s stray %s "
                       "stale keys %s (pruned %s) missing keys (added back) %s", host, report.mounted,
                       report.unmounted, report.busy, report.failed, report.stray_unmounted, report.stale_keys,
                       report.pruned_keys, report.missing_keys)
    else:
        logger.info("host %s mount audit: %d exports, no drift", host, report.checked)
