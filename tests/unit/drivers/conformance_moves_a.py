"""The conformance checks of snapshot and rescue (moves A), part of the one suite: `DriverConformance`
inherits them, so every driver runs them. Rebuild, shelve and unshelve are compositions of these with
spawn, power_off and destroy, checked by the same suite's spawn/destroy tests."""

from __future__ import annotations

import dataclasses
import uuid as uuidlib

import pytest

from hypervisors.base import ImageRef, InstanceNotFound, PowerState

S = PowerState
QCOW2_MAGIC = b"QFI\xfb"


class SnapshotRescueConformance:
    @pytest.mark.parametrize("state", [S.RUNNING, S.SHUTDOWN], ids=lambda s: s.name)
    def test_snapshot_writes_a_qcow2_and_keeps_the_power_state(self, driver, guest, tmp_path, state):
        if state == S.SHUTDOWN:
            driver.power_off(guest, timeout=5.0)
        target = tmp_path / "snap.qcow2"
        driver.snapshot(guest, str(target))
        assert target.read_bytes()[:4] == QCOW2_MAGIC
        assert driver.get_info(guest).power_state == state
        driver.snapshot(guest, str(target))  # a repeat overwrites
        assert target.read_bytes()[:4] == QCOW2_MAGIC

    def test_snapshot_boots_another_guest(self, driver, guest, spec_factory, tmp_path):
        target = tmp_path / "snap.qcow2"
        driver.snapshot(guest, str(target))
        spec = spec_factory()
        spec = dataclasses.replace(spec, image=ImageRef(id=f"snap-{spec.uuid[:8]}", path=str(target),
                                                        disk_format="qcow2"))
        driver.spawn(spec)
        assert driver.get_info(spec.uuid).power_state == S.RUNNING

    def test_snapshot_of_missing_guest_raises_and_writes_nothing(self, driver, tmp_path):
        target = tmp_path / "snap.qcow2"
        with pytest.raises(InstanceNotFound):
            driver.snapshot(str(uuidlib.uuid4()), str(target))
        assert not target.exists()

    @pytest.mark.parametrize("state", [S.RUNNING, S.SHUTDOWN], ids=lambda s: s.name)
    def test_rescue_and_unrescue_round_trip_idempotent(self, driver, guest, state):
        if state == S.SHUTDOWN:
            driver.power_off(guest, timeout=5.0)
        assert driver.is_rescued(guest) is False
        driver.rescue(guest, None)
        driver.rescue(guest, None)  # at-least-once delivery
        assert driver.is_rescued(guest) is True
        assert driver.get_info(guest).power_state == S.RUNNING
        assert guest in driver.list_instances()
        driver.unrescue(guest)
        driver.unrescue(guest)
        assert driver.is_rescued(guest) is False
        assert driver.get_info(guest).power_state == S.RUNNING

    def test_destroy_of_rescued_guest_leaves_nothing(self, driver, guest, spec_factory):
        driver.rescue(guest, None)
        driver.destroy(guest)
        assert guest not in driver.list_instances()
        driver.spawn(spec_factory(uuid=guest))  # the uuid is free again, not rescued
        assert driver.is_rescued(guest) is False

    def test_unrescue_keeps_volumes(self, driver, guest, volume_factory):
        if not driver.capabilities.get("supports_volume_attach"):
            pytest.skip(f"driver {driver.name} does not claim supports_volume_attach")
        vol = volume_factory()
        driver.attach_volume(guest, vol)
        driver.rescue(guest, None)
        driver.unrescue(guest)
        assert [v.volume_id for v in driver.list_volume_attachments(guest)] == [vol.volume_id]

    @pytest.mark.parametrize("call", ["rescue", "unrescue", "is_rescued"])
    def test_rescue_calls_on_missing_guest_raise_not_found(self, driver, call):
        missing = str(uuidlib.uuid4())
        with pytest.raises(InstanceNotFound):
            {"rescue": lambda: driver.rescue(missing, None), "unrescue": lambda: driver.unrescue(missing),
             "is_rescued": lambda: driver.is_rescued(missing)}[call]()
