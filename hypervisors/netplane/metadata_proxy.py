"""A network's metadata proxy (Neutron's, in the DHCP namespace): listens on 169.254.169.254:80 inside the
network's namespace and relays each GET to the metadata API, adding who asks: `X-Forwarded-For` (the guest's
source address), `X-Neutron-Network-ID` and `X-Instance-ID-Signature` (an HMAC-SHA256 of both with the shared
secret, so the API knows the proxy and not a guest named them).

One process per network, started by hypervisors/netplane/metadata.py. It binds its socket inside the namespace
and then returns to the namespace it was started in (the host's), where the API is reachable: the one process
does what Neutron's haproxy plus metadata agent do. Standard library only (run by path, no Django), and it
daemonizes once listening, as dnsmasq does: its starter's exit status says whether it listens.

    python metadata_proxy.py --netns qdhcp-<id> --config <file: {"network_id", "upstream", "secret"}> \
        --pid-file <file> --log-file <file>
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import hmac
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

METADATA_ADDRESS = "169.254.169.254"
METADATA_PORT = 80
UPSTREAM_TIMEOUT = 30.0
CLONE_NEWNET = 0x40000000
LOG = logging.getLogger("metadata-proxy")


def signature(secret: str, network_id: str, address: str) -> str:
    """What the proxy signs and the API checks: the network and the guest's address, with the shared secret."""
    return hmac.new(secret.encode(), f"{network_id} {address}".encode(), hashlib.sha256).hexdigest()


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def listen_in(netns: str, address: str, port: int, handler) -> ThreadingHTTPServer:
    """A server whose socket lives in network namespace `netns`; the calling thread is back in its own after."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            return ThreadingHTTPServer((address, port), handler)
        finally:
            _setns(own)
    finally:
        os.close(own)
        os.close(target)


def handler_for(network_id: str, upstream: str, secret: str):
    upstream = upstream.rstrip("/")

    class Relay(BaseHTTPRequestHandler):
        server_version = "compute-platform-metadata-proxy"
        protocol_version = "HTTP/1.0"

        def do_GET(self):  # noqa: N802 (http.server's name)
            guest = self.client_address[0]
            # The guest's own X-Forwarded-For and the like are dropped: only what the proxy saw is sent.
            req = urllib.request.Request(f"{upstream}{self.path}", headers={
                "X-Forwarded-For": guest, "X-Neutron-Network-ID": network_id,
                "X-Instance-ID-Signature": signature(secret, network_id, guest),
                "Accept": self.headers.get("Accept", "*/*")})
            try:
                with urllib.request.urlopen(req, timeout=UPSTREAM_TIMEOUT) as resp:
                    self._reply(resp.status, resp.headers.get("Content-Type"), resp.read())
            except urllib.error.HTTPError as exc:
                self._reply(exc.code, exc.headers.get("Content-Type"), exc.read())
            except (urllib.error.URLError, OSError) as exc:
                LOG.error("network %s: %s %s from %s: the metadata API did not answer: %s", network_id,
                          self.command, self.path, guest, exc)
                self._reply(503, "text/plain", b"The metadata service is unavailable.\n")

        def do_POST(self):  # noqa: N802
            self._reply(405, "text/plain", b"Only GET is served.\n")

        def _reply(self, status: int, content_type: str | None, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type or "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            LOG.info("network %s: %s %s", network_id, self.client_address[0], fmt % args)

    return Relay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--netns", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--pid-file", required=True)
    parser.add_argument("--log-file", required=True)
    parser.add_argument("--address", default=METADATA_ADDRESS)
    parser.add_argument("--port", type=int, default=METADATA_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with open(args.config) as f:
        cfg = json.load(f)
    try:
        server = listen_in(args.netns, args.address, args.port,
                           handler_for(cfg["network_id"], cfg["upstream"], cfg["secret"]))
    except OSError as exc:
        print(f"metadata proxy: cannot listen on {args.address}:{args.port} in {args.netns}: {exc}",
              file=sys.stderr)
        return 1
    pid = os.fork()
    if pid:  # the starter: listening, so done
        with open(f"{args.pid_file}.tmp", "w") as f:
            f.write(f"{pid}\n")
        os.replace(f"{args.pid_file}.tmp", args.pid_file)
        os._exit(0)
    os.setsid()
    # the starter's caller reads its stdout and stderr to the end: the server's go to the log file
    log = os.open(args.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    LOG.info("network %s: relaying %s:%d in %s to %s", cfg["network_id"], args.address, args.port, args.netns,
             cfg["upstream"])
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
