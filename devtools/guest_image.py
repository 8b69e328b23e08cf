"""A tiny guest for the system tests: the Debian kernel plus a busybox initramfs, cached under .run/.

    python -m devtools.guest_image          # build (or reuse) it and print the paths

The guest's init loads the virtio and ACPI modules (Debian builds them as modules, so without them the
guest sees no disks and ignores the power button), starts busybox's acpid so an ACPI power-off really
powers off, prints MARKER on the serial console, runs a shell on it (ttyS0, for the console tests), then
reports block devices as they come and go:
`marker-block: vdb` once per new device, `marker-block-gone: vdb` when one is unplugged. Each NIC asks DHCP
for its address (busybox udhcpc) and prints `marker-ip: eth0 <address>`, and with a DHCP route to
169.254.169.254 fetches the metadata service's meta_data.json and prints its uuid (`marker-metadata: ...`); a
config drive (cdrom) is mounted
and its label, uuid and user data printed (`marker-config-...`).

Needs `linux-image-amd64` and `busybox-static` (make test installs them). Pure stdlib: the cpio
archive is written here (newc format), so no cpio tool is needed either.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools.services import RUN_DIR

CACHE_DIR = RUN_DIR / "guest-image"
BUSYBOX = Path("/bin/busybox")
MARKER = "compute-platform-guest: init reached, marker 7f3c"
# The modules the guest loads, in dependency order is computed from modules.dep.
# virtio_net for NICs; ata_piix, sr_mod and isofs to read a config drive (an IDE cdrom on the `pc` machine).
WANTED_MODULES = ("virtio_pci", "virtio_blk", "evdev", "button", "virtio_net", "ata_piix", "sr_mod", "isofs")
GENERATION = "6"  # bump to rebuild cached images after changing this file

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/modules); do insmod /lib/modules/$m; done
# busybox acpid runs /etc/acpi/PWRF/00000080 on the power button, so ACPI shutdown works; -l: its
# default log file is in /var/log, which this guest lacks, and acpid exits if it cannot open it
acpid -c /etc/acpi -l /dev/console
ip link set lo up
# a config drive, if the guest has one: mounted and its label, uuid and user data's first line printed
( mkdir -p /cfg
  for i in $(seq 60); do
    if [ -b /dev/sr0 ] && mount -t iso9660 -o ro /dev/sr0 /cfg 2>/dev/null; then
      # the ISO 9660 volume label: 32 bytes at offset 32808 (busybox's blkid does not probe cdroms)
      echo "marker-config-drive: label=$(dd if=/dev/sr0 bs=1 skip=32808 count=32 2>/dev/null | tr -d ' ')"
      echo "marker-config-meta: $(grep -o '"uuid": "[^"]*"' /cfg/openstack/latest/meta_data.json)"
      echo "marker-config-user-data: $(head -n 1 /cfg/openstack/latest/user_data)"
      break
    fi
    sleep 0.5
  done ) &
# the marker, then at once the first report of block devices (tests read both together)
echo "{MARKER}"
# an interactive shell on the serial port, for the console tests (respawned if it exits)
(while :; do setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1'; done) &
prev=" "
nets=" "
while :; do
  now=" "
  for d in /sys/block/vd*; do [ -e "$d" ] && now="$now${{d##*/}} "; done
  for n in $now; do case "$prev" in *" $n "*) ;; *) echo "marker-block: $n";; esac; done
  for n in $prev; do case "$now" in *" $n "*) ;; *) echo "marker-block-gone: $n";; esac; done
  prev="$now"
  # each NIC, as it appears (hot-plugged too), asks DHCP for its address; /etc/udhcpc.script prints it
  for d in /sys/class/net/eth*; do
    [ -e "$d" ] || continue
    n=${{d##*/}}
    case "$nets" in *" $n "*) ;; *)
      nets="$nets$n "
      echo "marker-net: $n"
      ip link set "$n" up
      udhcpc -f -i "$n" -s /etc/udhcpc.script -t 120 -T 1 -A 1 -O staticroutes >/dev/null 2>&1 &
    ;; esac
  done
  sleep 0.5
done
"""
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    # classless static routes (DHCP option 121): the metadata service's 169.254.169.254 via the DHCP port
    routes="$staticroutes"
    set -- $routes
    while [ -n "$1" ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    echo "marker-ip: $interface $ip" > /dev/console
    # with a route to the metadata service: its meta_data.json's uuid (no wget -T: busybox's crashes with it)
    case " $routes " in *" 169.254.169.254/32 "*)
      ( for i in $(seq 30); do
          meta="$(wget -q -O - http://169.254.169.254/openstack/latest/meta_data.json)" && break
          sleep 1
        done
        echo "marker-metadata: $(echo "$meta" | grep -o '"uuid": "[^"]*"')" > /dev/console ) &
      ;;
    esac;;
esac
"""
POWER_BUTTON = "#!/bin/sh\necho 'guest: power button, powering off' > /dev/console\npoweroff -f\n"


@dataclass(frozen=True)
class GuestImage:
    kernel: Path
    initramfs: Path
    disk: Path  # a small blank qcow2, the "machine image" whose kernel_id/ramdisk_id name the two above
    marker: str = MARKER


def newest_kernel() -> tuple[str, Path]:
    """(version, vmlinuz path) of the newest kernel in /boot that has its modules installed."""
    found = []
    for path in Path("/boot").glob("vmlinuz-*"):
        version = path.name.removeprefix("vmlinuz-")
        if (Path("/lib/modules") / version / "modules.dep").exists():
            found.append((version, path))
    if not found:
        raise FileNotFoundError("no /boot/vmlinuz-* with modules in /lib/modules: apt-get install linux-image-amd64")
    return sorted(found, key=lambda vp: [int(x) if x.isdigit() else x for x in re.split(r"[.-]", vp[0])])[-1]


def module_closure(version: str, wanted=WANTED_MODULES) -> list[str]:
    """Relative paths (as in modules.dep) of `wanted` and their dependencies, dependencies first."""
    root = Path("/lib/modules") / version
    deps: dict[str, list[str]] = {}
    for line in (root / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
    by_name = {re.sub(r"\.ko(\.\w+)?$", "", Path(m).name).replace("-", "_"): m for m in deps}
    order: list[str] = []

    def visit(mod: str) -> None:
        if mod in order:
            return
        for dep in reversed(deps.get(mod, [])):  # modules.dep lists the nearest dependency first
            visit(dep)
        order.append(mod)

    for name in wanted:
        if name not in by_name:
            # built into this kernel (=y) rather than a module: nothing to load
            continue
        visit(by_name[name])
    return order


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".xz":
        return lzma.decompress(data)
    if path.suffix == ".zst":
        return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
    return data


class Cpio:
    """A newc ("070701") archive, the format the kernel unpacks as an initramfs."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self.ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.buf.write(header + encoded)
        self.buf.write(b"\0" * (-(len(header) + len(encoded)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def chardev(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def build_initramfs(version: str) -> bytes:
    modules = module_closure(version)
    cpio = Cpio()
    for d in ("bin", "dev", "proc", "sys", "etc", "etc/acpi", "etc/acpi/PWRF", "lib", "lib/modules"):
        cpio.dir(d)
    cpio.chardev("dev/console", 5, 1)  # init's stdout: without it the guest prints nothing
    cpio.file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    cpio.file("init", INIT.encode(), 0o755)
    cpio.file("etc/acpi/PWRF/00000080", POWER_BUTTON.encode(), 0o755)
    cpio.file("etc/udhcpc.script", UDHCPC_SCRIPT.encode(), 0o755)
    names = []
    for rel in modules:
        name = re.sub(r"\.(xz|zst|gz)$", "", Path(rel).name)
        cpio.file(f"lib/modules/{name}", _module_bytes(Path("/lib/modules") / version / rel))
        names.append(name)
    cpio.file("etc/modules", ("\n".join(names) + "\n").encode())
    return gzip.compress(cpio.finish(), compresslevel=6, mtime=0)


def build(cache_dir: Path = CACHE_DIR) -> GuestImage:
    """Build the guest (or reuse the cached one for this kernel, busybox and init) and return its paths.
    Files are world-readable: QEMU, running as libvirt-qemu, reads them (the driver copies them anyway)."""
    if not BUSYBOX.exists() or b"BusyBox" not in BUSYBOX.read_bytes()[:2_000_000]:
        raise FileNotFoundError(f"{BUSYBOX} is not busybox: apt-get install busybox-static")
    version, vmlinuz = newest_kernel()
    st = BUSYBOX.stat()
    key = hashlib.sha256("|".join([GENERATION, version, INIT, POWER_BUTTON, UDHCPC_SCRIPT, str(st.st_size),
                                   str(st.st_mtime_ns),
                                   ",".join(WANTED_MODULES)]).encode()).hexdigest()[:16]
    out = cache_dir / f"{version}-{key}"
    image = GuestImage(kernel=out / "vmlinuz", initramfs=out / "initramfs.gz", disk=out / "disk.qcow2")
    if all(p.exists() for p in (image.kernel, image.initramfs, image.disk)):
        return image
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o755)
    tmp = out / ".initramfs.tmp"
    tmp.write_bytes(build_initramfs(version))
    os.replace(tmp, image.initramfs)
    tmp = out / ".vmlinuz.tmp"
    tmp.write_bytes(vmlinuz.read_bytes())
    os.replace(tmp, image.kernel)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(out / ".disk.tmp"), "64M"], check=True)
    os.replace(out / ".disk.tmp", image.disk)
    for p in (image.kernel, image.initramfs, image.disk):
        os.chmod(p, 0o644)
    return image


def main() -> int:
    image = build()
    print(f"kernel    {image.kernel}\ninitramfs {image.initramfs}\ndisk      {image.disk}\nmarker    {image.marker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
