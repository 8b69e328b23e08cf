"""Call the deprecated proxies (at 2.35) and os-aggregates (at 2.1 and 2.41) with Tempest's own service clients,
which validate every response body against Tempest's JSON schemas. Runs under the Tempest virtualenv's Python.

    python tempest_proxy_probe.py < {"auth_url", "username", "password", "project", "pool", "server_id",
                                     "host", "network_id"}

Prints {"checked": [names], "failures": {name: message}}. Everything it makes it deletes.
"""
import json
import sys
import time
import traceback

from tempest.lib import auth
from tempest.lib.services import compute
from tempest.lib.services.compute import base_compute_client

SERVICE = dict(service="compute", region="RegionOne", endpoint_type="publicURL")
CLIENTS = {"groups": compute.SecurityGroupsClient, "rules": compute.SecurityGroupRulesClient,
           "fips": compute.FloatingIPsClient,
           "volumes": compute.VolumesClient, "tenant_networks": compute.TenantNetworksClient,
           "networks": compute.NetworksClient, "aggregates": compute.AggregatesClient,
           "servers": compute.ServersClient}


def clients(cfg):
    creds = auth.get_credentials(cfg["auth_url"], identity_version="v3", username=cfg["username"],
                                 password=cfg["password"], project_name=cfg["project"],
                                 user_domain_name="Default", project_domain_name="Default")
    provider = auth.KeystoneV3AuthProvider(creds, cfg["auth_url"])
    return {name: cls(provider, **SERVICE) for name, cls in CLIENTS.items()}


def main():
    cfg = json.load(sys.stdin)
    c = clients(cfg)
    checked, failures = [], {}

    def check(name, call):
        checked.append(name)
        try:
            return call()
        except Exception:  # a schema mismatch, a wrong status or a server error
            failures[name] = traceback.format_exc(limit=3)[-2000:]
        return None

    base_compute_client.COMPUTE_MICROVERSION = "2.35"
    group = check("security_groups.create", lambda: c["groups"].create_security_group(
        name="probe", description="d"))
    if group:
        gid = group["security_group"]["id"]
        check("security_groups.list", c["groups"].list_security_groups)
        rule = check("security_group_rules.create(cidr)", lambda: c["rules"].create_security_group_rule(
            parent_group_id=gid, ip_protocol="tcp", from_port=22, to_port=22, cidr="10.0.0.0/8"))
        check("security_group_rules.create(group)", lambda: c["rules"].create_security_group_rule(
            parent_group_id=gid, group_id=gid, ip_protocol="icmp"))
        check("security_groups.show", lambda: c["groups"].show_security_group(gid))
        check("security_groups.update", lambda: c["groups"].update_security_group(gid, name="probe2",
                                                                                     description="d2"))
        if rule:
            check("security_group_rules.delete", lambda: c["rules"].delete_security_group_rule(
                rule["security_group_rule"]["id"]))
        check("servers.security_groups", lambda: c["servers"].list_security_groups_by_server(cfg["server_id"]))
        check("security_groups.delete", lambda: c["groups"].delete_security_group(gid))
    fip = check("floating_ips.create", lambda: c["fips"].create_floating_ip(pool=cfg["pool"]))
    if fip:
        fid, address = fip["floating_ip"]["id"], fip["floating_ip"]["ip"]
        check("floating_ips.associate", lambda: c["fips"].associate_floating_ip_to_server(address, cfg["server_id"]))
        shown = check("floating_ips.show", lambda: c["fips"].show_floating_ip(fid))
        if shown and shown["floating_ip"]["instance_id"] != cfg["server_id"]:
            failures["floating_ips.show"] = f"not associated with the server: {shown}"
        check("floating_ips.list", c["fips"].list_floating_ips)
        check("floating_ips.disassociate", lambda: c["fips"].disassociate_floating_ip_from_server(
            address, cfg["server_id"]))
        check("floating_ips.delete", lambda: c["fips"].delete_floating_ip(fid))
    volume = check("volumes.create", lambda: c["volumes"].create_volume(size=1, display_name="probe"))
    if volume:
        vid = volume["volume"]["id"]
        check("volumes.list", c["volumes"].list_volumes)
        check("volumes.list(detail)", lambda: c["volumes"].list_volumes(detail=True))
        end = time.monotonic() + 60
        while time.monotonic() < end and c["volumes"].show_volume(vid)["volume"]["status"] == "creating":
            time.sleep(0.2)
        check("volumes.show", lambda: c["volumes"].show_volume(vid))
        check("volumes.delete", lambda: c["volumes"].delete_volume(vid))
    check("tenant_networks.list", c["tenant_networks"].list_tenant_networks)
    check("tenant_networks.show", lambda: c["tenant_networks"].show_tenant_network(cfg["network_id"]))
    check("networks.list", c["networks"].list_networks)
    for version in ("2.1", "2.41"):
        base_compute_client.COMPUTE_MICROVERSION = version
        agg = check(f"{version} aggregates.create", lambda: c["aggregates"].create_aggregate(
            name=f"probe-{version}", availability_zone=f"probe-zone-{version}"))
        if not agg:
            continue
        aid = agg["aggregate"]["id"]
        check(f"{version} aggregates.list", c["aggregates"].list_aggregates)
        check(f"{version} aggregates.show", lambda: c["aggregates"].show_aggregate(aid))
        check(f"{version} aggregates.update", lambda: c["aggregates"].update_aggregate(aid, name=f"p-{version}"))
        check(f"{version} aggregates.set_metadata", lambda: c["aggregates"].set_metadata(aid, metadata={"k": "v"}))
        check(f"{version} aggregates.add_host", lambda: c["aggregates"].add_host(aid, host=cfg["host"]))
        check(f"{version} aggregates.remove_host", lambda: c["aggregates"].remove_host(aid, host=cfg["host"]))
        check(f"{version} aggregates.delete", lambda: c["aggregates"].delete_aggregate(aid))
    json.dump({"checked": checked, "failures": failures}, sys.stdout)


if __name__ == "__main__":
    main()
