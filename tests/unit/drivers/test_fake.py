"""FakeDriver: the conformance suite, plus what only the fake promises (persistence, isolation, delays)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid as uuidlib
from pathlib import Path

import pytest

from hypervisors import DRIVERS, load_driver
from hypervisors.base import (DriverError, InstanceExists, InstanceSpec, InvalidPowerState, PowerState,
                             VolumeConnection)
from hypervisors.fake import FakeDriver, parse_delays

from .conformance import DriverConformance

S = PowerState


def make_spec(**overrides) -> InstanceSpec:
    uuid = overrides.pop("uuid", str(uuidlib.uuid4()))
    return InstanceSpec(**({"uuid": uuid, "name": f"vm-{uuid[:8]}", "vcpus": 2, "memory_mb": 512, "root_gb": 10}
                           | overrides))


class TestFakeDriverConformance(DriverConformance):
    @pytest.fixture
    def driver(self, tmp_path):
        yield FakeDriver(host="host-a", state_dir=str(tmp_path), delays={})


@pytest.fixture
def fake(tmp_path) -> FakeDriver:
    return FakeDriver(host="host-a", state_dir=str(tmp_path), delays={})


# -- load_driver ---------------------------------------------------------------------------------------


def test_load_driver_builds_configured_fake(tmp_path):
    driver = load_driver("fake", host="host-b", state_dir=str(tmp_path), vcpus=4, delays={})
    assert isinstance(driver, FakeDriver)
    assert (driver.host, driver.get_host_resources().vcpus) == ("host-b", 4)


def test_load_driver_unknown_name_lists_known():
    with pytest.raises(ValueError, match="known drivers: fake") as exc:
        load_driver("xen", host="host-a")
    assert "'xen'" in str(exc.value) and "fake" in DRIVERS


def test_load_driver_rejects_unknown_option(tmp_path):
    with pytest.raises(TypeError, match="colour"):
        load_driver("fake", host="host-a", state_dir=str(tmp_path), colour="blue")


# -- persistence and isolation -------------------------------------------------------------------------


def test_state_survives_a_restarted_driver(tmp_path, fake):
    running, paused = make_spec(), make_spec()
    fake.spawn(running)
    fake.spawn(paused)
    fake.pause(paused.uuid)

    restarted = FakeDriver(host="host-a", state_dir=str(tmp_path), delays={})
    restarted.init_host()
    assert sorted(restarted.list_instances()) == sorted([running.uuid, paused.uuid])
    assert restarted.get_info(paused.uuid).power_state == S.PAUSED
    assert restarted.get_info(running.uuid).memory_mb == 512
    assert restarted.get_console_output(paused.uuid) == fake.get_console_output(paused.uuid)
    assert (tmp_path / "fake-host-a.sqlite").is_file()


def test_two_hosts_on_one_state_dir_are_isolated(tmp_path, fake):
    other = FakeDriver(host="host-b", state_dir=str(tmp_path), delays={})
    spec = make_spec()
    fake.spawn(spec)
    assert other.list_instances() == []
    other.spawn(make_spec(uuid=spec.uuid))  # the same uuid on another host is another guest
    other.destroy(spec.uuid)
    assert fake.list_instances() == [spec.uuid]


def test_injected_spawn_failure_leaves_nothing(fake):
    spec = make_spec(metadata={"fake:fail": "spawn"})
    with pytest.raises(DriverError, match="injected spawn failure") as exc:
        fake.spawn(spec)
    assert not isinstance(exc.value, InstanceExists) and exc.value.instance_uuid == spec.uuid
    assert fake.list_instances() == []
    fake.spawn(make_spec(uuid=spec.uuid))  # no leftover blocks a retry
    assert fake.get_info(spec.uuid).power_state == S.RUNNING


# -- concurrency across OS processes --------------------------------------------------------------------
# Workers are fresh interpreters running this script, as a restarted Celery worker would be; it imports
# only `hypervisors`, so it works whatever import mode pytest uses for this module.

ROOT = Path(__file__).resolve().parents[3]
WORKER = """
import sys
from hypervisors.base import InstanceSpec
from hypervisors.fake import FakeDriver
state_dir, prefix, count, shared = sys.argv[1:5]
driver = FakeDriver(host="host-a", state_dir=state_dir, delays={})
for i in range(int(count)):
    driver.spawn(InstanceSpec(uuid=f"{prefix}-{i:03d}", name=f"{prefix}-{i}", vcpus=1, memory_mb=64, root_gb=1))
    if shared:
        driver.reboot(shared, hard=True)  # always appends one console line: counts lost writes
"""


def start_worker(tmp_path, prefix: str, count: int, shared: str = "") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), prefix, str(count), shared], cwd=ROOT)


def test_concurrent_processes_lose_no_writes(tmp_path, fake):
    shared, count = make_spec(), 100
    fake.spawn(shared)
    procs = [start_worker(tmp_path, prefix, count, shared.uuid) for prefix in "xy"]
    assert [proc.wait(60) for proc in procs] == [0, 0]
    guests = fake.list_instances()
    assert len(guests) == 2 * count + 1 and len(set(guests)) == len(guests)
    assert fake.get_console_output(shared.uuid).count("hard reboot") == 2 * count


# A worker stopped by the driver's `before_commit` hook, after an operation's writes and before its
# COMMIT, then SIGKILLed there: the one moment at which a driver that does not write atomically would
# leave half an operation behind. The non-atomic variant is that defect, kept here to prove the check
# can fail (test_the_kill_check_catches_a_non_atomic_driver).
KILLED_WORKER = """
import contextlib, signal, sys
from hypervisors.base import InstanceSpec, VolumeConnection
from hypervisors.fake import FakeDriver


class NonAtomicFakeDriver(FakeDriver):
    @contextlib.contextmanager
    def _transaction(self, op):
        yield self._thread_conn()  # autocommit: every statement is durable at once
        self.before_commit(op)


def stop_mid_write(op):
    if op == stop_in:
        print("mid-write", op, flush=True)
        signal.pause()  # until the test kills this process


state_dir, driver_class, stop_in, uuid, path = sys.argv[1:6]
cls = NonAtomicFakeDriver if driver_class == "non-atomic" else FakeDriver
driver = cls(host="host-a", state_dir=state_dir, delays={}, before_commit=stop_mid_write)
if stop_in == "spawn":
    driver.spawn(InstanceSpec(uuid=uuid, name="killed", vcpus=1, memory_mb=64, root_gb=1))
elif stop_in == "attach_volume":
    driver.attach_volume(uuid, VolumeConnection(volume_id="vol-2", path=path, device="/dev/vdc"))
elif stop_in == "destroy":
    driver.destroy(uuid)
sys.exit("the hook never stopped " + stop_in)
"""
MID_WRITE_OPS = ["spawn", "attach_volume", "destroy"]


def kill_mid_write(tmp_path, fake: FakeDriver, driver_class: str, op: str) -> tuple[dict, dict]:
    """Run `op` in a worker killed mid-write; returns the host's state (before, after)."""
    uuid, path = "killed-guest", tmp_path / "volume-file"
    path.touch()
    if op != "spawn":  # a guest with one volume, for the attach (a second volume) and the destroy
        fake.spawn(make_spec(uuid=uuid))
        fake.attach_volume(uuid, VolumeConnection(volume_id="vol-1", path=str(path), device="/dev/vdb"))
    before = host_state(fake)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, str(tmp_path), driver_class, op, uuid, str(path)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == f"mid-write {op}", "the worker never reached the hook"
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return before, host_state(fake)


def host_state(driver: FakeDriver) -> dict:
    return {uuid: (driver.get_info(uuid).power_state, driver.get_console_output(uuid),
                   driver.list_volume_attachments(uuid)) for uuid in driver.list_instances()}


@pytest.mark.parametrize("op", MID_WRITE_OPS)
def test_worker_killed_mid_write_leaves_the_host_as_before(tmp_path, fake, op):
    before, after = kill_mid_write(tmp_path, fake, "atomic", op)
    assert after == before
    fake.destroy("killed-guest")  # and the dead writer holds no lock that would block the next one
    fake.spawn(make_spec(uuid="killed-guest"))


@pytest.mark.parametrize("op", MID_WRITE_OPS)
def test_the_kill_check_catches_a_non_atomic_driver(tmp_path, fake, op):
    before, after = kill_mid_write(tmp_path, fake, "non-atomic", op)
    assert after != before, "a driver that commits statement by statement must show the kill"


# -- delays ---------------------------------------------------------------------------------------------


def test_delays_option_delays_only_that_operation(tmp_path):
    driver = FakeDriver(host="host-a", state_dir=str(tmp_path), delays={"pause": 0.3})
    spec = make_spec()
    started = time.monotonic()
    driver.spawn(spec)
    assert time.monotonic() - started < 0.3
    started = time.monotonic()
    driver.pause(spec.uuid)
    assert time.monotonic() - started >= 0.3


def test_delays_parsed_from_their_text_form_and_none_by_default(tmp_path):
    assert parse_delays("spawn=0.2, destroy=1.5") == {"spawn": 0.2, "destroy": 1.5}
    with pytest.raises(ValueError, match="op=seconds"):
        parse_delays("spawn")
    assert FakeDriver(host="h", state_dir=str(tmp_path)).delays == {}
    assert FakeDriver(host="h", state_dir=str(tmp_path), delays={"pause": 1}).delays == {"pause": 1.0}


def test_unknown_delay_operation_rejected(tmp_path):
    with pytest.raises(ValueError, match="spwan"):
        FakeDriver(host="host-a", state_dir=str(tmp_path), delays={"spwan": 1})


def test_state_changes_only_after_the_delay(tmp_path, fake):
    spec = make_spec()
    fake.spawn(spec)
    seen = []

    def at_commit(op):  # inside the write, before its COMMIT: when it came, and what another reader sees
        seen.append((op, time.monotonic() - started, fake.get_info(spec.uuid).power_state))

    slow = FakeDriver(host="host-a", state_dir=str(tmp_path), delays={"power_off": 0.3}, before_commit=at_commit)
    started = time.monotonic()
    slow.power_off(spec.uuid)
    [(op, elapsed, state_meanwhile)] = seen
    assert op == "power_off" and elapsed >= 0.3 and state_meanwhile == S.RUNNING
    assert fake.get_info(spec.uuid).power_state == S.SHUTDOWN


# -- console, host, test hooks --------------------------------------------------------------------------


def test_console_records_boot_and_each_transition(fake):
    spec = make_spec(name="web-1")
    fake.spawn(spec)
    boot = fake.get_console_output(spec.uuid)
    assert "fake: booting web-1" in boot and "login:" in boot
    fake.pause(spec.uuid)
    fake.pause(spec.uuid)  # a no-op adds nothing
    fake.unpause(spec.uuid)
    fake.power_off(spec.uuid)
    lines = fake.get_console_output(spec.uuid).splitlines()
    assert len(lines) == len(boot.splitlines()) + 3
    # Nova's cut: the last 3 pieces of the log split on newlines (it ends with one) are its last 2 lines.
    assert fake.get_console_output(spec.uuid, tail_lines=3).splitlines() == lines[-2:]
    assert fake.get_console_output(spec.uuid, tail_lines=0) == ""


def test_host_resources_report_configured_capacity(tmp_path):
    driver = FakeDriver(
        host="host-c", state_dir=str(tmp_path), vcpus=8, memory_mb=16384, disk_gb=100, delays={}
    )
    res = driver.get_host_resources()
    assert (res.hostname, res.vcpus, res.memory_mb, res.disk_gb) == ("host-c", 8, 16384, 100)
    assert (res.hypervisor_type, res.hypervisor_version) == ("fake", 1000)


def test_crashed_guest_needs_hard_reboot_or_power_on(fake):
    spec = make_spec()
    fake.spawn(spec)
    fake.force_power_state(spec.uuid, S.CRASHED, reason="kernel panic")
    assert fake.get_info(spec.uuid).power_state == S.CRASHED
    with pytest.raises(InvalidPowerState):
        fake.reboot(spec.uuid, hard=False)
    fake.reboot(spec.uuid, hard=True)
    assert fake.get_info(spec.uuid).power_state == S.RUNNING
    fake.force_power_state(spec.uuid, S.CRASHED)
    fake.power_on(spec.uuid)
    assert fake.get_info(spec.uuid).power_state == S.RUNNING
    assert "kernel panic" in fake.get_console_output(spec.uuid)


def test_an_injected_fault_makes_get_info_raise_for_that_guest_only(tmp_path, fake):
    flaky, fine = make_spec(), make_spec()
    fake.spawn(flaky)
    fake.spawn(fine)
    fake.inject_fault(flaky.uuid, "get_info", "transient")
    with pytest.raises(DriverError, match="transient"):
        FakeDriver(host="host-a", state_dir=str(tmp_path)).get_info(flaky.uuid)  # persisted: any process sees it
    assert fake.get_info(fine.uuid).power_state == PowerState.RUNNING
    fake.clear_fault(flaky.uuid, "get_info")
    assert fake.get_info(flaky.uuid).power_state == PowerState.RUNNING
    with pytest.raises(ValueError):
        fake.inject_fault(flaky.uuid, "spawn")


def test_echo_console_shows_the_boot_log_then_echoes_typed_keys(fake):
    spec = make_spec(name="echo-1")
    fake.spawn(spec)
    with fake.open_console(spec.uuid) as console:
        banner = console.read(timeout=5)
        assert b"echo-1 login:\r\n" in banner  # the log, with terminal line ends
        console.write(b"uname -a\r")
        assert console.read(timeout=5) == b"uname -a\r\n"
        assert console.read(timeout=0.05) is None  # nothing more until typed
