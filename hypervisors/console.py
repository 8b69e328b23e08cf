"""A guest's console: the tail of its log (`console_tail`), and the interactive serial console open
(`ConsoleStream`, what `ComputeDriver.open_console` returns).

Bytes in, bytes out, like a terminal line. A console proxy reads on one thread and writes from another,
so `read` and `write` may run concurrently, and `close` from any thread wakes a blocked `read`.
"""

from __future__ import annotations

import abc
import queue

from hypervisors.base import DriverError


def console_tail(text: str, lines: int | None) -> str:
    """The last `lines` pieces of `text` split on newlines, joined again: Nova's rule, so a log that ends with
    a newline gives lines-1 lines and an empty last piece (Tempest counts `output.split('\\n')`)."""
    if lines is None:
        return text
    return "\n".join(text.split("\n")[-lines:]) if lines > 0 else ""


class ConsoleStream(abc.ABC):
    @abc.abstractmethod
    def read(self, timeout: float | None = None) -> bytes | None:
        """The next bytes the guest printed, as soon as there are some.

        b"" means the console is closed: at once after `close` (what was unread is dropped), or once the
        guest went away and what it printed before was read. None means nothing arrived within `timeout` seconds (None waits for ever)."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Send `data` to the guest as typed keys. Writing to a closed console raises DriverError."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the console; the guest is left as it was. Closing twice succeeds."""

    def __enter__(self) -> "ConsoleStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class QueuedConsole(ConsoleStream):
    """A console whose output a producer (the guest, an event loop) puts on a queue; b"" on the queue ends it."""

    def __init__(self, banner: bytes = b"") -> None:
        self._out: queue.Queue[bytes] = queue.Queue()
        self._closed = False  # by close(): reads end at once
        if banner:
            self._out.put(banner)

    def read(self, timeout: float | None = None) -> bytes | None:
        if self._closed:
            return b""
        try:
            return self._out.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._out.put(b"")  # wakes a reader blocked in get()


class EchoConsole(QueuedConsole):
    """The fake driver's console: it prints `banner` (the guest's console log) on open, then echoes what
    is typed as a terminal in cooked mode would: a carriage return comes back as CR LF."""

    def write(self, data: bytes) -> None:
        if self._closed:
            raise DriverError("the console is closed")
        if data:
            self._out.put(data.replace(b"\r", b"\r\n"))
