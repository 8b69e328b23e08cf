"""One libvirt connection per driver: opened lazily, reopened after a loss, with lifecycle events.

libvirt delivers events only through an event loop registered *before* the connection is opened and
run by some thread; we run libvirt's default implementation on one daemon thread per process.
Listeners get `(domain_uuid, event, detail)`; the driver uses them to wake waits early and to log.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable

import libvirt

LOG = logging.getLogger(__name__)

LifecycleListener = Callable[[str, int, int], None]

_loop_lock = threading.Lock()
_loop_pid: int | None = None

EVENT_NAMES = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: "defined", libvirt.VIR_DOMAIN_EVENT_UNDEFINED: "undefined",
    libvirt.VIR_DOMAIN_EVENT_STARTED: "started", libvirt.VIR_DOMAIN_EVENT_SUSPENDED: "paused",
    libvirt.VIR_DOMAIN_EVENT_RESUMED: "resumed", libvirt.VIR_DOMAIN_EVENT_STOPPED: "stopped",
    libvirt.VIR_DOMAIN_EVENT_SHUTDOWN: "shutdown", libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: "pmsuspended",
    libvirt.VIR_DOMAIN_EVENT_CRASHED: "crashed",
}


def _silence_default_error_handler() -> None:
    # libvirt prints every error to stderr by default; we raise them as exceptions instead.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def start_event_loop() -> None:
    """Register libvirt's default event loop and run it on a daemon thread, once per process
    (after a fork the child needs its own thread: threads do not survive fork)."""
    global _loop_pid
    with _loop_lock:
        if _loop_pid == os.getpid():
            return
        _silence_default_error_handler()
        if _loop_pid is None:  # registering twice in one process is an error in libvirt
            libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-event-loop", daemon=True).start()
        _loop_pid = os.getpid()


class Host:
    """The connection to one libvirt URI, reopened transparently when libvirt reports it lost."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._lock = threading.Lock()
        self._conn: libvirt.virConnect | None = None
        self._conn_pid: int | None = None
        self._callback_id: int | None = None
        self._listeners: list[LifecycleListener] = []
        self.changed = threading.Condition()  # notified on every lifecycle event

    def add_lifecycle_listener(self, listener: LifecycleListener) -> None:
        self._listeners.append(listener)

    def get_connection(self) -> libvirt.virConnect:
        """An open connection; reopened if the previous one was closed or lost, or we were forked."""
        with self._lock:
            conn = self._conn
            if conn is not None and self._conn_pid == os.getpid():
                try:
                    if conn.isAlive():
                        return conn
                except libvirt.libvirtError:
                    pass
                LOG.warning("libvirt connection to %s lost: reconnecting", self.uri)
            self._conn = None
            start_event_loop()
            conn = libvirt.open(self.uri)
            try:
                conn.registerCloseCallback(self._on_close, None)
            except libvirt.libvirtError:  # not every driver reports closes; isAlive() still catches it
                pass
            try:
                self._callback_id = conn.domainEventRegisterAny(
                    None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._on_lifecycle, None)
            except libvirt.libvirtError as exc:
                self._callback_id = None
                LOG.warning("no lifecycle events from %s: %s", self.uri, exc)
            self._conn, self._conn_pid = conn, os.getpid()
            LOG.info("connected to libvirt at %s", self.uri)
            return conn

    def close(self) -> None:
        """Close our connection (the test driver's state resets when a process's last one closes)."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None or self._conn_pid != os.getpid():
                return
            try:
                if self._callback_id is not None:
                    conn.domainEventDeregisterAny(self._callback_id)
                conn.unregisterCloseCallback()
            except libvirt.libvirtError:
                pass
            try:
                conn.close()
            except libvirt.libvirtError:
                pass

    # -- callbacks, on the event loop thread -----------------------------------------------------------

    def _on_close(self, conn, reason, opaque) -> None:
        # Only mark it: closing a connection from inside its own callback deadlocks libvirt.
        LOG.warning("libvirt closed the connection to %s (reason %s)", self.uri, reason)
        with self.changed:
            self.changed.notify_all()

    def _on_lifecycle(self, conn, dom, event, detail, opaque) -> None:
        try:
            uuid = dom.UUIDString()
        except libvirt.libvirtError:
            return
        LOG.debug("libvirt event: instance %s %s (detail %s)", uuid, EVENT_NAMES.get(event, event), detail)
        for listener in list(self._listeners):
            try:
                listener(uuid, event, detail)
            except Exception:  # a listener's bug must not kill the event loop
                LOG.exception("lifecycle listener failed for instance %s", uuid)
        with self.changed:
            self.changed.notify_all()

    def wait_for_change(self, timeout: float) -> None:
        """Sleep until the next lifecycle event or `timeout` seconds, whichever comes first."""
        with self.changed:
            self.changed.wait(timeout)
