"""Per-process compute runtime: which host this worker serves, its hypervisor driver and its MountManager."""
import functools
import os

import redis
from django.conf import settings

import hypervisors
from hypervisors.fake import parse_delays
from hypervisors.volumes import MountManager

_host: str | None = None


def host_set(name: str) -> None:
    """Make this process serve host `name` (the worker command does, at start-up, before any task). The
    driver and MountManager belong to a host, so they are made again for the new one."""
    global _host
    _host = name
    get_driver.cache_clear()
    get_mount_manager.cache_clear()


def this_host() -> str:
    host = _host or settings.COMPUTE_HOST
    if not host:
        raise RuntimeError("no compute host set: compute tasks run only in a host's worker "
                           "(manage.py compute_worker --host NAME)")
    return host


def driver_options(name: str) -> dict:
    if name == "fake":
        return {"state_dir": str(settings.FAKE_DRIVER_STATE_DIR), "vcpus": settings.FAKE_HOST_VCPUS,
                "memory_mb": settings.FAKE_HOST_MEMORY_MB, "disk_gb": settings.FAKE_HOST_DISK_GB,
                "delays": parse_delays(settings.FAKE_DRIVER_DELAYS)}
    if name == "libvirt":
        return {"uri": settings.LIBVIRT_URI, "virt_type": settings.LIBVIRT_VIRT_TYPE,
                "instances_dir": str(settings.INSTANCES_DIR), "shutdown_timeout": settings.SOFT_POWER_OFF_TIMEOUT}
    return {}


@functools.lru_cache(maxsize=1)
def get_driver() -> hypervisors.ComputeDriver:
    # One driver per worker process: it may hold a hypervisor connection shared by the task threads.
    name = settings.COMPUTE_DRIVER
    driver = hypervisors.load_driver(name, host=this_host(), **driver_options(name))
    driver.init_host()
    return driver


def _mount_manager(host: str, truth) -> MountManager:
    return MountManager(host=host, redis_client=redis.Redis.from_url(settings.MOUNT_REDIS_URL),
                        mount_base=os.path.join(settings.VOLUME_MOUNT_BASE, host), truth=truth,
                        lock_ttl=settings.MOUNT_LOCK_TTL, mount_timeout=settings.MOUNT_TIMEOUT)


@functools.lru_cache(maxsize=1)
def get_mount_manager() -> MountManager:
    """This host's MountManager, one per process: all coordination is in Redis, keyed by host. If Redis
    loses its state, the manager rebuilds it from the database and the guests (tasks/mounts.py)."""
    from .mounts import host_mounts_truth

    return _mount_manager(this_host(), host_mounts_truth)


@functools.lru_cache(maxsize=1)
def get_volume_service_mount_manager() -> MountManager:
    """The volume service's MountManager (VOLUME_SERVICE_HOST): mounts exports to make and remove files."""
    from .mounts import volume_service_mounts_truth

    return _mount_manager(settings.VOLUME_SERVICE_HOST, volume_service_mounts_truth)
