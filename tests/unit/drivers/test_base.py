"""The driver contract's values and errors: they cross process boundaries, so they must round-trip."""

from __future__ import annotations

import pickle

import pytest

from hypervisors.base import (
    ComputeDriver,
    DriverError,
    HostResources,
    InstanceExists,
    InstanceInfo,
    InstanceNotFound,
    InstanceSpec,
    InvalidPowerState,
    PowerState,
)


def test_power_state_codes_are_novas():
    assert {s.name: int(s) for s in PowerState} == {
        "NOSTATE": 0, "RUNNING": 1, "PAUSED": 3, "SHUTDOWN": 4, "CRASHED": 6, "SUSPENDED": 7,
    }


def test_instance_spec_is_frozen_and_does_not_alias_caller_metadata():
    metadata = {"role": "web"}
    spec = InstanceSpec(uuid="u-1", name="vm", vcpus=1, memory_mb=64, root_gb=1, metadata=metadata)
    metadata["role"] = "db"
    assert spec.metadata["role"] == "web"
    with pytest.raises(TypeError):
        spec.metadata["role"] = "db"  # type: ignore[index]
    with pytest.raises(AttributeError):
        spec.vcpus = 4  # type: ignore[misc]
    assert hash(spec) == hash(InstanceSpec(uuid="u-1", name="vm", vcpus=1, memory_mb=64, root_gb=1))


@pytest.mark.parametrize("bad", [{"uuid": ""}, {"vcpus": 0}, {"memory_mb": -1}, {"root_gb": -1}])
def test_instance_spec_rejects_impossible_sizes(bad):
    with pytest.raises(ValueError):
        InstanceSpec(**({"uuid": "u-1", "name": "vm", "vcpus": 1, "memory_mb": 64, "root_gb": 1} | bad))


def test_info_and_resources_coerce_and_freeze():
    assert InstanceInfo(uuid="u", power_state=4, vcpus=1, memory_mb=64).power_state is PowerState.SHUTDOWN
    res = HostResources(hostname="h", vcpus=1, memory_mb=1, disk_gb=1, hypervisor_type="t",
                        hypervisor_version=1, cpu_info={"arch": "x86_64"})
    with pytest.raises(TypeError):
        res.cpu_info["arch"] = "arm"  # type: ignore[index]


@pytest.mark.parametrize(
    "error",
    [
        DriverError("boom", "u-1"),
        DriverError("no guest at fault"),
        InstanceNotFound("u-1"),
        InstanceExists("u-1"),
        InvalidPowerState("u-1", "pause", PowerState.SHUTDOWN),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_survive_pickling_with_their_fields(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), copy.instance_uuid) == (str(error), error.instance_uuid)
    assert isinstance(copy, DriverError)


def test_errors_say_what_happened():
    assert str(InstanceNotFound("u-1")) == "instance u-1 not found on this host"
    err = InvalidPowerState("u-1", "pause", PowerState.SHUTDOWN)
    assert str(err) == "cannot pause instance u-1 while it is SHUTDOWN"
    assert (err.action, err.power_state) == ("pause", PowerState.SHUTDOWN)


class _Minimal(ComputeDriver):
    """Implements nothing for real: only to reach ComputeDriver's own behaviour."""

    name = "minimal"
    spawn = destroy = power_off = power_on = reboot = lambda *a, **k: None
    pause = unpause = suspend = resume = lambda *a, **k: None
    get_info = list_instances = get_console_output = get_host_resources = lambda *a, **k: None
    attach_volume = detach_volume = list_volume_attachments = open_console = lambda *a, **k: None
    get_diagnostics = lambda *a, **k: None
    snapshot = rescue = unrescue = is_rescued = lambda *a, **k: None  # moves A
    plug_vif = unplug_vif = list_vifs = refresh_vif_rules = vif_rules = lambda *a, **k: None
    apply_floating_ips = floating_ips = lambda *a, **k: None
    apply_group_members = group_members = lambda *a, **k: None
    trigger_crash_dump = lambda *a, **k: None


def test_compute_driver_is_abstract_except_init_host():
    with pytest.raises(TypeError):
        ComputeDriver(host="h")  # type: ignore[abstract]
    abstract = ComputeDriver.__abstractmethods__
    assert "init_host" not in abstract and {"spawn", "destroy", "get_host_resources"} <= abstract
    assert _Minimal(host="h").init_host() is None


@pytest.mark.parametrize("host", ["", "../etc", "a/b"])
def test_compute_driver_rejects_host_names_unusable_in_paths(host):
    with pytest.raises(ValueError, match="invalid host name"):
        _Minimal(host=host)
