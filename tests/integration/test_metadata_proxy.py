"""A network's metadata proxy for real, as root, in private network namespaces (as test_netplane.py): a guest
namespace gets its address and the route to 169.254.169.254 by DHCP (option 121), asks the proxy in the DHCP
namespace, and the request reaches the metadata API's address in the host namespace with the guest's address
and network signed. The API here is a recorder in the host namespace: the proxy is what is under test (the API
side is test_metadata_service.py; the whole path with a real guest is tests/system/test_rest_network.py)."""
from __future__ import annotations

import json
import os
import signal
import threading
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler

import pytest

from hypervisors.base import SecurityGroupRule
from hypervisors.netplane import DataPlane
from hypervisors.netplane.metadata import MetadataConfig
from hypervisors.netplane.metadata_proxy import listen_in, signature

from .test_netplane import guest, netns, pytestmark, sh, vif  # noqa: F401 (netns: a fixture; pytestmark: root, dnsmasq)

SECRET = "proxy-test-secret"
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface"
    set -- $staticroutes
    while [ -n "$1" ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    echo "lease $ip";;
esac
"""
EGRESS = (SecurityGroupRule("egress"), SecurityGroupRule("egress", ethertype="IPv6"))


class Recorder:
    """An HTTP server in the host namespace standing in for the metadata API: records each request's path
    and headers, answers with a body naming the path."""

    def __init__(self, netns: str) -> None:
        self.seen: list[tuple[str, dict]] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = json.dumps({"path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = listen_in(netns, "127.0.0.1", 0, Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metadata"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def setup(netns, tmp_path):
    host = netns.add("host")
    recorder = Recorder(host)
    plane = DataPlane(tmp_path / "netplane", host_netns=host, ns_prefix=f"npm{netns.tag}-",
                      metadata=MetadataConfig(recorder.url, SECRET))
    yield plane, recorder
    recorder.stop()
    for pid in [*plane.dhcp.running().values(), *plane.metadata.running().values()]:  # a failed test's leftovers
        os.kill(pid, signal.SIGKILL)
    for network_id in plane.dhcp.namespaces():
        sh("ip", "netns", "del", plane.dhcp.namespace(network_id), check=False)


def fetch(ns: str, path: str, *headers: str) -> str:
    extra = [a for h in headers for a in ("--header", h)]
    # (no -T: this busybox's wget crashes with it; the timeout is sh's)
    res = sh("ip", "netns", "exec", ns, "busybox", "wget", "-q", "-O", "-", *extra, f"http://169.254.169.254{path}",
             check=False, timeout=20)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_guest_reaches_the_api_through_its_networks_proxy_signed(setup, netns, tmp_path):
    plane, recorder = setup
    net = str(uuidlib.uuid4())
    port = vif(net, 10, *EGRESS)
    plane.port_plug("inst-a", port)
    pid = plane.metadata.pid(net)
    assert pid is not None
    # the secret is in a file only root reads, not on the command line
    assert oct((plane.state_dir / "metadata" / net / "config").stat().st_mode & 0o777) == "0o600"
    assert SECRET.encode() not in open(f"/proc/{pid}/cmdline", "rb").read()
    assert "169.254.169.254/32" in sh("ip", "-n", plane.dhcp.namespace(net), "addr").stdout

    # DHCP gives the guest its address and the route to 169.254.169.254 via the DHCP port (option 121)
    script = tmp_path / "udhcpc.sh"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    g = guest(netns, plane, port, "ga")
    res = sh("ip", "netns", "exec", g, "busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "8", "-T", "1", "-O", "staticroutes",
             "-s", str(script), timeout=60)
    assert "lease 198.18.77.10" in res.stdout
    assert "169.254.169.254 via 198.18.77.2" in sh("ip", "-n", g, "route").stdout

    # a guest's own X-Forwarded-For is not what the API is told: the proxy names the source it saw
    body = fetch(g, "/openstack/latest/meta_data.json", "X-Forwarded-For: 198.18.77.99",
                 "X-Neutron-Network-ID: 00000000-0000-0000-0000-000000000000")
    assert json.loads(body) == {"path": "/metadata/openstack/latest/meta_data.json"}
    [(path, headers)] = recorder.seen
    assert headers["x-forwarded-for"] == "198.18.77.10" and headers["x-neutron-network-id"] == net
    assert headers["x-instance-id-signature"] == signature(SECRET, net, "198.18.77.10")

    # a proxy that died is started again by the worker's reconcile; a second pass finds nothing to do
    os.kill(pid, signal.SIGKILL)
    report = plane.reconcile({"inst-a": [port]})
    assert report.metadata_started == [net] and plane.metadata.pid(net) not in (None, pid)
    assert fetch(g, "/latest/meta-data/instance-id")
    assert plane.reconcile({"inst-a": [port]}).metadata_started == []

    # the network's last port takes the proxy with it; and reconcile removes a stray one
    plane.port_unplug(port.port_id)
    assert plane.metadata.running() == {} and not (plane.state_dir / "metadata" / net).exists()
    plane.port_plug("inst-a", port)
    plane.reconcile({})
    assert plane.metadata.running() == {} and plane.dhcp.namespaces() == []
