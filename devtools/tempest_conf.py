"""tempest.conf and accounts.yaml for a live stack.

FEATURES is the one place that says what the platform does. When networking, move operations, snapshots or
consoles land, turn their flag on here (and keep `make tempest` at 0 failures).
"""
from __future__ import annotations

import configparser
import io
from pathlib import Path

# ---- what the platform does: keep these truthful ------------------------------------------------------------
FEATURES = {
    "service_available": {
        "nova": True, "glance": True,
        "cinder": True,  # volumes and os-volume_attachments exist
        "neutron": True,  # the network service at /network/v2.0 (compute_platform/network)
        "swift": False, "horizon": False,
    },
    "compute-feature-enabled": {
        "console_output": True, "pause": True, "suspend": True,
        "nova_policy_roles": True,  # Keystone's reader/member/admin (and manager) exist
        "enable_instance_password": True,  # the create answer carries adminPass
        "disk_config": False,  # no OS-DCF:diskConfig
        "personality": False, "change_password": False,
        "resize": True, "cold_migration": True, "live_migration": True,  # move operations (fake and libvirt)
        "shelve": True, "shelve_migrate": False, "rescue": True, "stable_rescue": False,
        "snapshot": True,  # createImage into the image service
        "interface_attach": True, "config_drive": True,  # ports on servers, the config-2 ISO
        # Tempest's guests run on fake hosts: none reaches 169.254.169.254 (libvirt hosts proxy it to the API)
        "metadata_service": False,
        "serial_console": True,  # remote-consoles (2.6) and os-getSerialConsole, the serial proxy
        "vnc_console": False, "spice_console": False,
        "attach_encrypted_volume": False, "swap_volume": False, "volume_multiattach": False,
        "block_migration_for_live_migration": False,
        "volume_backed_live_migration": True,  # the boot volume's export: dest mounts first, source releases after
    },
    "volume-feature-enabled": {
        "backup": False, "snapshot": False, "clone": False, "manage_snapshot": False, "manage_volume": False,
        "extend_attached_volume": False, "multi_backend": False,
    },
    "image-feature-enabled": {"api_v2": True},
    "identity-feature-enabled": {"api_v2": False, "api_v3": True},
    "validation": {"run_validation": False},  # guests have no network to ssh into
}

# Per project: a member, a reader and a manager (tempest takes a reader from the primary's project).
PROJECTS = 4
ADMINS = 4  # `--concurrency 2` needs two at once, and a class may hold one through its whole run
# Tempest's `alt` credentials are "any account without admin", first free in the file's order: these come
# first, each alone in a project of its own, listed without roles so that no class asking for a member,
# reader or manager takes them (an alt that took the primary project's reader left the primary's class
# without one, and an alt reader got 403 where Tempest expects another project's 404).
ALTS = 3
# The admin Tempest's dynamic credentials (classes with force_tenant_isolation) create projects and users
# with through Keystone's admin API; tempest.conf's [auth] admin_*, not an accounts.yaml entry.
IDENTITY_ADMIN = "tempest-identity-admin"


def accounts(password: str) -> list[dict]:
    """Every account the harness makes: `role` is the role it gets, `roles`/`types` what accounts.yaml says
    (`listed` False: not in accounts.yaml)."""
    out = [{"username": f"tempest-admin{i}", "project_name": f"tempest-admin{i}", "password": password,
            "role": "admin", "roles": ["admin"], "types": ["admin"]} for i in range(1, ADMINS + 1)]
    out += [{"username": f"tempest-alt{i}", "project_name": f"tempest-alt{i}", "password": password,
             "role": "member"} for i in range(1, ALTS + 1)]
    for p in range(1, PROJECTS + 1):
        for role in ("member", "reader", "manager"):
            out.append({"username": f"tempest-{role}{p}", "project_name": f"tempest-p{p}", "password": password,
                        "role": role, "roles": [role]})
    out.append({"username": IDENTITY_ADMIN, "project_name": IDENTITY_ADMIN, "password": password,
                "role": "admin", "listed": False})
    return out


def accounts_yaml(accts: list[dict]) -> str:
    lines = []
    for a in (a for a in accts if a.get("listed", True)):
        lines.append(f"- username: '{a['username']}'")
        for key in ("project_name", "password"):
            lines.append(f"  {key}: '{a[key]}'")
        for key in ("roles", "types"):
            if key in a:
                lines.append(f"  {key}: [{', '.join(repr(v) for v in a[key])}]")
    return "\n".join(lines) + "\n"


def tempest_conf(*, api_url: str, workspace: Path, image_id: str, image_id_alt: str, compute_max: str,
                 volume_max: str, hosts: int, password: str, network_extensions: list[str], fixed_network: str = "",
                 public_network: tuple[str, str] = ("", "")) -> str:
    """`fixed_network`: the shared network servers boot on; `public_network`: (name, id) of the external
    network that is the floating IP pool."""
    conf = configparser.ConfigParser()
    conf.read_dict({
        "DEFAULT": {"log_dir": str(workspace / "logs"), "log_file": "tempest.log"},
        "oslo_concurrency": {"lock_path": str(workspace / "locks")},
        "auth": {"use_dynamic_credentials": "false", "test_accounts_file": str(workspace / "etc/accounts.yaml"),
                 "default_credentials_domain_name": "Default", "create_isolated_networks": "false",
                 "admin_username": IDENTITY_ADMIN, "admin_project_name": IDENTITY_ADMIN,
                 "admin_password": password, "admin_domain_name": "Default"},
        # What the network service lists, so Tempest skips what it lacks (auto-allocated-topology: no
        # routers here, so `networks: auto` with no network boots a server without one).
        "network-feature-enabled": {"api_extensions": ", ".join(network_extensions)},
        "identity": {"uri_v3": f"{api_url}/identity/v3", "auth_version": "v3", "region": "RegionOne",
                     "v3_endpoint_type": "public"},
        "compute": {"image_ref": image_id, "image_ref_alt": image_id_alt, "flavor_ref": "1",
                    "flavor_ref_alt": "42",
                    "min_compute_nodes": str(hosts), "build_timeout": "120", "build_interval": "1",
                    "min_microversion": "2.1", "max_microversion": compute_max, "endpoint_type": "publicURL",
                    "fixed_network_name": fixed_network},
        "network": {"public_network_id": public_network[1], "floating_network_name": public_network[0]},
        "volume": {"catalog_type": "volumev3", "build_timeout": "120", "build_interval": "1",
                   "min_microversion": "3.0", "max_microversion": volume_max},
        "image": {"build_timeout": "120", "build_interval": "1"},
        **{section: {k: str(v).lower() for k, v in flags.items()} for section, flags in FEATURES.items()},
    })
    out = io.StringIO()
    conf.write(out)
    return out.getvalue()
