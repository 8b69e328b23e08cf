"""A live stack whose compute host runs the libvirt driver on qemu:///system (TCG), and its helpers."""
from __future__ import annotations

import os
import signal
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

import libvirt
import requests

from devtools.guest_image import GuestImage
from tests.integration.stack import Stack, make_template, new_stack

LIBVIRT_URI = "qemu:///system"
NANO = "42"  # m1.nano: 1 vCPU, 128 MiB, 1 GiB; plenty for the busybox guest
GUEST_TIMEOUT = 90.0  # TCG on 2 shared cores: the guest's init is reached in ~6 s when the machine is idle
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors are raised; libvirt need not print them


@dataclass
class LibvirtStack:
    stack: Stack
    host: str
    instances_dir: Path
    guest: GuestImage
    image_id: str = ""  # the machine image: qcow2 disk with kernel_id/ramdisk_id
    kernel_id: str = ""
    ramdisk_id: str = ""
    _conn: libvirt.virConnect | None = field(default=None, repr=False)

    # -- images ------------------------------------------------------------------------------------

    def upload_image(self, name: str, path: Path, disk_format: str, **properties: str) -> str:
        body = {"name": name, "disk_format": disk_format, "container_format": "bare" if disk_format in
                ("qcow2", "raw") else disk_format, **properties}
        r = self.stack.post("/image/v2/images", json=body)
        assert r.status_code == 201, r.text
        image_id = r.json()["id"]
        r = requests.put(self.stack.url(f"/image/v2/images/{image_id}/file"), data=path.read_bytes(), timeout=60,
                         headers={"X-Auth-Token": self.token(), "Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        return image_id

    def upload_guest(self) -> None:
        """The kernel (aki) and initramfs (ari) as images, and the disk naming them (Glance's AMI style)."""
        self.kernel_id = self.upload_image("guest-kernel", self.guest.kernel, "aki")
        self.ramdisk_id = self.upload_image("guest-initramfs", self.guest.initramfs, "ari")
        self.image_id = self.upload_image("guest", self.guest.disk, "qcow2", kernel_id=self.kernel_id,
                                          ramdisk_id=self.ramdisk_id)

    def token(self) -> str:
        self.stack._token = self.stack._token or self.stack.token()
        return self.stack._token

    # -- servers -----------------------------------------------------------------------------------

    def boot(self, name: str = "vm", *, wait: bool = True, **server) -> dict:
        """POST /servers with the guest image; by default wait for ACTIVE. The returned body has
        `boot_seconds`: from the start of the POST to the moment the client saw ACTIVE."""
        t0 = time.monotonic()
        body = {"server": {"name": name, "imageRef": self.image_id, "flavorRef": NANO, **server}}
        r = self.stack.post("/compute/v2.1/servers", json=body)
        assert r.status_code == 202, r.text
        server_id = r.json()["server"]["id"]
        if not wait:
            return {"id": server_id}
        s = self.stack.wait_status(server_id, "ACTIVE", timeout=GUEST_TIMEOUT)
        s["boot_seconds"] = time.monotonic() - t0
        return s

    def console(self, server_id: str) -> str:
        r = self.stack.action(server_id, {"os-getConsoleOutput": {}})
        assert r.status_code == 200, r.text
        return r.json()["output"]

    def wait_console(self, server_id: str, text: str, timeout: float = GUEST_TIMEOUT, after: int = 0) -> str:
        """Wait until `text` appears in the console output after character `after`."""
        return self.stack.wait_until(lambda: text in self.console(server_id)[after:] and self.console(server_id),
                                     timeout=timeout, interval=0.5, what=f"{text!r} on the console of {server_id}")

    def act(self, server_id: str, body: dict, status: str, timeout: float = 60.0) -> dict:
        r = self.stack.action(server_id, body)
        assert r.status_code == 202, r.text
        return self.stack.wait_status(server_id, status, timeout=timeout)

    # -- libvirt's view ----------------------------------------------------------------------------

    def conn(self) -> libvirt.virConnect:
        if self._conn is None or not self._conn.isAlive():
            self._conn = libvirt.open(LIBVIRT_URI)
        return self._conn

    def domain(self, server_id: str) -> libvirt.virDomain | None:
        try:
            return self.conn().lookupByUUIDString(server_id)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise

    def domain_state(self, server_id: str) -> int | None:
        """libvirt's state code (VIR_DOMAIN_RUNNING, ...) or None without a domain."""
        dom = self.domain(server_id)
        return None if dom is None else dom.state()[0]

    def instance_dir(self, server_id: str, host: str | None = None) -> Path:
        """The server's directory on `host` (default: the stack's first host)."""
        return self.host_instances_dir(host or self.host) / server_id

    def host_instances_dir(self, host: str) -> Path:
        # INSTANCES_DIR names the host (`.../{host}`): each host its own, as moves between them need
        return self.instances_dir.parent / host

    def bind_export(self, name: str, share: Path) -> dict:
        """A bind-mount export (standing in for NFS) of a fresh directory `share`, registered through the API."""
        share.mkdir(parents=True)
        os.chmod(share.parent, 0o755)
        os.chmod(share, 0o755)
        r = self.stack.post("/api/v1/exports", json={"export": {"name": name, "share": str(share), "fstype": "bind"}})
        assert r.status_code == 201, r.text
        return r.json()["export"]

    def retire_export(self, export: dict) -> None:
        """Disable an export when its module is done: volumes go to the enabled export with the fewest, so a later
        module's new volumes would otherwise land on this one instead of its own."""
        r = self.stack.request("PUT", f"/api/v1/exports/{export['id']}", json={"export": {"enabled": False}})
        assert r.status_code == 200, r.text

    # -- a second host (moves) ---------------------------------------------------------------------

    def add_host(self) -> str:
        """Start another libvirt compute worker (same libvirtd, its own instances directory); wait until up."""
        host = f"qemu-{uuidlib.uuid4().hex[:6]}"
        self.stack.start_worker(host)
        self.stack.hosts.append(host)
        self.stack.wait_hosts_up([host])
        return host

    def retire_host(self, host: str) -> None:
        """Disable `host`'s compute service (the scheduler picks it no more), stop its worker, remove guests
        a failed test left there."""
        r = self.stack.request("PUT", "/compute/v2.1/os-services/disable",
                               json={"host": host, "binary": "nova-compute"})
        assert r.status_code == 200, r.text
        self.stack.kill_worker(host, signal.SIGTERM)
        self.stack.hosts.remove(host)
        _destroy_guests_of(host, self.host_instances_dir(host))

    # -- teardown ----------------------------------------------------------------------------------

    def stop(self) -> None:
        self.stack.stop()
        for host in self.stack.hosts:
            _destroy_guests_of(host, self.host_instances_dir(host))
        if self._conn is not None:
            self._conn.close()


def _destroy_guests_of(host: str, instances_dir: Path) -> None:
    """Whatever a failed test left running on `host`: same host name, so the driver sees them as its own."""
    from hypervisors.libvirt.driver import LibvirtDriver

    driver = LibvirtDriver(host=host, uri=LIBVIRT_URI, instances_dir=str(instances_dir))
    for uuid in driver.list_instances():
        driver.destroy(uuid)
    driver.close()


def start_libvirt_stack(*, database_url: str, redis_url: str, workdir: Path, template_dir: Path,
                        guest: GuestImage, soft_power_off_timeout: float = 15.0, template: str | None = None,
                        **env) -> LibvirtStack:
    """API + one libvirt compute worker on a fresh database, the guest uploaded; ready to boot. `template`: a
    migrated database to clone (the test run's), else one is migrated here."""
    host = f"qemu-{uuidlib.uuid4().hex[:6]}"
    instances = workdir / "instances" / host
    instances.mkdir(parents=True, exist_ok=True)
    # its own name: the integration tier's session template (tmpl_<pid>) may still be in use
    template = template or make_template(database_url, template_dir, name=f"tmpl_libvirt_{os.getpid()}")
    stack = new_stack(base_database_url=database_url, template=template, redis_base_url=redis_url,
                      workdir=workdir, hosts=[host], COMPUTE_DRIVER="libvirt", LIBVIRT_URI=LIBVIRT_URI,
                      LIBVIRT_VIRT_TYPE="qemu", INSTANCES_DIR=str(instances.parent / "{host}"),
                      SOFT_POWER_OFF_TIMEOUT=soft_power_off_timeout, **env)
    ls = LibvirtStack(stack=stack, host=host, instances_dir=instances, guest=guest)
    try:
        stack.start_conductor()  # fans out the periodic power sync (and other conductor work)
        stack.wait_ready()
        ls.upload_guest()
    except BaseException:
        ls.stop()
        raise
    return ls
