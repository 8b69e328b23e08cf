"""What each compute microversion adds to a server body (Nova's views/servers.py `show`), on top of the 2.1
body that ServerViewBuilder.detail builds. One function per body kind; each step is one gated block."""
import orjson

from compute_platform.compute.selectors_server_extras import host_status

from ..common.microversions import DEFAULT_VERSION, parse

# The steps this package gates on, as comparable tuples.
V = {step: parse(step) for step in (
    "2.3", "2.9", "2.16", "2.19", "2.26", "2.47", "2.51", "2.54", "2.55", "2.57", "2.58", "2.61", "2.62", "2.63",
    "2.66", "2.71", "2.73", "2.75", "2.84", "2.90", "2.96", "2.100", "2.102")}


def version_of(request) -> tuple[int, int]:
    return getattr(request, "api_version", DEFAULT_VERSION)


def flavor_embedded(row: dict, *, with_extra_specs: bool = True) -> dict:
    """The server's flavor as its values at boot (2.47), not a link to a flavor that may have changed."""
    body = {"vcpus": row["vcpus"], "ram": row["memory_mb"], "disk": row["root_gb"],
            "ephemeral": row["flavor__ephemeral_gb"], "swap": row["flavor__swap"],
            "original_name": row["flavor__name"]}
    if with_extra_specs:  # Nova's default policy shows them to the project's readers
        body["extra_specs"] = _json(row["extra_specs_json"]) or {}
    return body


def _json(text: str | None):
    """A JSON column the row carries as text (selectors' server rows), parsed only where a version shows it."""
    return None if text is None else orjson.loads(text)


def add_version_fields(body: dict, row: dict, *, version, is_admin: bool, show_server_groups: bool = False) -> dict:
    """Add to a detailed server body what `version` shows; server_groups (2.71) appear on one server's show,
    update and rebuild, not in lists."""
    # 2.3's volumes_attached `delete_on_termination` is ServerViewBuilder._volumes_attached's.
    if version >= V["2.3"]:
        if is_admin:  # Nova's os-extended-server-attributes policy: admin
            body.update({
                "OS-EXT-SRV-ATTR:reservation_id": row["reservation_id"],
                "OS-EXT-SRV-ATTR:launch_index": row["launch_index"],
                "OS-EXT-SRV-ATTR:hostname": row["hostname"],
                "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda" if row["host__name"] else None,
                "OS-EXT-SRV-ATTR:user_data": row["user_data"],
            })
    if version >= V["2.9"]:
        body["locked"] = row["locked_by"] is not None
    if version >= V["2.16"] and is_admin:  # Nova's show:host_status policy: admin
        body["host_status"] = host_status(host_name=row["host__name"], enabled=row["host__enabled"],
                                          forced_down=row["host__forced_down"],
                                          last_heartbeat=row["host__last_heartbeat"])
    if version >= V["2.19"]:
        body["description"] = row["description"]
    if version >= V["2.26"]:
        body["tags"] = _json(row["tags_json"]) or []
    if version >= V["2.47"]:
        body["flavor"] = flavor_embedded(row)
    if version >= V["2.63"]:
        body["trusted_image_certificates"] = _json(row["trusted_certs_json"]) or None
    if version >= V["2.71"] and show_server_groups:
        body["server_groups"] = [row["server_group_uuid"]] if row["server_group_uuid"] else []
    if version >= V["2.73"]:
        body["locked_reason"] = row["locked_reason"]
    if version >= V["2.90"]:
        body["OS-EXT-SRV-ATTR:hostname"] = row["hostname"]  # shown to everyone from 2.90
    if version >= V["2.96"]:
        body["pinned_availability_zone"] = row["availability_zone"] or None
    if version >= V["2.100"]:
        body["scheduler_hints"] = _json(row["scheduler_hints_json"]) or {}
    return body
