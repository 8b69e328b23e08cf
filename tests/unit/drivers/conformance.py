"""The one conformance suite every ComputeDriver passes.

Subclass `DriverConformance` in a `test_*.py` module and provide a `driver` fixture yielding a fresh
driver with no guests. Override `spec_factory` when the driver needs more than the default spec (the
libvirt driver needs an `image`). Checks that depend on an optional capability skip when the driver
does not claim it.
"""

from __future__ import annotations

import os
import uuid as uuidlib
import time

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
    VolumeAttachFailed,
    VolumeConnection,
)

from .conformance_moves_a import SnapshotRescueConformance

S = PowerState

# Every method that takes an instance uuid and must raise InstanceNotFound for a missing guest.
MISSING_GUEST_CALLS = {
    "power_off": lambda d, u: d.power_off(u, timeout=1.0),
    "power_on": lambda d, u: d.power_on(u),
    "soft_reboot": lambda d, u: d.reboot(u, hard=False),
    "hard_reboot": lambda d, u: d.reboot(u, hard=True),
    "pause": lambda d, u: d.pause(u),
    "unpause": lambda d, u: d.unpause(u),
    "suspend": lambda d, u: d.suspend(u),
    "resume": lambda d, u: d.resume(u),
    "get_info": lambda d, u: d.get_info(u),
    "get_console_output": lambda d, u: d.get_console_output(u),
    "get_diagnostics": lambda d, u: d.get_diagnostics(u),
    "trigger_crash_dump": lambda d, u: d.trigger_crash_dump(u),
}


def bring_to(driver: ComputeDriver, uuid: str, state: PowerState) -> None:
    """Drive a RUNNING guest into `state` through the public API only."""
    if state in (S.PAUSED, S.SUSPENDED):
        require(driver, "supports_pause" if state == S.PAUSED else "supports_suspend")
    {
        S.RUNNING: lambda: None,
        S.SHUTDOWN: lambda: driver.power_off(uuid, timeout=5.0),
        S.PAUSED: lambda: driver.pause(uuid),
        S.SUSPENDED: lambda: driver.suspend(uuid),
    }[state]()
    assert driver.get_info(uuid).power_state == state


def require(driver: ComputeDriver, capability: str) -> None:
    if not driver.capabilities.get(capability):
        pytest.skip(f"driver {driver.name} does not claim {capability}")


def state_of(driver: ComputeDriver, uuid: str) -> PowerState:
    return driver.get_info(uuid).power_state


class DriverConformance(SnapshotRescueConformance):
    """Mixin: not collected by itself (no Test prefix), collected through each driver's subclass."""

    @pytest.fixture
    def spec_factory(self):
        def make(**overrides) -> InstanceSpec:
            uuid = overrides.pop("uuid", str(uuidlib.uuid4()))
            values = dict(uuid=uuid, name=f"conf-{uuid[:8]}", vcpus=1, memory_mb=128, root_gb=1)
            return InstanceSpec(**(values | overrides))

        return make

    @pytest.fixture
    def guest(self, driver, spec_factory) -> str:
        """The uuid of a freshly spawned, RUNNING guest."""
        spec = spec_factory()
        driver.spawn(spec)
        return spec.uuid

    # -- identity, host ------------------------------------------------------------------------------

    def test_declares_name_and_capabilities(self, driver):
        assert isinstance(driver.name, str) and driver.name
        assert all(isinstance(v, bool) for v in driver.capabilities.values())

    def test_init_host_keeps_existing_guests(self, driver, guest):
        assert driver.init_host() is None
        assert guest in driver.list_instances()

    def test_host_resources_positive(self, driver):
        res = driver.get_host_resources()
        assert isinstance(res, HostResources)
        assert res.hostname == driver.host
        assert res.vcpus > 0 and res.memory_mb > 0 and res.disk_gb > 0 and res.hypervisor_version > 0
        assert res.hypervisor_type

    # -- spawn, destroy, list, info ------------------------------------------------------------------

    def test_spawn_runs_and_lists(self, driver, spec_factory):
        spec = spec_factory()
        assert spec.uuid not in driver.list_instances()
        driver.spawn(spec)
        assert spec.uuid in driver.list_instances()
        info = driver.get_info(spec.uuid)
        assert isinstance(info, InstanceInfo)
        assert (info.uuid, info.power_state) == (spec.uuid, S.RUNNING)
        assert (info.vcpus, info.memory_mb) == (spec.vcpus, spec.memory_mb)

    def test_spawn_existing_raises_and_keeps_guest(self, driver, spec_factory, guest):
        with pytest.raises(InstanceExists) as exc:
            driver.spawn(spec_factory(uuid=guest))
        assert exc.value.instance_uuid == guest
        assert driver.list_instances().count(guest) == 1
        assert state_of(driver, guest) == S.RUNNING

    def test_destroy_removes_guest(self, driver, guest):
        driver.destroy(guest)
        assert guest not in driver.list_instances()
        with pytest.raises(InstanceNotFound):
            driver.get_info(guest)

    def test_destroy_is_idempotent(self, driver, guest):
        driver.destroy(guest)
        driver.destroy(guest)  # a redelivered delete
        driver.destroy(str(uuidlib.uuid4()))  # never existed
        assert guest not in driver.list_instances()

    @pytest.mark.parametrize("state", [S.SHUTDOWN, S.PAUSED, S.SUSPENDED], ids=lambda s: s.name)
    def test_destroy_from_any_state(self, driver, guest, state):
        bring_to(driver, guest, state)
        driver.destroy(guest)
        assert guest not in driver.list_instances()

    def test_destroy_leaves_other_guests(self, driver, spec_factory, guest):
        other = spec_factory()
        driver.spawn(other)
        driver.destroy(guest)
        assert driver.list_instances() == [other.uuid]
        assert state_of(driver, other.uuid) == S.RUNNING

    def test_list_includes_every_power_state(self, driver, spec_factory):
        uuids = {}
        for state in (S.RUNNING, S.SHUTDOWN):
            spec = spec_factory()
            driver.spawn(spec)
            bring_to(driver, spec.uuid, state)
            uuids[state] = spec.uuid
        assert sorted(driver.list_instances()) == sorted(uuids.values())

    # -- power off / on, reboot ----------------------------------------------------------------------

    def test_power_off_and_on_are_idempotent(self, driver, guest):
        driver.power_off(guest, timeout=5.0)
        driver.power_off(guest, timeout=5.0)
        assert state_of(driver, guest) == S.SHUTDOWN
        driver.power_on(guest)
        driver.power_on(guest)
        assert state_of(driver, guest) == S.RUNNING

    @pytest.mark.parametrize("state", [S.PAUSED, S.SUSPENDED], ids=lambda s: s.name)
    def test_power_off_from_paused_or_suspended(self, driver, guest, state):
        bring_to(driver, guest, state)
        driver.power_off(guest, timeout=5.0)
        assert state_of(driver, guest) == S.SHUTDOWN

    @pytest.mark.parametrize("state", [S.PAUSED, S.SUSPENDED], ids=lambda s: s.name)
    def test_power_on_paused_or_suspended_raises(self, driver, guest, state):
        bring_to(driver, guest, state)
        with pytest.raises(InvalidPowerState) as exc:
            driver.power_on(guest)
        assert exc.value.instance_uuid == guest
        assert state_of(driver, guest) == state

    def test_soft_reboot_running_guest(self, driver, guest):
        driver.reboot(guest, hard=False)
        assert state_of(driver, guest) == S.RUNNING

    def test_soft_reboot_stopped_guest_raises(self, driver, guest):
        bring_to(driver, guest, S.SHUTDOWN)
        with pytest.raises(InvalidPowerState) as exc:
            driver.reboot(guest, hard=False)
        assert exc.value.instance_uuid == guest
        assert state_of(driver, guest) == S.SHUTDOWN

    @pytest.mark.parametrize("state", [S.RUNNING, S.SHUTDOWN, S.PAUSED, S.SUSPENDED], ids=lambda s: s.name)
    def test_hard_reboot_from_any_state(self, driver, guest, state):
        bring_to(driver, guest, state)
        driver.reboot(guest, hard=True)
        assert state_of(driver, guest) == S.RUNNING

    # -- pause, unpause, suspend, resume -------------------------------------------------------------

    def test_pause_unpause_round_trip_idempotent(self, driver, guest):
        require(driver, "supports_pause")
        driver.pause(guest)
        driver.pause(guest)
        assert state_of(driver, guest) == S.PAUSED
        driver.unpause(guest)
        driver.unpause(guest)
        assert state_of(driver, guest) == S.RUNNING

    def test_trigger_crash_dump_needs_a_running_guest(self, driver, guest):
        driver.trigger_crash_dump(guest)
        assert state_of(driver, guest) == S.RUNNING  # an NMI changes nothing the hypervisor reports
        driver.power_off(guest)
        with pytest.raises(InvalidPowerState):
            driver.trigger_crash_dump(guest)

    def test_suspend_resume_round_trip_idempotent(self, driver, guest):
        require(driver, "supports_suspend")
        driver.suspend(guest)
        driver.suspend(guest)
        assert state_of(driver, guest) == S.SUSPENDED
        driver.resume(guest)
        driver.resume(guest)
        assert state_of(driver, guest) == S.RUNNING

    def test_suspend_paused_guest(self, driver, guest):
        bring_to(driver, guest, S.PAUSED)
        require(driver, "supports_suspend")
        driver.suspend(guest)
        assert state_of(driver, guest) == S.SUSPENDED

    @pytest.mark.parametrize(
        "state, action",
        [
            (S.SHUTDOWN, "pause"), (S.SUSPENDED, "pause"),
            (S.SHUTDOWN, "unpause"), (S.SUSPENDED, "unpause"),
            (S.SHUTDOWN, "suspend"),
            (S.SHUTDOWN, "resume"), (S.PAUSED, "resume"),
        ],
        ids=lambda v: v.name if isinstance(v, PowerState) else v,
    )
    def test_wrong_state_raises_and_changes_nothing(self, driver, guest, state, action):
        require(driver, "supports_suspend" if action in ("suspend", "resume") else "supports_pause")
        bring_to(driver, guest, state)
        with pytest.raises(InvalidPowerState) as exc:
            getattr(driver, action)(guest)
        assert exc.value.instance_uuid == guest
        assert state_of(driver, guest) == state

    # -- missing guests, console ---------------------------------------------------------------------

    @pytest.mark.parametrize("call", sorted(MISSING_GUEST_CALLS))
    def test_missing_guest_raises_not_found(self, driver, call):
        missing = str(uuidlib.uuid4())
        with pytest.raises(InstanceNotFound) as exc:
            MISSING_GUEST_CALLS[call](driver, missing)
        assert exc.value.instance_uuid == missing
        assert missing not in driver.list_instances()

    def test_console_output_after_spawn(self, driver, guest):
        require(driver, "supports_console_output")
        output = driver.get_console_output(guest)
        assert isinstance(output, str) and output.strip()
        # a real guest may still be printing, so compare line counts only, not content
        tail = driver.get_console_output(guest, tail_lines=1)
        assert isinstance(tail, str) and len(tail.splitlines()) <= 1

    def test_diagnostics_of_running_and_stopped_guest(self, driver, guest):
        info = driver.get_info(guest)
        diag = driver.get_diagnostics(guest)
        assert (diag.uuid, diag.power_state, diag.driver, diag.memory_max_mb) == (
            guest, S.RUNNING, driver.name, info.memory_mb)
        assert len(diag.cpu_time_ns) == info.vcpus and all(t >= 0 for t in diag.cpu_time_ns)
        assert diag.disks and diag.disks[0].device == "vda"
        assert all(min(d.read_bytes, d.write_bytes, d.read_requests, d.write_requests, d.errors_count) >= 0
                   for d in diag.disks)
        driver.power_off(guest, timeout=1.0)
        stopped = driver.get_diagnostics(guest)
        assert stopped.power_state == S.SHUTDOWN and stopped.cpu_time_ns == ()
        assert state_of(driver, guest) == S.SHUTDOWN  # reading changed nothing

    # -- volumes -------------------------------------------------------------------------------------

    @pytest.fixture
    def volume_factory(self, tmp_path):
        """A VolumeConnection to a fresh 1 MiB raw file, readable by QEMU's user."""
        counter = iter(range(1, 26))

        def make(device: str | None = None) -> VolumeConnection:
            n = next(counter)
            vol_id = str(uuidlib.uuid4())
            path = tmp_path / f"volume-{vol_id}"
            with open(path, "wb") as f:
                f.truncate(1 << 20)
            path.chmod(0o666)
            return VolumeConnection(volume_id=vol_id, path=str(path), device=device or f"/dev/vd{chr(97 + n)}")

        return make

    @pytest.mark.parametrize("state", [S.RUNNING, S.SHUTDOWN], ids=lambda s: s.name)
    def test_attach_detach_volume_round_trip(self, driver, guest, volume_factory, state):
        require(driver, "supports_volume_attach")
        bring_to(driver, guest, state)
        vol = volume_factory()
        driver.attach_volume(guest, vol)
        driver.attach_volume(guest, vol)  # at-least-once delivery: a repeat changes nothing
        listed = driver.list_volume_attachments(guest)
        assert [(v.volume_id, v.device, v.path) for v in listed] == [(vol.volume_id, vol.device, vol.path)]
        assert state_of(driver, guest) == state
        driver.detach_volume(guest, vol.volume_id)
        driver.detach_volume(guest, vol.volume_id)  # already gone succeeds
        assert driver.list_volume_attachments(guest) == []
        assert state_of(driver, guest) == state

    def test_attached_volume_survives_power_cycle(self, driver, guest, volume_factory):
        require(driver, "supports_volume_attach")
        vol = volume_factory()
        driver.attach_volume(guest, vol)
        driver.power_off(guest, timeout=5.0)
        driver.power_on(guest)
        assert [v.volume_id for v in driver.list_volume_attachments(guest)] == [vol.volume_id]

    def test_attach_on_taken_device_raises_and_keeps_first(self, driver, guest, volume_factory):
        require(driver, "supports_volume_attach")
        first = volume_factory("/dev/vdb")
        driver.attach_volume(guest, first)
        with pytest.raises(VolumeAttachFailed) as exc:
            driver.attach_volume(guest, volume_factory("/dev/vdb"))
        assert exc.value.instance_uuid == guest
        assert [v.volume_id for v in driver.list_volume_attachments(guest)] == [first.volume_id]

    def test_attach_missing_file_raises_and_attaches_nothing(self, driver, guest, tmp_path):
        require(driver, "supports_volume_attach")
        vol = VolumeConnection(volume_id=str(uuidlib.uuid4()), path=str(tmp_path / "absent"), device="/dev/vdc")
        with pytest.raises(VolumeAttachFailed):
            driver.attach_volume(guest, vol)
        assert driver.list_volume_attachments(guest) == []

    @pytest.mark.parametrize("call", ["attach", "detach", "list"])
    def test_volume_calls_on_missing_guest_raise_not_found(self, driver, volume_factory, call):
        missing = str(uuidlib.uuid4())
        vol = volume_factory()
        with pytest.raises(InstanceNotFound):
            {"attach": lambda: driver.attach_volume(missing, vol),
             "detach": lambda: driver.detach_volume(missing, vol.volume_id),
             "list": lambda: driver.list_volume_attachments(missing)}[call]()

    def test_destroy_drops_volume_attachments(self, driver, spec_factory, guest, volume_factory):
        require(driver, "supports_volume_attach")
        vol = volume_factory()
        driver.attach_volume(guest, vol)
        driver.destroy(guest)
        assert os.path.exists(vol.path), "destroy must never remove a volume's file: it is not the guest's disk"
        spec = spec_factory(uuid=guest)
        driver.spawn(spec)
        assert driver.list_volume_attachments(guest) == []

    # -- the interactive serial console ----------------------------------------------------------------

    def test_console_opens_on_a_running_guest_and_leaves_it_running(self, driver, guest):
        require(driver, "supports_serial_console")
        with driver.open_console(guest) as console:
            console.write(b"\r")
            # a real guest may say nothing until asked; any answer within the deadline is enough
            deadline, seen = time.monotonic() + 30, b""
            while not seen and time.monotonic() < deadline:
                seen = console.read(timeout=1) or b""
            assert seen
        assert state_of(driver, guest) == S.RUNNING

    def test_console_of_a_stopped_guest_raises(self, driver, guest):
        require(driver, "supports_serial_console")
        bring_to(driver, guest, S.SHUTDOWN)
        with pytest.raises(InvalidPowerState):
            driver.open_console(guest)
        assert state_of(driver, guest) == S.SHUTDOWN

    def test_console_of_a_missing_guest_raises_not_found(self, driver):
        with pytest.raises(InstanceNotFound):
            driver.open_console(str(uuidlib.uuid4()))

    def test_closed_console_reads_end_and_refuses_writes(self, driver, guest):
        require(driver, "supports_serial_console")
        console = driver.open_console(guest)
        console.close()
        console.close()  # twice succeeds
        assert console.read(timeout=5) == b""
        with pytest.raises(DriverError):
            console.write(b"x")
