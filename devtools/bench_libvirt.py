"""The benchmark's libvirt phase: POST /servers -> ACTIVE for a real TCG guest (target: under 3 s).

A stack with one libvirt compute host on qemu:///system (tests/system/helpers.py), the tiny guest
(devtools/guest_image.py) uploaded through the image API, then `boots` servers booted one after the
other, each deleted before the next. ACTIVE is when the worker's spawn returned (domain defined and
QEMU started), stamped as `OS-SRV-USG:launched_at`: latency = launched_at - the client's clock at the
start of the POST, as in the fake-driver rows. The guest's own boot (kernel to init, printing the
marker on its serial console) is measured once, for information: TCG emulates every instruction.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from devtools.bench_report import Row, at_most, info, median

TARGET_BOOT_S = 3.0


def _launched(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


QEMU_MOVES_SOFT_POWER_OFF_S = 2.0  # the busybox guest ignores ACPI: every move waits this much, then cuts


def libvirt_boot_phase(database_url: str, redis_url: str, workdir: Path, boots: int, log, moves: int = 0) -> dict:
    from devtools.guest_image import build
    from devtools.libvirt_service import LibvirtService
    from tests.system.helpers import start_libvirt_stack

    service = LibvirtService().start()
    ls = None
    try:
        guest = build()
        log("starting a stack with one libvirt host (qemu:///system, TCG) and uploading the guest")
        ls = start_libvirt_stack(database_url=database_url, redis_url=redis_url, workdir=workdir / "libvirt",
                                 template_dir=workdir / "libvirt-template", guest=guest, WORKER_LOGLEVEL="WARNING",
                                 soft_power_off_timeout=QEMU_MOVES_SOFT_POWER_OFF_S if moves else 15.0)
        latencies, to_marker = [], None
        for i in range(boots):
            t0 = time.time()
            server = ls.boot(f"bench-tcg-{i}")
            latencies.append(_launched(server["OS-SRV-USG:launched_at"]) - t0)
            log(f"TCG guest {i + 1}/{boots}: ACTIVE {latencies[-1] * 1000:.0f} ms after its POST")
            if to_marker is None:
                ls.wait_console(server["id"], guest.marker)
                to_marker = time.time() - t0
                log(f"  its init printed the marker {to_marker:.1f} s after the POST")
            assert ls.stack.delete(f"/compute/v2.1/servers/{server['id']}").status_code == 204
            ls.stack.wait_gone(server["id"], timeout=60)
        qemu_moves = None
        if moves:
            from devtools.bench_moves import qemu_move_phase

            log("adding a second libvirt host for the moves")
            ls.add_host()
            qemu_moves = qemu_move_phase(ls, moves, log)
        return {"latencies": latencies, "to_marker": to_marker, "moves": qemu_moves,
                "database": ls.stack.database_url.rsplit("/", 1)[1]}
    finally:
        if ls is not None:
            ls.stop()
        service.stop()


def libvirt_rows(result: dict | None) -> list[Row]:
    if not result:
        return []
    lat = result["latencies"]
    rows = [at_most(f"boot-to-ACTIVE, real TCG guest (libvirt, median of {len(lat)})", median(lat),
                    TARGET_BOOT_S, fmt="{:.2f}", unit="s", strict=True),
            info("  slowest of those", f"{max(lat):.2f} s")]
    if result["to_marker"] is not None:
        rows.append(info("  POST to the guest's init on its serial console (TCG)", f"{result['to_marker']:.1f} s"))
    from devtools.bench_moves import qemu_move_rows

    return rows + qemu_move_rows(result.get("moves"), QEMU_MOVES_SOFT_POWER_OFF_S)
