"""The metadata service (/metadata) against a live stack: what a guest on a network reads through its network's
proxy (which names it by network and address, signed with the shared secret), equal to the config drive the host
builds for it; a bad or missing signature, an unknown address and a deleted server are refused."""
import base64
import json

import pytest
import requests

from hypervisors import configdrive
from hypervisors.netplane.metadata_proxy import signature

SECRET = "metadata-test-secret"
STACK = {"hosts": ["node1"], "users": {"mia": "proj-m"}, "env": {"METADATA_PROXY_SHARED_SECRET": SECRET}}
NET = "/network/v2.0"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDmetadataservicetestkeyxxxxxxxxxxxxxxxxxxxx mia@example"
USER_DATA = b"#cloud-config\nruncmd: [echo hi]\n\xff raw byte\n"


def created(r, key):
    assert r.status_code == 201, r.text
    return r.json()[key]


@pytest.fixture(scope="module")
def server(api):
    """mia's server on her network, with a key pair, user data, metadata, a config drive and a floating IP."""
    t = api.token("mia", "mia-pw", "proj-m")
    net = created(api.post(f"{NET}/networks", json={"network": {"name": "mdnet"}}, token=t), "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.9.0.0/24",
                                                        "ip_version": 4, "dns_nameservers": ["10.9.0.53"]}},
                     token=t), "subnet")
    ext = created(api.post(f"{NET}/networks", json={"network": {"name": "mdpublic", "router:external": True}}),
                  "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": ext["id"], "cidr": "198.51.100.0/24",
                                                        "enable_dhcp": False}}), "subnet")
    r = api.post("/compute/v2.1/os-keypairs", json={"keypair": {"name": "mia-key", "public_key": KEY}}, token=t)
    assert r.status_code in (200, 201), r.text
    r = api.boot(token=t, name="Meta Web 1", networks=[{"uuid": net["id"]}], key_name="mia-key",
                 config_drive=True, metadata={"role": "web"}, user_data=base64.b64encode(USER_DATA).decode())
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    [port] = api.get(f"{NET}/ports?device_id={sid}").json()["ports"]
    fip = created(api.post(f"{NET}/floatingips", json={"floatingip": {
        "floating_network_id": ext["id"], "port_id": port["id"]}}, token=t), "floatingip")
    return {"id": sid, "net": net["id"], "ip": port["fixed_ips"][0]["ip_address"], "port": port,
            "fip": fip["floating_ip_address"], "token": t}


def proxied(api, path, network_id, address, *, secret=SECRET, sign=None):
    """A GET as the network's proxy sends it (no token: the signature is the credential)."""
    headers = {"X-Forwarded-For": address, "X-Neutron-Network-ID": network_id,
               "X-Instance-ID-Signature": signature(secret, network_id, address) if sign is None else sign}
    return requests.get(api.url(f"/metadata{path}"), headers=headers, timeout=30)


def test_the_openstack_files_are_the_config_drives(api, server, tmp_path):
    net, ip = server["net"], server["ip"]
    r = proxied(api, "/openstack/latest/meta_data.json", net, ip)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json", r.text
    meta = r.json()
    assert (meta["uuid"], meta["name"], meta["hostname"], meta["meta"]) == (server["id"], "Meta Web 1", "meta-web-1",
                                                                          {"role": "web"})
    assert meta["public_keys"] == {"mia-key": KEY} and meta["availability_zone"] == "nova"

    # the config drive the host builds for this server (the build's own spec function), file for file
    drive = tmp_path / "disk.config"
    api.manage("shell", "-c", "from compute_platform.compute.models import Instance; from tasks.specs import "
               "instance_spec; from hypervisors import configdrive; configdrive.build(instance_spec("
               f"Instance.objects.get(uuid='{server['id']}')), '{drive}')")
    label, files = configdrive.read(drive)
    assert label == "config-2"
    served = {}
    for name in proxied(api, "/openstack/latest", net, ip).text.split("\n"):
        served[f"/openstack/latest/{name}"] = proxied(api, f"/openstack/latest/{name}", net, ip).content
    assert served == files and set(files) == {f"/openstack/latest/{n}" for n in (
        "meta_data.json", "network_data.json", "vendor_data.json", "user_data")}
    assert served["/openstack/latest/user_data"] == USER_DATA
    assert json.loads(served["/openstack/latest/vendor_data.json"]) == {}
    network_data = json.loads(served["/openstack/latest/network_data.json"])
    assert network_data["links"][0]["ethernet_mac_address"] == server["port"]["mac_address"]
    assert network_data["services"] == [{"type": "dns", "address": "10.9.0.53"}]
    assert proxied(api, "/openstack", net, ip).text == "latest"


def test_the_ec2_tree(api, server):
    net, ip = server["net"], server["ip"]

    def get(path):
        r = proxied(api, path, net, ip)
        assert r.status_code == 200, (path, r.text)
        return r.text

    assert get("/") == "2009-04-04\nlatest"
    assert get("/latest") == "meta-data/\nuser-data"
    listing = get("/latest/meta-data/").split("\n")
    assert {"instance-id", "hostname", "local-ipv4", "public-ipv4", "public-keys/", "placement/"} <= set(listing)
    assert get("/latest/meta-data/instance-id").startswith("i-")
    assert get("/latest/meta-data/hostname") == "meta-web-1"
    assert get("/latest/meta-data/local-ipv4") == ip
    assert get("/latest/meta-data/public-ipv4") == server["fip"]
    assert get("/latest/meta-data/placement/availability-zone") == "nova"
    assert get("/latest/meta-data/public-keys/") == "0=mia-key"
    assert get("/latest/meta-data/public-keys/0/openssh-key") == KEY
    assert get("/2009-04-04/meta-data/security-groups") == "default"
    assert proxied(api, "/latest/user-data", net, ip).content == USER_DATA
    r = proxied(api, "/latest/meta-data/no-such-key", net, ip)
    assert r.status_code == 404 and "itemNotFound" in r.json()


def test_only_the_proxys_signed_requests_are_answered(api, server):
    net, ip = server["net"], server["ip"]
    path = "/openstack/latest/meta_data.json"
    # another secret, or a signature for another address (a guest replaying its own for a neighbour's): 403
    for r in (proxied(api, path, net, ip, secret="guessed"),
              proxied(api, path, net, ip, sign=signature(SECRET, net, "10.9.0.77")),
              proxied(api, path, net, ip, sign="")):
        assert r.status_code == 403 and r.json()["forbidden"]["code"] == 403, r.text
    # not through a proxy at all: 400; POST: 405
    assert requests.get(api.url(f"/metadata{path}"), timeout=30).status_code == 400
    assert requests.post(api.url(f"/metadata{path}"), timeout=30).status_code == 405
    # signed, but nobody there: an address no server holds, another network, not an address: 404
    for network_id, address in ((net, "10.9.0.250"), ("6a0d7a3c-5f0e-4a67-9b9e-1d2f3a4b5c6d", ip),
                                (net, "not-an-ip")):
        r = proxied(api, path, network_id, address)
        assert r.status_code == 404 and r.json()["itemNotFound"]["code"] == 404, r.text


def test_a_deleted_server_is_no_longer_served(api, server):
    t = server["token"]
    assert proxied(api, "/latest/meta-data/instance-id", server["net"], server["ip"]).status_code == 200
    assert api.delete(f"/compute/v2.1/servers/{server['id']}", token=t).status_code == 204
    api.wait_gone(server["id"], timeout=60)
    assert proxied(api, "/latest/meta-data/instance-id", server["net"], server["ip"]).status_code == 404
