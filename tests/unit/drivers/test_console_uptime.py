"""The small pure helpers drivers share: Nova's console tail and the `uptime` line."""
import re

from hypervisors.console import console_tail
from hypervisors.uptime import uptime_line


def test_console_tail_cuts_as_nova_does():
    log = "one\ntwo\nthree\n"
    assert console_tail(log, None) == log
    assert console_tail(log, 0) == ""
    # Nova splits on newlines and keeps the last N pieces: Tempest counts output.split("\n") == N.
    assert console_tail(log, 3) == "two\nthree\n" and len(console_tail(log, 3).split("\n")) == 3
    assert console_tail(log, 99) == log


def test_uptime_line_has_procps_shape():
    line = uptime_line(93 * 86400 + 18 * 3600 + 25 * 60)
    assert re.fullmatch(r" \d\d:\d\d:\d\d up 93 days, 18:25,  0 users,  load average: [\d.]+, [\d.]+, [\d.]+", line)
    assert " up 5 min, " in uptime_line(300) and " up 1 day, 0 min, " in uptime_line(86400 + 10)
