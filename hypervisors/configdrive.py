"""The config drive cloud-init reads (OpenStack's `config-2`): an ISO 9660 image with Joliet and Rock Ridge,
volume label `config-2`, holding `openstack/latest/{meta_data.json,network_data.json,vendor_data.json,user_data}`
as Nova writes them. Built in pure Python with pycdlib; no Django, no external tool.

The one builder of what a guest is told about itself: the metadata service (api/metadata) serves the same
functions' output for the same InstanceSpec (compute_platform/compute/selectors_guest_data.py builds it).
"""
from __future__ import annotations

import io
import ipaddress
import json
import os
import re
import tempfile
from pathlib import Path

import pycdlib

from hypervisors.base import InstanceSpec, VifSpec

LABEL = "config-2"
VERSIONS = ("latest",)  # the directories cloud-init looks in; "latest" is always read


def hostname(name: str) -> str:
    """Nova's sanitize_hostname, roughly: lower case, letters, digits and '-', at most 63 characters."""
    h = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-.")[:63].strip("-")
    return h or "server"


def meta_data(spec: InstanceSpec) -> dict:
    """Nova's meta_data.json (nova/api/metadata/base.py): the config drive's and the metadata service's."""
    data = {"uuid": spec.uuid, "name": spec.display_name or spec.name,
            "hostname": spec.hostname or hostname(spec.display_name or spec.name), "launch_index": spec.launch_index,
            "availability_zone": spec.availability_zone, "meta": dict(spec.metadata)}
    if spec.key_data:
        key_name = spec.key_name or "default"
        data["public_keys"] = {key_name: spec.key_data}
        data["keys"] = [{"name": key_name, "type": "ssh", "data": spec.key_data}]
    return data


def vendor_data(spec: InstanceSpec) -> dict:
    """Nova's vendor_data.json: nothing of ours to add (Nova's default StaticJSON provider, unconfigured)."""
    return {}


def ec2_meta_data(spec: InstanceSpec, *, instance_id: str, public_ipv4: str | None = None, instance_type: str = "",
                  reservation_id: str = "", security_groups: tuple[str, ...] = ()) -> dict:
    """Nova's EC2-style `meta-data/` tree (get_ec2_metadata, the 2009-04-04 keys the common images read): a
    directory is a dict; `_name` is how a directory is listed in its parent (`0=<key name>`, as Nova's)."""
    host = spec.hostname or hostname(spec.display_name or spec.name)
    local = next((a for v in spec.vifs for a in v.fixed_ips if ipaddress.ip_address(a).version == 4), "")
    data = {"ami-id": "", "ami-launch-index": str(spec.launch_index), "hostname": host, "instance-id": instance_id,
            "instance-type": instance_type, "local-hostname": host, "local-ipv4": local, "public-hostname": host,
            "public-ipv4": public_ipv4 or "", "placement": {"availability-zone": spec.availability_zone},
            "reservation-id": reservation_id, "security-groups": "\n".join(security_groups)}
    if spec.key_data:
        data["public-keys"] = {"0": {"_name": f"0={spec.key_name or 'default'}", "openssh-key": spec.key_data}}
    return data


def openstack_files(spec: InstanceSpec) -> dict[str, bytes]:
    """The files of `openstack/<version>/`, as the config drive holds them and the metadata service serves them
    (`user_data` only when the server has some, as Nova)."""
    files = {
        "meta_data.json": json.dumps(meta_data(spec), sort_keys=True).encode(),
        "network_data.json": json.dumps(network_data(spec.vifs), sort_keys=True).encode(),
        "vendor_data.json": json.dumps(vendor_data(spec)).encode(),
    }
    if spec.user_data is not None:
        files["user_data"] = spec.user_data.encode("utf-8", "surrogateescape")  # bytes, as the user gave them
    return files


def network_data(vifs: tuple[VifSpec, ...]) -> dict:
    """Nova's network_data.json (nova/virt/netutils.py get_network_metadata): a link per NIC, a network per
    subnet (DHCP-served: the data plane runs DHCP on every network), and the DNS servers."""
    links, networks, dns = [], [], []
    for i, vif in enumerate(vifs):
        links.append({"id": vif.tap, "vif_id": vif.port_id, "type": "bridge", "mtu": vif.mtu,
                      "ethernet_mac_address": vif.mac})
        versions = sorted({ipaddress.ip_address(a).version for a in vif.fixed_ips})
        for version in versions:
            networks.append({"id": f"network{len(networks)}", "type": f"ipv{version}_dhcp", "link": vif.tap,
                             "network_id": vif.network_id})
        for a in vif.dns_nameservers:
            if {"type": "dns", "address": a} not in dns:
                dns.append({"type": "dns", "address": a})
    return {"links": links, "networks": networks, "services": dns}


def build(spec: InstanceSpec, path: str | os.PathLike) -> Path:
    """Write the config drive of `spec` to `path` (atomically, mode 0644: QEMU reads it as another user)."""
    files = openstack_files(spec)
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=4, joliet=3, rock_ridge="1.09", vol_ident=LABEL)
    iso.add_directory("/OPENSTAC", rr_name="openstack", joliet_path="/openstack")
    for version in VERSIONS:
        iso.add_directory(f"/OPENSTAC/{version.upper()[:8]}", rr_name=version, joliet_path=f"/openstack/{version}")
        for name, body in files.items():
            iso_name = re.sub(r"[^A-Z0-9_]", "_", name.upper().replace(".JSON", ""))[:8] + ".;1"
            iso.add_fp(io.BytesIO(body), len(body), f"/OPENSTAC/{version.upper()[:8]}/{iso_name}", rr_name=name,
                       joliet_path=f"/openstack/{version}/{name}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            iso.write_fp(out)
        iso.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(path: str | os.PathLike) -> tuple[str, dict[str, bytes]]:
    """(volume label, {rock ridge path: content}) of a config drive: what a guest's cloud-init would see."""
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    try:
        label = iso.pvd.volume_identifier.decode().strip()
        out = {}
        for dirpath, _dirs, names in iso.walk(rr_path="/"):
            for name in names:
                rr = f"{dirpath.rstrip('/')}/{name}"
                buf = io.BytesIO()
                iso.get_file_from_iso_fp(buf, rr_path=rr)
                out[rr] = buf.getvalue()
        return label, out
    finally:
        iso.close()
