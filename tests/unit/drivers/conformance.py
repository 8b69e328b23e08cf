"""The one conformance suite every ComputeDriver passes.

Subclass `DriverConformance` in a `test_*.py` module and provide a `driver` fixture yielding a fresh
driver with no guests. Override `spec_factory` when the driver needs more than the default spec (the
libvirt driver needs an `image`). Checks that depend on an optional capability skip when the driver
does not claim it.
"""

from __future__ import annotations

import dataclasses
import os
import uuid as uuidlib
import time

import pytest

from hypervisors.base import (
    ComputeDriver,
    DriverError,
    FloatingIPSpec,
    HostResources,
    InstanceExists,
    InstanceInfo,
    InstanceNotFound,
    InstanceSpec,
    InvalidPowerState,
    PowerState,
    SecurityGroupRule,
    VifSpec,
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

    # -- boot from volume --------------------------------------------------------------------------

    def test_spawn_from_boot_volume_lists_it_as_vda(self, driver, spec_factory, volume_factory):
        require(driver, "supports_volume_attach")
        root, data = volume_factory("/dev/vda"), volume_factory("/dev/vdb")
        spec = spec_factory(boot_volume=root)
        driver.spawn(spec)
        assert state_of(driver, spec.uuid) == S.RUNNING
        assert [(v.volume_id, v.device, v.path) for v in driver.list_volume_attachments(spec.uuid)] == [
            (root.volume_id, "/dev/vda", root.path)]
        driver.attach_volume(spec.uuid, root)  # a re-assert of every volume before a start changes nothing
        driver.attach_volume(spec.uuid, data)
        assert [v.device for v in driver.list_volume_attachments(spec.uuid)] == ["/dev/vda", "/dev/vdb"]
        driver.destroy(spec.uuid)
        assert os.path.exists(root.path), "destroy must never remove the boot volume's file"

    def test_spawn_from_missing_boot_volume_raises_and_leaves_nothing(self, driver, spec_factory, tmp_path):
        require(driver, "supports_volume_attach")
        spec = spec_factory(boot_volume=VolumeConnection(volume_id=str(uuidlib.uuid4()),
                                                         path=str(tmp_path / "absent"), device="/dev/vda"))
        with pytest.raises(DriverError):
            driver.spawn(spec)
        assert spec.uuid not in driver.list_instances()

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
    # -- NICs ----------------------------------------------------------------------------------------

    @pytest.fixture
    def vif_factory(self):
        counter = iter(range(1, 200))

        def make() -> VifSpec:
            n = next(counter)
            return VifSpec(port_id=str(uuidlib.uuid4()), mac=f"fa:16:3e:00:00:{n:02x}", network_id=str(uuidlib.uuid4()),
                           fixed_ips=(f"10.0.0.{n + 2}",), cidr="10.0.0.0/24", gateway="10.0.0.1",
                           security_group_rules=(SecurityGroupRule(direction="egress"),))

        return make

    def test_spawn_plugs_spec_vifs_in_order(self, driver, spec_factory, vif_factory):
        vifs = (vif_factory(), vif_factory())
        spec = spec_factory(vifs=vifs)
        driver.spawn(spec)
        assert driver.list_vifs(spec.uuid) == [v.port_id for v in vifs]

    @pytest.mark.parametrize("state", [S.RUNNING, S.SHUTDOWN], ids=lambda s: s.name)
    def test_plug_unplug_vif_round_trip(self, driver, guest, vif_factory, state):
        bring_to(driver, guest, state)
        first, second = vif_factory(), vif_factory()
        driver.plug_vif(guest, first)
        driver.plug_vif(guest, first)  # at-least-once delivery: a repeat changes nothing
        driver.plug_vif(guest, second)
        assert driver.list_vifs(guest) == [first.port_id, second.port_id]
        assert state_of(driver, guest) == state
        driver.unplug_vif(guest, first.port_id)
        driver.unplug_vif(guest, first.port_id)  # already gone succeeds
        assert driver.list_vifs(guest) == [second.port_id]
        assert state_of(driver, guest) == state

    @pytest.mark.parametrize("call", ["plug", "unplug", "list"])
    def test_vif_calls_on_missing_guest_raise_not_found(self, driver, vif_factory, call):
        missing, vif = str(uuidlib.uuid4()), vif_factory()
        with pytest.raises(InstanceNotFound):
            {"plug": lambda: driver.plug_vif(missing, vif), "unplug": lambda: driver.unplug_vif(missing, vif.port_id),
             "list": lambda: driver.list_vifs(missing)}[call]()

    def test_refresh_vif_rules_replaces_a_plugged_ports_rules_only(self, driver, guest, vif_factory):
        plugged, other = vif_factory(), vif_factory()
        driver.plug_vif(guest, plugged)
        assert driver.vif_rules(guest, plugged.port_id) == plugged.security_group_rules
        rules = (SecurityGroupRule(direction="ingress", protocol="icmp", remote_ip_prefix="10.9.0.0/24"),
                 SecurityGroupRule(direction="ingress", protocol="tcp", port_range_min=22, port_range_max=22))
        pushed = {guest: [dataclasses.replace(plugged, security_group_rules=rules),
                          dataclasses.replace(other, security_group_rules=rules)],  # not plugged: skipped
                  str(uuidlib.uuid4()): [other]}  # a guest that is gone: skipped
        assert driver.refresh_vif_rules(pushed) == [plugged.port_id]
        assert driver.refresh_vif_rules(pushed) == [plugged.port_id]  # a repeat succeeds
        assert driver.vif_rules(guest, plugged.port_id) == rules
        assert driver.vif_rules(guest, other.port_id) is None
        assert driver.list_vifs(guest) == [plugged.port_id]
        driver.unplug_vif(guest, plugged.port_id)
        assert driver.vif_rules(guest, plugged.port_id) is None
        assert driver.refresh_vif_rules(pushed) == []

    def test_group_members_are_a_set_per_named_group_and_change_no_rule(self, driver, guest, vif_factory):
        group, unnamed = str(uuidlib.uuid4()), str(uuidlib.uuid4())
        rules = (SecurityGroupRule(direction="ingress", remote_group_id=group),
                 SecurityGroupRule(direction="ingress", ethertype="IPv6", remote_group_id=group))
        vif = dataclasses.replace(vif_factory(), security_group_rules=rules)
        assert driver.group_members(group) is None
        driver.plug_vif(guest, vif)
        assert driver.group_members(group) == ()  # named by a plugged port's rule, no member told yet
        members = {group: ["10.0.0.9", "fd00::5", "10.0.0.3", "10.0.0.9"]}
        assert driver.apply_group_members(members) == [group]
        assert driver.apply_group_members(members) == [group]  # a repeat succeeds
        assert driver.group_members(group) == ("10.0.0.3", "10.0.0.9", "fd00::5")
        assert driver.vif_rules(guest, vif.port_id) == rules  # the port's rules are not rewritten
        assert driver.apply_group_members({unnamed: ["10.0.0.4"]}) == []  # no rule names it: not kept
        assert driver.group_members(unnamed) is None
        assert driver.group_members(group) == ("10.0.0.3", "10.0.0.9", "fd00::5")  # groups not named keep theirs
        driver.apply_group_members({group: ["10.0.0.3"]})
        assert driver.group_members(group) == ("10.0.0.3",)
        driver.unplug_vif(guest, vif.port_id)  # the last rule naming it goes: so does the set
        assert driver.group_members(group) is None
        driver.plug_vif(guest, vif)
        assert driver.group_members(group) == ()  # nothing stale came back with it

    def test_apply_floating_ips_keeps_exactly_the_set_given(self, driver):
        one = FloatingIPSpec(floating_ip="203.0.113.10", fixed_ip="10.0.0.5", port_id=str(uuidlib.uuid4()),
                             network_id=str(uuidlib.uuid4()), cidr="203.0.113.0/24")
        two = dataclasses.replace(one, floating_ip="203.0.113.11", fixed_ip="10.0.0.6", port_id=str(uuidlib.uuid4()))
        driver.apply_floating_ips([two, one])
        driver.apply_floating_ips([two, one])  # a repeat succeeds
        assert sorted(driver.floating_ips(), key=lambda f: f.floating_ip) == [one, two]
        driver.apply_floating_ips([two])
        assert driver.floating_ips() == [two]
        driver.apply_floating_ips([])
        assert driver.floating_ips() == []

    def test_destroy_drops_vifs(self, driver, spec_factory, guest, vif_factory):
        driver.plug_vif(guest, vif_factory())
        driver.destroy(guest)
        driver.spawn(spec_factory(uuid=guest))
        assert driver.list_vifs(guest) == []
    # -- moves: resize, cold and live migration between this driver and a `peer` on another host --------

    @pytest.fixture
    def peer(self):
        """A driver of the same kind for a second host, to move guests to. Subclasses that can move provide
        it; without one the move checks skip."""
        pytest.skip("no peer host for this driver")

    def test_cold_migration_leaves_source_off_and_runs_the_new_size_on_the_peer(self, driver, peer, guest,
                                                                                spec_factory, volume_factory):
        require(driver, "supports_migration")
        vol = volume_factory()
        driver.migrate_disk_and_power_off(guest, peer.host)
        driver.migrate_disk_and_power_off(guest, peer.host)  # a repeat changes nothing
        assert state_of(driver, guest) == S.SHUTDOWN and guest in driver.list_instances()  # kept for a revert
        bigger = spec_factory(uuid=guest, vcpus=2, memory_mb=256)
        peer.finish_migration(bigger, [vol], power_on=True)
        peer.finish_migration(bigger, [vol], power_on=True)
        info = peer.get_info(guest)
        assert (info.power_state, info.vcpus, info.memory_mb) == (S.RUNNING, 2, 256)
        assert [v.volume_id for v in peer.list_volume_attachments(guest)] == [vol.volume_id]
        driver.destroy(guest)  # confirm: the source's copy goes
        assert guest not in driver.list_instances() and guest in peer.list_instances()

    def test_revert_restarts_the_kept_guest_at_its_old_size(self, driver, peer, guest, spec_factory):
        require(driver, "supports_migration")
        driver.migrate_disk_and_power_off(guest, peer.host)
        peer.finish_migration(spec_factory(uuid=guest, vcpus=2, memory_mb=256), [], power_on=True)
        peer.destroy(guest)
        old = spec_factory(uuid=guest)
        driver.finish_revert_migration(old, [], power_on=True)
        driver.finish_revert_migration(old, [], power_on=True)
        info = driver.get_info(guest)
        assert (info.power_state, info.vcpus, info.memory_mb) == (S.RUNNING, old.vcpus, old.memory_mb)
        assert guest not in peer.list_instances()

    def test_a_stopped_server_is_moved_stopped(self, driver, peer, guest, spec_factory):
        require(driver, "supports_migration")
        driver.power_off(guest, timeout=5.0)
        driver.migrate_disk_and_power_off(guest, peer.host)
        peer.finish_migration(spec_factory(uuid=guest), [], power_on=False)
        assert state_of(peer, guest) == S.SHUTDOWN

    def test_migration_calls_on_a_missing_guest_raise_not_found(self, driver, peer, spec_factory):
        require(driver, "supports_migration")
        missing = str(uuidlib.uuid4())
        with pytest.raises(InstanceNotFound):
            driver.migrate_disk_and_power_off(missing, peer.host)
        with pytest.raises(InstanceNotFound):
            driver.finish_revert_migration(spec_factory(uuid=missing), [], power_on=True)

    @pytest.mark.parametrize("state", [S.RUNNING, S.PAUSED], ids=lambda s: s.name)
    def test_live_migration_moves_the_guest_in_its_power_state(self, driver, peer, guest, volume_factory, state):
        require(driver, "supports_live_migration")
        bring_to(driver, guest, state)
        vol = volume_factory()
        driver.live_migrate(guest, peer.host, [vol], block_migration=False)
        assert guest not in driver.list_instances()
        assert state_of(peer, guest) == state
        assert [v.path for v in peer.list_volume_attachments(guest)] == [vol.path]
        driver.live_migrate(guest, peer.host, [vol], block_migration=False)  # a repeat succeeds

    def test_abort_with_no_live_migration_under_way_changes_nothing(self, driver, peer, guest):
        require(driver, "supports_live_migration")
        driver.live_migration_abort(guest)
        assert state_of(driver, guest) == S.RUNNING and guest not in peer.list_instances()

    def test_live_migration_of_a_stopped_guest_raises_and_keeps_it(self, driver, peer, guest):
        require(driver, "supports_live_migration")
        driver.power_off(guest, timeout=5.0)
        with pytest.raises(InvalidPowerState):
            driver.live_migrate(guest, peer.host, [], block_migration=True)
        assert state_of(driver, guest) == S.SHUTDOWN and guest not in peer.list_instances()

    def test_live_migration_with_a_volume_missing_on_the_peer_keeps_the_guest(self, driver, peer, guest, tmp_path):
        require(driver, "supports_live_migration")
        absent = VolumeConnection(volume_id=str(uuidlib.uuid4()), path=str(tmp_path / "absent"), device="/dev/vdb")
        with pytest.raises(VolumeAttachFailed):
            driver.live_migrate(guest, peer.host, [absent], block_migration=False)
        assert state_of(driver, guest) == S.RUNNING and guest not in peer.list_instances()
