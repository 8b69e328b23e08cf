"""Per-process compute runtime: which host this worker serves and its hypervisor driver."""
import functools
import os

from django.conf import settings

import hypervisors


def this_host() -> str:
    host = os.environ.get("COMPUTE_HOST")
    if not host:
        raise RuntimeError("COMPUTE_HOST is not set: compute tasks run only in a host's worker "
                           "(manage.py compute_worker --host NAME)")
    return host


def driver_options(name: str) -> dict:
    if name == "fake":
        return {"state_dir": str(settings.COMPUTE_STATE_DIR / "fake"), "vcpus": settings.FAKE_HOST_VCPUS,
                "memory_mb": settings.FAKE_HOST_MEMORY_MB, "disk_gb": settings.FAKE_HOST_DISK_GB}
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
