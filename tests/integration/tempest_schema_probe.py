"""Call a live API with Tempest's own compute service clients, which validate every response body against
Tempest's JSON schemas (tempest.lib.api_schema.response.compute.*) for the requested microversion.

Runs under the Tempest virtualenv's Python (tempest.lib lives there, not in the project's venv):

    python tempest_schema_probe.py  < {"auth_url", "username", "password", "project", "image_id",
                                       "microversions": [...]}

Prints one JSON object: {"checked": [names], "failures": {name: message}}. Nothing here creates what it
cannot remove: the server, key pair and server group it makes are deleted before it exits.
"""
import json
import sys
import time
import traceback

from tempest.lib import auth, exceptions
from tempest.lib.services import compute
from tempest.lib.services.compute import base_compute_client

SERVICE = dict(service="compute", region="RegionOne", endpoint_type="publicURL")


def clients(cfg):
    creds = auth.get_credentials(cfg["auth_url"], identity_version="v3", username=cfg["username"],
                                 password=cfg["password"], project_name=cfg["project"],
                                 user_domain_name="Default", project_domain_name="Default")
    provider = auth.KeystoneV3AuthProvider(creds, cfg["auth_url"])
    return {name: cls(provider, **SERVICE) for name, cls in (
        ("servers", compute.ServersClient), ("flavors", compute.FlavorsClient),
        ("keypairs", compute.KeyPairsClient), ("services", compute.ServicesClient),
        ("hypervisors", compute.HypervisorClient), ("limits", compute.LimitsClient),
        ("zones", compute.AvailabilityZoneClient), ("quotas", compute.QuotasClient),
        ("groups", compute.ServerGroupsClient), ("versions", compute.VersionsClient))}


def wait_active(servers, server_id, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        server = servers.show_server(server_id)["server"]
        if server["status"] == "ACTIVE" and not server.get("OS-EXT-STS:task_state"):
            return server
        time.sleep(0.2)
    raise AssertionError(f"server {server_id} not ACTIVE within {deadline} s")


def probe(c, cfg, version, checked, failures):
    base_compute_client.COMPUTE_MICROVERSION = version

    def check(name, call):
        key = f"{version} {name}"
        checked.append(key)
        try:
            return call()
        except (exceptions.InvalidHTTPResponseBody, exceptions.InvalidHTTPResponseHeader) as exc:
            failures[key] = str(exc)[:2000]
        except Exception:  # a wrong status or a server error is a failure too
            failures[key] = traceback.format_exc(limit=2)[-2000:]
        return None

    s = c["servers"]
    project_id = s.auth_provider.get_auth()[1]["project"]["id"]
    check("versions.list", c["versions"].list_versions)
    check("versions.show", lambda: c["versions"].get_version_by_url(cfg["auth_url"].rsplit("/identity", 1)[0]
                                                                     + "/compute/v2.1/"))
    check("flavors.list", c["flavors"].list_flavors)
    check("flavors.list(detail, minRam)", lambda: c["flavors"].list_flavors(detail=True, minRam=256))
    check("flavors.show", lambda: c["flavors"].show_flavor("1"))
    check("flavors.extra_specs", lambda: c["flavors"].list_flavor_extra_specs("1"))
    check("services.list", c["services"].list_services)
    hypervisors = check("hypervisors.list", c["hypervisors"].list_hypervisors) or {"hypervisors": []}
    check("hypervisors.list(detail)", lambda: c["hypervisors"].list_hypervisors(detail=True))
    check("hypervisors.statistics", c["hypervisors"].show_hypervisor_statistics)
    for h in hypervisors["hypervisors"][:1]:
        check("hypervisors.show", lambda: c["hypervisors"].show_hypervisor(h["id"]))
        check("hypervisors.uptime", lambda: c["hypervisors"].show_hypervisor_uptime(h["id"]))
    check("limits.show", c["limits"].show_limits)
    check("zones.list", c["zones"].list_availability_zones)
    check("zones.list(detail)", lambda: c["zones"].list_availability_zones(detail=True))
    check("quotas.show", lambda: c["quotas"].show_quota_set(project_id))
    check("quotas.defaults", lambda: c["quotas"].show_default_quota_set(project_id))
    name = f"probe-{version.replace('.', '-')}"
    v237 = tuple(map(int, version.split("."))) >= (2, 37)  # `networks` is required from 2.37
    v264 = tuple(map(int, version.split("."))) >= (2, 64)  # one `policy` instead of `policies` from 2.64
    if check("keypairs.create", lambda: c["keypairs"].create_keypair(name=name)):
        check("keypairs.list", c["keypairs"].list_keypairs)
        check("keypairs.show", lambda: c["keypairs"].show_keypair(name))
        check("keypairs.delete", lambda: c["keypairs"].delete_keypair(name))
    group = check("groups.create", lambda: c["groups"].create_server_group(
        name=name, **({"policy": "affinity"} if v264 else {"policies": ["affinity"]})))
    if group:
        check("groups.list", c["groups"].list_server_groups)
        check("groups.show", lambda: c["groups"].show_server_group(group["server_group"]["id"]))
        check("groups.delete", lambda: c["groups"].delete_server_group(group["server_group"]["id"]))
    created = check("servers.create", lambda: s.create_server(name=name, imageRef=cfg["image_id"], flavorRef="1",
                                                                   **({"networks": "none"} if v237 else {})))
    if not created:
        return
    sid = created["server"]["id"]
    try:
        wait_active(s, sid)
        check("servers.show", lambda: s.show_server(sid))
        check("servers.list", s.list_servers)
        check("servers.list(detail)", lambda: s.list_servers(detail=True))
        check("servers.metadata", lambda: s.set_server_metadata(sid, {"k": "v"}))
        check("servers.metadata.list", lambda: s.list_server_metadata(sid))
        check("servers.stop", lambda: s.stop_server(sid))
        check("servers.instance_actions", lambda: s.list_instance_actions(sid))
        check("servers.volume_attachments", lambda: s.list_volume_attachments(sid))
    finally:
        check("servers.delete", lambda: s.delete_server(sid))


def main():
    cfg = json.load(sys.stdin)
    c = clients(cfg)
    checked, failures = [], {}
    for version in cfg["microversions"]:
        probe(c, cfg, version, checked, failures)
    json.dump({"checked": checked, "failures": failures}, sys.stdout)


if __name__ == "__main__":
    main()
