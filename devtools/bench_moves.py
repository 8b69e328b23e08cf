"""The benchmark's moves phase on the fake driver: how long a resize, a cold migration and a live migration
take end to end (the API call to the server settled), between the stack's worker processes.

Each run moves one server of the stack: resize (POST resize -> VERIFY_RESIZE, then confirmResize -> ACTIVE),
cold migration (POST migrate -> VERIFY_RESIZE; confirm timed apart) and live migration (POST os-migrateLive ->
ACTIVE on the new host). The time is the client's, polling the server every 20 ms: it includes the steps on
both hosts (destination mounts, source hands over, destination finishes) and their Celery round trips.
"""
from __future__ import annotations

import time

import requests

from devtools.bench_report import Row, info, median

POLL = 0.02


def _wait(session: requests.Session, url: str, status: str, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = session.get(url, timeout=10).json()["server"]
        if server["status"] == status and server["OS-EXT-STS:task_state"] is None:
            return time.monotonic()
        time.sleep(POLL)
    raise AssertionError(f"{url} not {status} after {timeout} s")


def _timed(session, base: str, sid: str, body: dict, status: str, expect: int = 202) -> float:
    t0 = time.monotonic()
    r = session.post(f"{base}/servers/{sid}/action", json=body, timeout=30)
    assert r.status_code == expect, r.text
    return _wait(session, f"{base}/servers/{sid}", status) - t0


def move_phase(stack, token: str, runs: int, log) -> dict:
    """`runs` servers, each resized (and confirmed), cold-migrated (and confirmed) and live-migrated."""
    session = requests.Session()
    session.headers["X-Auth-Token"] = token
    base = stack.url("/compute/v2.1")
    times: dict[str, list[float]] = {"resize": [], "confirm": [], "cold": [], "live": []}
    for i in range(runs):
        r = stack.boot(name=f"bench-move-{i}", flavor="1", token=token)
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        _wait(session, f"{base}/servers/{sid}", "ACTIVE")
        times["resize"].append(_timed(session, base, sid, {"resize": {"flavorRef": "2"}}, "VERIFY_RESIZE"))
        times["confirm"].append(_timed(session, base, sid, {"confirmResize": None}, "ACTIVE", expect=204))
        times["cold"].append(_timed(session, base, sid, {"migrate": None}, "VERIFY_RESIZE"))
        _timed(session, base, sid, {"confirmResize": None}, "ACTIVE", expect=204)
        times["live"].append(_timed(session, base, sid, {"os-migrateLive": {"host": None, "block_migration": "auto"}},
                                    "ACTIVE"))
        assert session.delete(f"{base}/servers/{sid}", timeout=30).status_code == 204
        log(f"moves {i + 1}/{runs}: resize {times['resize'][-1] * 1000:.0f} ms, cold {times['cold'][-1] * 1000:.0f} "
            f"ms, live {times['live'][-1] * 1000:.0f} ms")
    return times


def move_rows(times: dict | None) -> list[Row]:
    if not times or not times["resize"]:
        return []
    n = len(times["resize"])

    def ms(values):
        return f"{median(values) * 1000:.0f} ms (max {max(values) * 1000:.0f})"

    return [info(f"resize to VERIFY_RESIZE, fake driver (median of {n})", ms(times["resize"])),
            info("  confirmResize to ACTIVE (source cleaned, claim given back)", ms(times["confirm"])),
            info(f"cold migration to VERIFY_RESIZE, fake driver (median of {n})", ms(times["cold"])),
            info(f"live migration to ACTIVE on the new host, fake driver (median of {n})", ms(times["live"]))]


# --- real QEMU (bench --qemu-moves N): resize and cold migration between two libvirt hosts of one machine -----

QEMU_FLAVOR = {"id": "bench-2cpu", "name": "bench-2cpu", "vcpus": 2, "ram": 192, "disk": 1}


def qemu_move_phase(ls, runs: int, log) -> dict:
    """On a libvirt stack (tests/system/helpers.py) given a second host: `runs` TCG guests, each resized to
    VERIFY_RESIZE on the other host and confirmed, then cold-migrated back and confirmed."""
    session = requests.Session()
    session.headers["X-Auth-Token"] = ls.token()
    base = ls.stack.url("/compute/v2.1")
    assert session.post(f"{base}/flavors", json={"flavor": QEMU_FLAVOR}, timeout=30).status_code == 200
    times: dict[str, list[float]] = {"resize": [], "confirm": [], "cold": []}
    for i in range(runs):
        sid = ls.boot(f"bench-qemu-move-{i}")["id"]
        times["resize"].append(_timed(session, base, sid, {"resize": {"flavorRef": QEMU_FLAVOR["id"]}},
                                      "VERIFY_RESIZE"))
        times["confirm"].append(_timed(session, base, sid, {"confirmResize": None}, "ACTIVE", expect=204))
        times["cold"].append(_timed(session, base, sid, {"migrate": None}, "VERIFY_RESIZE"))
        _timed(session, base, sid, {"confirmResize": None}, "ACTIVE", expect=204)
        assert session.delete(f"{base}/servers/{sid}", timeout=30).status_code == 204
        ls.stack.wait_gone(sid, timeout=60)
        log(f"QEMU moves {i + 1}/{runs}: resize {times['resize'][-1]:.1f} s, confirm {times['confirm'][-1]:.1f} s, "
            f"cold {times['cold'][-1]:.1f} s")
    return times


def qemu_move_rows(times: dict | None, soft_power_off_s: float) -> list[Row]:
    if not times or not times["resize"]:
        return []
    n = len(times["resize"])

    def s(values):
        return f"{median(values):.1f} s (max {max(values):.1f})"

    return [info(f"resize to VERIFY_RESIZE, real TCG guest between two libvirt hosts (median of {n})",
                 s(times["resize"])),
            info("  confirmResize to ACTIVE (the source's disk and domain removed)", s(times["confirm"])),
            info(f"cold migration to VERIFY_RESIZE, real TCG guest (median of {n})", s(times["cold"])),
            info("  of which the guest's ignored ACPI power-off (SOFT_POWER_OFF_TIMEOUT) per move",
                 f"{soft_power_off_s:.0f} s")]
