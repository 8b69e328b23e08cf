"""Per-process compute runtime: which host(s) this worker serves, their hypervisor drivers and MountManagers.

A worker serves one host (`compute_worker --host`), or, for scale tests, many simulated fake hosts
(`--hosts node1..node1000`, as Nova's fake driver served its 1,000-node tests): each keeps its own queue
`compute.<host>`, and a task runs as the host whose queue it came on (`task.request.delivery_info`).
"""
import functools
import os
import threading
from contextlib import contextmanager

import redis
from django.conf import settings

import hypervisors
from hypervisors.fake import parse_delays
from hypervisors.volumes import MountManager

from compute_platform.tasknames import host_queue

_host: str | None = None
_hosts: frozenset[str] = frozenset()
_queues: dict[str, str] = {}  # compute.<host> -> host, for the hosts served
_task_host = threading.local()  # the host of the task running on this thread (multi-host worker)


def host_set(name: str) -> None:
    """Make this process serve host `name` (the worker command does, at start-up, before any task). The
    driver and MountManager belong to a host, so they are made again for the new one."""
    global _host
    hosts_set([name])
    _host = name


def hosts_set(names: list[str]) -> None:
    """Serve many hosts from this process (fake driver only): each task runs as its queue's host."""
    global _host, _hosts, _queues
    _host, _hosts, _queues = None, frozenset(names), {host_queue(n): n for n in names}
    _driver_for.cache_clear()
    _mount_manager_for.cache_clear()


@contextmanager
def serving(host: str):
    """Run the block as `host` (one of this process's hosts), on this thread."""
    if host not in _hosts:
        raise RuntimeError(f"this worker does not serve host {host}")
    previous = getattr(_task_host, "name", None)
    _task_host.name = host
    try:
        yield
    finally:
        _task_host.name = previous


def task_host_enter(routing_key: str | None) -> None:
    """Before a task (multi-host worker): run it as the host whose queue `compute.<host>` it came on."""
    _task_host.name = _queues.get(routing_key)


def task_host_leave() -> None:
    _task_host.name = None


def this_host() -> str:
    host = getattr(_task_host, "name", None) or _host or settings.COMPUTE_HOST
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
                "instances_dir": str(settings.INSTANCES_DIR), "shutdown_timeout": settings.SOFT_POWER_OFF_TIMEOUT,
                "live_migration_uri": settings.LIBVIRT_LIVE_MIGRATION_URI,
                "metadata_api_url": settings.METADATA_API_URL,
                "metadata_proxy_secret": settings.METADATA_PROXY_SHARED_SECRET}
    return {}


def get_driver() -> hypervisors.ComputeDriver:
    return _driver_for(this_host())


@functools.lru_cache(maxsize=None)
def _driver_for(host: str) -> hypervisors.ComputeDriver:
    # One driver per host and process: it may hold a hypervisor connection shared by the task threads.
    name = settings.COMPUTE_DRIVER
    driver = hypervisors.load_driver(name, host=host, **driver_options(name))
    driver.init_host()
    return driver


def mount_base_for(host: str) -> str:
    """Where `host` mounts exports. A move's source names the destination's paths with it (live migration)."""
    return os.path.join(settings.VOLUME_MOUNT_BASE, host)


def _mount_manager(host: str, truth) -> MountManager:
    return MountManager(host=host, redis_client=redis.Redis.from_url(settings.MOUNT_REDIS_URL),
                        mount_base=mount_base_for(host), truth=truth,
                        lock_ttl=settings.MOUNT_LOCK_TTL, mount_timeout=settings.MOUNT_TIMEOUT)


def get_mount_manager() -> MountManager:
    """This host's MountManager, one per host and process: all coordination is in Redis, keyed by host. If
    Redis loses its state, the manager rebuilds it from the database and the guests (tasks/mounts.py)."""
    return _mount_manager_for(this_host())


@functools.lru_cache(maxsize=None)
def _mount_manager_for(host: str) -> MountManager:
    from .mounts import host_mounts_truth

    return _mount_manager(host, host_mounts_truth)


@functools.lru_cache(maxsize=1)
def get_volume_service_mount_manager() -> MountManager:
    """The volume service's MountManager (VOLUME_SERVICE_HOST): mounts exports to make and remove files."""
    from .mounts import volume_service_mounts_truth

    return _mount_manager(settings.VOLUME_SERVICE_HOST, volume_service_mounts_truth)
