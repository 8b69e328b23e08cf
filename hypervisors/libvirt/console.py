"""A libvirt guest's serial console as a ConsoleStream: `virDomain.openConsole` on a non-blocking
`virStream`, read through libvirt's event loop (the one host.py runs), as `virsh console` does."""

from __future__ import annotations

import logging
import threading
import time

import libvirt

from hypervisors.base import DriverError
from hypervisors.console import QueuedConsole

LOG = logging.getLogger(__name__)
_EAGAIN = -2  # what the bindings' recv/send return when a non-blocking stream would block
_READ_EVENTS = libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP


class LibvirtConsole(QueuedConsole):
    def __init__(self, conn: libvirt.virConnect, dom: libvirt.virDomain, uuid: str, banner: bytes = b"") -> None:
        """`banner`: what to show before the live output (the end of the console log, so a terminal
        opened after boot still shows how the guest got there)."""
        super().__init__(banner)
        self.uuid = uuid
        self._lock = threading.Lock()  # send, abort and the event callback never interleave
        self._ended = False   # by libvirt: reads end after what was already received
        self._stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        try:
            # FORCE: a console left open by a dead proxy must not lock the operator out
            dom.openConsole(None, self._stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
            self._stream.eventAddCallback(_READ_EVENTS, self._on_event, None)
        except libvirt.libvirtError as exc:
            self._closed = True
            self._abort()
            raise DriverError(f"cannot open the console: {exc.get_error_message()}", uuid) from exc

    def _on_event(self, stream, events, _opaque) -> None:  # on libvirt's event loop thread
        with self._lock:
            if self._closed or self._ended:
                return
            while events & libvirt.VIR_STREAM_EVENT_READABLE:
                try:
                    data = stream.recv(4096)
                except libvirt.libvirtError:
                    data = b""
                if data == _EAGAIN:
                    break
                if not data:
                    self._hang_up()
                    return
                self._out.put(data)
            if events & (libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP):
                self._hang_up()

    def _hang_up(self) -> None:
        # the guest stopped or another console took over (FORCE): readers see the end
        LOG.info("console of instance %s closed by libvirt", self.uuid)
        self._ended = True
        self._abort()
        self._out.put(b"")

    def _abort(self) -> None:
        for call in (self._stream.eventRemoveCallback, self._stream.abort):
            try:
                call()
            except libvirt.libvirtError:
                pass

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            with self._lock:
                if self._closed or self._ended:
                    raise DriverError("the console is closed", self.uuid)
                try:
                    sent = self._stream.send(bytes(view))
                except libvirt.libvirtError as exc:
                    raise DriverError(f"console write failed: {exc.get_error_message()}", self.uuid) from exc
            if sent == _EAGAIN:
                time.sleep(0.01)  # back off: the pty's buffer is full (keys are typed, not streamed)
                continue
            view = view[sent:]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._ended:
                self._abort()
        self._out.put(b"")
