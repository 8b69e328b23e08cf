"""The serial console proxy: a websocket per browser terminal (xterm.js) or client, joined to the guest's
serial console (`ComputeDriver.open_console`) on the host the console token names.

Why a separate process and not Django Channels: the API stays a plain WSGI app under gunicorn, and the
proxy, like Nova's nova-serialproxy, runs where the consoles are (it opens the host's hypervisor driver).
Tornado is already here (Flower's server), so no new dependency. One proxy serves every host of one
machine (`make run`'s fake hosts, or the libvirt host); a proxy per machine serves only its `--host`.

Each connection: the token is checked before the websocket handshake (401 for an unknown, expired or
stale token), then the console is opened on a worker thread; one thread per connection reads the guest's
output and hands it to the event loop; typed keys are written straight to the console.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import threading

import tornado.web
import tornado.websocket
from django.conf import settings
from django.db import close_old_connections

import hypervisors
from hypervisors.base import DriverError

from compute_platform.compute.services.consoles import ConsoleConnection, ConsoleRefused, console_token_authorize

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def driver_for(host: str):
    """The hypervisor driver of `host`, built as that host's worker builds it (one per host, kept)."""
    from tasks.runtime import driver_options

    return hypervisors.load_driver(settings.COMPUTE_DRIVER, host=host, **driver_options(settings.COMPUTE_DRIVER))


def authorize(token: str, host: str | None) -> ConsoleConnection:
    close_old_connections()  # a thread of the executor: drop a connection the database closed meanwhile
    try:
        return console_token_authorize(token=token, host=host)
    finally:
        close_old_connections()


class SerialConsoleHandler(tornado.websocket.WebSocketHandler):
    def initialize(self, host: str | None) -> None:
        self.only_host = host
        self.grant: ConsoleConnection | None = None
        self.console = None

    async def get(self, *args, **kwargs):
        loop = asyncio.get_running_loop()
        try:
            self.grant = await loop.run_in_executor(None, authorize, self.get_query_argument("token", ""),
                                                    self.only_host)
        except ConsoleRefused as exc:
            logger.info("console refused from %s: %s", self.request.remote_ip, exc.message)
            self.set_status(401)
            self.finish({"error": {"code": 401, "title": "Unauthorized", "message": exc.message}})
            return
        await super().get(*args, **kwargs)

    def check_origin(self, origin: str) -> bool:
        # The token in the URL is the credential (Nova's console tokens); the operator console's page
        # is served by the API, on another port than this proxy.
        return True

    def select_subprotocol(self, subprotocols):
        # Nova's serial clients ask for "binary" (websockify's protocol); xterm.js pages ask for none.
        return "binary" if "binary" in subprotocols else None

    async def open(self, *args, **kwargs):
        grant = self.grant
        loop = asyncio.get_running_loop()
        try:
            self.console = await loop.run_in_executor(
                None, lambda: driver_for(grant.host).open_console(grant.instance_uuid))
        except DriverError as exc:
            logger.warning("console of instance %s on host %s cannot open: %s", grant.instance_uuid, grant.host, exc)
            self.close(1011, str(exc)[:120])
            return
        logger.info("console of instance %s on host %s opened for %s", grant.instance_uuid, grant.host,
                    self.request.remote_ip)
        threading.Thread(target=self._pump, args=(self.console, loop), daemon=True,
                         name=f"console-{grant.instance_uuid[:8]}").start()

    def _pump(self, console, loop) -> None:
        """Guest -> websocket, on this connection's own thread, until the console ends."""
        while True:
            data = console.read()
            if not data:
                break
            loop.call_soon_threadsafe(self._send, data)
        loop.call_soon_threadsafe(self._ended)

    def _send(self, data: bytes) -> None:
        if self.ws_connection is not None:
            self.write_message(data, binary=True)

    def _ended(self) -> None:
        if self.ws_connection is not None:
            self.close(1000, "console closed")

    def on_message(self, message) -> None:
        if self.console is None:
            return
        data = message.encode() if isinstance(message, str) else message
        try:
            self.console.write(data)
        except DriverError as exc:
            self.close(1011, str(exc)[:120])

    def on_close(self) -> None:
        if self.console is not None:
            self.console.close()
            logger.info("console of instance %s closed", self.grant.instance_uuid)


def make_app(*, host: str | None = None) -> tornado.web.Application:
    return tornado.web.Application([(r"/", SerialConsoleHandler, {"host": host})])


async def serve(*, address: str, port: int, host: str | None = None) -> None:
    make_app(host=host).listen(port, address=address)
    logger.info("serial console proxy listening on %s:%d (%s)", address, port,
                f"host {host}" if host else "every host of this machine")
    await asyncio.Event().wait()
