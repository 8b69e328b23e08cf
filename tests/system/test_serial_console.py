"""The serial console of a real TCG guest in a real browser: the serial proxy opens the guest's pty through
libvirt (virDomainOpenConsole), xterm.js shows the end of its console log (the boot marker) and then the
live port, and a command typed in the terminal is answered by the guest's shell. os-getConsoleOutput keeps
working beside it (virtlogd logs the pty)."""
import os
import time
from pathlib import Path

import pytest
import websocket

from tests.integration.browser import chromium, login, terminal_text
from tests.integration.stack import ADMIN_PASSWORD

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def guest(libvirt_stack):
    libvirt_stack.stack.start_serial_proxy()
    server = libvirt_stack.boot("serial-vm")
    libvirt_stack.wait_console(server["id"], libvirt_stack.guest.marker)
    yield server["id"]
    libvirt_stack.stack.delete(f"/compute/v2.1/servers/{server['id']}")
    libvirt_stack.stack.wait_gone(server["id"], timeout=60)


def test_the_guest_shell_answers_in_the_browser_terminal(libvirt_stack, guest):
    from selenium.webdriver.common.by import By

    ls = libvirt_stack
    browser = chromium()
    try:
        login(browser, ls.stack.url(""), "admin", ADMIN_PASSWORD)
        browser.get(ls.stack.url(f"/admin/console/servers/{guest}/serial/"))
        ls.stack.wait_until(lambda: ls.guest.marker in terminal_text(browser), timeout=30, what="the boot marker in the terminal")
        ls.stack.wait_until(lambda: browser.find_element(By.ID, "console-status").text == "connected", timeout=30,
                 what="the websocket")
        # $((6*7)) is computed by the guest's shell: the typed line shows the expression, only the answer "42"
        browser.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys("echo answer-$((6*7))-done\n")
        ls.stack.wait_until(lambda: "answer-42-done" in terminal_text(browser), timeout=60, what="the guest shell's answer")
        if os.environ.get("CONSOLE_SCREENSHOT_DIR"):  # the README's picture
            browser.save_screenshot(str(Path(os.environ["CONSOLE_SCREENSHOT_DIR"]) / "console-serial-qemu.png"))
    finally:
        browser.quit()
    # virtlogd logged the same exchange: os-getConsoleOutput still sees what the guest printed
    ls.wait_console(guest, "answer-42-done", timeout=30)


def test_the_websocket_carries_the_pty_both_ways(libvirt_stack, guest):
    ls = libvirt_stack
    r = ls.stack.action(guest, {"os-getSerialConsole": {"type": "serial"}})
    assert r.status_code == 200, r.text
    ws = websocket.create_connection(r.json()["console"]["url"], timeout=30, subprotocols=["binary"])
    try:
        ws.send_binary(b"echo ws-$((40+2))\r")
        seen, deadline = b"", time.monotonic() + 60
        while b"ws-42" not in seen and time.monotonic() < deadline:
            seen += ws.recv()
        assert b"ws-42" in seen, seen[-500:]
    finally:
        ws.close()
