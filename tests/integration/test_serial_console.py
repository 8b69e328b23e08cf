"""The serial console through the real pieces: the remote-consoles API hands out a token, the serial
proxy (its own process) checks it at the websocket handshake and joins the socket to the fake host's echo
console, opened by the host's driver. Tokens are refused when unknown, expired or for a guest gone."""
import time

import pytest
import websocket

from api.common.microversions import MAX_VERSION

TTL = 4  # seconds: long enough to use a token, short enough to watch one expire
STACK = {"hosts": ["node1"], "users": {"alice": "alpha", "bob": "beta"}, "env": {"CONSOLE_TOKEN_TTL": TTL}}


@pytest.fixture(scope="module")
def proxy(api):
    api.start_serial_proxy()
    return api


@pytest.fixture(scope="module")
def alice(api):
    return api.token("alice", "alice-pw", "alpha")


@pytest.fixture(scope="module")
def server(api, alice):
    r = api.boot(name="console-vm", token=alice)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    return sid


def serial_url(api, sid, token=None, **body) -> str:
    r = api.action(sid, {"os-getSerialConsole": body or {"type": "serial"}}, token=token)
    assert r.status_code == 200, r.text
    console = r.json()["console"]
    assert console["type"] == "serial" and console["url"].startswith(f"ws://127.0.0.1:{api.serial_proxy_port}/?token=")
    return console["url"]


def read_until(ws, text: bytes, timeout: float = 10.0) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while text not in seen:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        seen += ws.recv()
        assert time.monotonic() < deadline, f"{text!r} not seen; got {seen!r}"
    return seen


def refused_status(url: str) -> int | None:
    try:
        websocket.create_connection(url, timeout=10).close()
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    return None


def test_the_echo_console_shows_the_boot_log_and_echoes_what_is_typed(proxy, alice, server):
    ws = websocket.create_connection(serial_url(proxy, server, token=alice), timeout=10)
    try:
        assert server.encode() in read_until(ws, b"login:")  # the guest's boot log first
        ws.send_binary(b"echo hello\r")
        assert b"echo hello\r\n" in read_until(ws, b"hello\r\n")
        ws.send("typed as text\r")  # a text frame works as well (keys typed as UTF-8)
        read_until(ws, b"typed as text\r\n")
    finally:
        ws.close()


def test_a_bad_token_is_refused_at_the_handshake(proxy, server):
    base = f"ws://127.0.0.1:{proxy.serial_proxy_port}/"
    assert refused_status(base + "?token=not-a-token") == 401
    assert refused_status(base) == 401


def test_a_token_expires(proxy, alice, server):
    url = serial_url(proxy, server, token=alice)
    issued = time.monotonic()
    websocket.create_connection(url, timeout=10).close()  # good while fresh
    proxy.wait_until(lambda: refused_status(url) == 401, timeout=TTL + 10, interval=0.5, what="the token to expire")
    assert time.monotonic() - issued >= TTL - 0.5


def test_members_get_consoles_of_their_own_project_only(proxy, alice, server):
    bob = proxy.token("bob", "bob-pw", "beta")
    r = proxy.action(server, {"os-getSerialConsole": {"type": "serial"}}, token=bob)
    assert r.status_code == 404, r.text
    assert proxy.action(server, {"os-getSerialConsole": {"type": "serial"}}).status_code == 200  # admin: any


def test_unsupported_types_and_stopped_servers_are_refused(proxy, alice):
    r = proxy.boot(name="console-stopped", token=alice)
    sid = r.json()["server"]["id"]
    proxy.wait_status(sid, "ACTIVE")
    r = proxy.action(sid, {"os-getSerialConsole": {"type": "novnc"}}, token=alice)
    assert r.status_code == 400 and "badRequest" in r.json()
    url = serial_url(proxy, sid, token=alice)
    assert proxy.action(sid, {"os-stop": None}, token=alice).status_code == 202
    proxy.wait_status(sid, "SHUTOFF")
    r = proxy.action(sid, {"os-getSerialConsole": {"type": "serial"}}, token=alice)
    assert r.status_code == 409, r.text
    assert refused_status(url) == 401  # a token issued before the stop no longer opens anything


def test_remote_consoles_needs_microversion_2_6(proxy, alice, server):
    path = f"/compute/v2.1/servers/{server}/remote-consoles"
    body = {"remote_console": {"protocol": "serial", "type": "serial"}}
    assert proxy.post(path, json=body, token=alice).status_code == 404  # 2.1: no such resource
    if MAX_VERSION < (2, 6):
        pytest.skip("the compute API does not negotiate 2.6 yet (MAX_VERSION is raised by the microversions work)")
    headers = {"OpenStack-API-Version": "compute 2.6"}
    r = proxy.post(path, json=body, token=alice, headers=headers)
    assert r.status_code == 200, r.text
    console = r.json()["remote_console"]
    assert (console["protocol"], console["type"]) == ("serial", "serial") and "?token=" in console["url"]
    bad = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    assert proxy.post(path, json=bad, token=alice, headers=headers).status_code == 400


def test_the_openstack_cli_shows_a_serial_console_url_that_opens(proxy, alice, server, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from .clouds import CLOUD, write_clouds_yaml

    clouds = write_clouds_yaml(proxy, tmp_path / "clouds.yaml", username="alice", password="alice-pw",
                               project="alpha")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(clouds), OS_CLOUD=CLOUD, HOME=str(tmp_path))
    res = subprocess.run([str(Path(sys.executable).parent / "openstack"), "console", "url", "show", "--serial",
                          server, "-f", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    shown = json.loads(res.stdout)
    assert shown["type"] == "serial" and "?token=" in shown["url"]
    ws = websocket.create_connection(shown["url"], timeout=10, subprotocols=["binary"])
    try:
        read_until(ws, b"login:")
    finally:
        ws.close()
