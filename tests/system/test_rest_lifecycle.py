"""A real TCG guest through the REST API: boot, console, every lifecycle action with libvirt's view of
the domain, a worker restarted under running guests, a guest killed behind the platform's back, delete.

One guest is booted for the module; each test starts and ends with it ACTIVE, so the order of the
tests does not matter.
"""
from __future__ import annotations

import signal

import libvirt
import pytest

from compute_platform import tasknames

pytestmark = pytest.mark.system

RUNNING, PAUSED, SHUTOFF = libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_SHUTOFF


@pytest.fixture(scope="module")
def server(libvirt_stack):
    """The shared guest: ACTIVE and its init up (marker on the console)."""
    ls = libvirt_stack
    s = ls.boot("sys-guest")
    print(f"\nTCG guest: POST /servers -> ACTIVE in {s['boot_seconds']:.2f} s")
    ls.wait_console(s["id"], ls.guest.marker)
    yield s
    r = ls.stack.delete(f"/compute/v2.1/servers/{s['id']}")
    assert r.status_code == 204, r.text
    ls.stack.wait_gone(s["id"], timeout=60)
    assert ls.domain(s["id"]) is None and not ls.instance_dir(s["id"]).exists()


def marker_count(ls, server_id: str) -> int:
    return ls.console(server_id).count(ls.guest.marker)


def wait_booted_again(ls, server_id: str, before: int) -> None:
    """The guest printed its marker once more: it really restarted (and its acpid is up again)."""
    ls.stack.wait_until(lambda: marker_count(ls, server_id) > before, timeout=90, interval=0.5,
                        what=f"the guest {server_id} to boot again")


def test_boot_reaches_active_with_a_running_domain_and_the_marker_on_the_console(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    s = ls.stack.server(sid)
    assert (s["status"], s["OS-EXT-STS:power_state"], s["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", 1, ls.host)
    assert ls.domain_state(sid) == RUNNING
    out = ls.console(sid)
    assert ls.guest.marker in out and "marker-block: vda" in out  # the root disk reached the guest
    assert (ls.instance_dir(sid) / "disk").is_file()
    assert server["boot_seconds"] < 30


def test_stop_and_start(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    booted = marker_count(ls, sid)
    s = ls.act(sid, {"os-stop": None}, "SHUTOFF")
    assert s["OS-EXT-STS:power_state"] == 4 and ls.domain_state(sid) == SHUTOFF
    assert "guest: power button, powering off" in ls.console(sid)  # a clean ACPI shutdown, not a power cut
    s = ls.act(sid, {"os-start": None}, "ACTIVE")
    assert s["OS-EXT-STS:power_state"] == 1 and ls.domain_state(sid) == RUNNING
    wait_booted_again(ls, sid, booted)


def test_pause_and_unpause(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    s = ls.act(sid, {"pause": None}, "PAUSED")
    assert s["OS-EXT-STS:power_state"] == 3 and ls.domain_state(sid) == PAUSED
    s = ls.act(sid, {"unpause": None}, "ACTIVE")
    assert s["OS-EXT-STS:power_state"] == 1 and ls.domain_state(sid) == RUNNING


def test_suspend_and_resume(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    s = ls.act(sid, {"suspend": None}, "SUSPENDED")
    dom = ls.domain(sid)
    assert s["OS-EXT-STS:power_state"] == 7
    assert dom.state()[0] == SHUTOFF and dom.hasManagedSaveImage()  # memory saved to disk
    s = ls.act(sid, {"resume": None}, "ACTIVE")
    assert s["OS-EXT-STS:power_state"] == 1 and ls.domain_state(sid) == RUNNING
    assert not ls.domain(sid).hasManagedSaveImage()


def test_hard_reboot(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    booted = marker_count(ls, sid)
    qemu_pid_before = ls.domain(sid).ID()
    s = ls.act(sid, {"reboot": {"type": "HARD"}}, "ACTIVE")
    assert s["OS-EXT-STS:power_state"] == 1 and ls.domain_state(sid) == RUNNING
    assert ls.domain(sid).ID() != qemu_pid_before  # a new QEMU process: the power was cut
    wait_booted_again(ls, sid, booted)


def test_worker_restarted_under_a_running_guest_sees_it_again(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    ls.stack.kill_worker(ls.host, signal.SIGKILL)
    assert ls.domain_state(sid) == RUNNING  # QEMU does not depend on the worker
    ls.stack.start_worker(ls.host)
    ls.stack.wait_hosts_up([ls.host])
    # recovery ran (it reaps guests no live instance owns): ours was kept, and the new worker drives it
    assert ls.stack.server(sid)["status"] == "ACTIVE" and ls.domain_state(sid) == RUNNING
    ls.act(sid, {"pause": None}, "PAUSED")
    ls.act(sid, {"unpause": None}, "ACTIVE")
    assert ls.domain_state(sid) == RUNNING


def test_a_guest_destroyed_behind_our_back_is_noticed_by_the_power_sync(libvirt_stack, server):
    ls, sid = libvirt_stack, server["id"]
    booted = marker_count(ls, sid)
    ls.domain(sid).destroy()  # as `virsh destroy` by an operator, or QEMU killed
    assert ls.stack.server(sid)["status"] == "ACTIVE"  # nobody has looked yet
    ls.stack.send_task(tasknames.SYNC_POWER_STATES_ALL_HOSTS, queue=tasknames.CONDUCTOR_QUEUE)
    s = ls.stack.wait_status(sid, "SHUTOFF")
    assert s["OS-EXT-STS:power_state"] == 4
    s = ls.act(sid, {"os-start": None}, "ACTIVE")
    assert ls.domain_state(sid) == RUNNING
    wait_booted_again(ls, sid, booted)


def test_delete_leaves_no_domain_and_no_disk(libvirt_stack):
    ls = libvirt_stack
    s = ls.boot("sys-short-lived")
    assert ls.domain(s["id"]) is not None and ls.instance_dir(s["id"]).is_dir()
    assert ls.stack.delete(f"/compute/v2.1/servers/{s['id']}").status_code == 204
    ls.stack.wait_gone(s["id"], timeout=60)
    assert ls.domain(s["id"]) is None
    assert not ls.instance_dir(s["id"]).exists()
