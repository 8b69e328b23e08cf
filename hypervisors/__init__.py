"""Hypervisor drivers: pure Python, no Django. Pick one by name with `load_driver`."""

from __future__ import annotations

import importlib
from typing import Any

from hypervisors.base import ComputeDriver

# name -> "module:Class". Imported only when asked for, so the fake never needs libvirt's bindings.
DRIVERS: dict[str, str] = {
    "fake": "hypervisors.fake:FakeDriver",
    "libvirt": "hypervisors.libvirt.driver:LibvirtDriver",
}


def load_driver(name: str, *, host: str, **options: Any) -> ComputeDriver:
    """Build the driver registered as `name` for `host`. Unknown names raise ValueError; options the
    driver does not accept raise TypeError. `init_host()` is left to the caller (the worker at start)."""
    try:
        target = DRIVERS[name]
    except KeyError:
        raise ValueError(f"unknown compute driver {name!r}; known drivers: {', '.join(sorted(DRIVERS))}") from None
    module_name, _, class_name = target.partition(":")
    driver_class = getattr(importlib.import_module(module_name), class_name)
    return driver_class(host=host, **options)


__all__ = ["DRIVERS", "load_driver"]
