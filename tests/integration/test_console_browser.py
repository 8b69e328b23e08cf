"""The operator console in a real browser (headless Chromium, Selenium) against a live stack: log in,
read the overview and compare it with the API, watch it refresh without a reload, launch a server from the
form and watch it become ACTIVE, open the serial console of a fake guest and see what is typed echoed.

CONSOLE_SCREENSHOT_DIR=docs makes the run also save the README's pictures there."""
import os
import re
from pathlib import Path

import pytest

from .browser import chromium, login, terminal_text
from .stack import ADMIN_PASSWORD

STACK = {"hosts": ["node1", "node2"]}


@pytest.fixture(scope="module")
def live(api):
    api.start_serial_proxy()
    return api


@pytest.fixture
def browser(live):
    b = chromium()
    b.set_page_load_timeout(60)
    yield b
    b.quit()


def screenshot(browser, name: str) -> None:
    folder = os.environ.get("CONSOLE_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / name))


def read(browser, selector: str, attribute: str | None = None) -> str | None:
    """One element's text (or attribute), read in one script: htmx may swap the panels at any moment, so a
    found element can be stale before a second call reads it."""
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) { return null; }"
        "return arguments[1] ? e.getAttribute(arguments[1]) : e.textContent;", selector, attribute)


def figure(browser, name: str) -> int:
    text = read(browser, f"[data-figure='{name}']")
    return int(re.match(r"\s*(\d+)", text).group(1)) if text else 0  # "3up": the number, then its label


def test_the_overview_matches_the_api_and_refreshes_itself(live, browser):
    first = live.boot(name="ov-1").json()["server"]["id"]
    live.wait_status(first, "ACTIVE")
    login(browser, live.url(""), "admin", ADMIN_PASSWORD)

    services = live.get("/compute/v2.1/os-services").json()["services"]
    assert figure(browser, "hosts-up") == sum(s["state"] == "up" and s["status"] == "enabled" for s in services)
    assert figure(browser, "hosts-down") == sum(s["state"] == "down" for s in services) == 0
    servers = live.get("/compute/v2.1/servers/detail?all_tenants=1").json()["servers"]
    assert figure(browser, "status-ACTIVE") == sum(s["status"] == "ACTIVE" for s in servers) >= 1
    for hv in live.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]:
        row = f"tr[data-host='{hv['service']['host']}']"
        assert int(read(browser, f"{row} td[data-field='vcpu'] .cp-bar", "data-used")) == hv["vcpus_used"]
        assert int(read(browser, f"{row} td[data-field='ram'] .cp-bar", "data-used")) == hv["memory_mb_used"]
        assert int(read(browser, f"{row} td[data-field='disk'] .cp-bar", "data-used")) == hv["local_gb_used"]
    assert read(browser, "tr[data-host='node1'] td[data-field='queue']").strip() == "0"  # the worker keeps up
    screenshot(browser, "console-overview.png")

    # A change made through the API shows up by itself: htmx swaps the panels, the page is not reloaded.
    browser.execute_script("window.notReloaded = true;")
    active = figure(browser, "status-ACTIVE")
    second = live.boot(name="ov-2").json()["server"]["id"]
    live.wait_status(second, "ACTIVE")
    live.wait_until(lambda: figure(browser, "status-ACTIVE") == active + 1, timeout=30, what="the overview to refresh")
    assert browser.execute_script("return window.notReloaded === true;")


def test_a_server_launched_from_the_form_becomes_active(live, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    login(browser, live.url(""), "admin", ADMIN_PASSWORD)
    browser.find_element(By.LINK_TEXT, "Launch servers").click()
    browser.find_element(By.NAME, "name").send_keys("from-the-form")
    Select(browser.find_element(By.NAME, "flavor")).select_by_index(1)
    Select(browser.find_element(By.NAME, "image")).select_by_index(1)
    Select(browser.find_element(By.NAME, "project")).select_by_visible_text("admin")
    screenshot(browser, "console-launch.png")
    browser.find_element(By.NAME, "launch").click()

    def status():
        browser.refresh()
        return browser.find_element(By.CSS_SELECTOR, ".field-status .readonly").text
    live.wait_until(lambda: status() == "ACTIVE", timeout=60, interval=0.5, what="the launched server to be ACTIVE")
    assert "from-the-form" in browser.title or "from-the-form" in browser.page_source
    api_view = [s for s in live.get("/compute/v2.1/servers/detail").json()["servers"] if s["name"] == "from-the-form"]
    assert [s["status"] for s in api_view] == ["ACTIVE"]


def test_the_serial_console_of_a_fake_guest_echoes_what_is_typed(live, browser):
    from selenium.webdriver.common.by import By

    sid = live.boot(name="echo-vm").json()["server"]["id"]
    live.wait_status(sid, "ACTIVE")
    login(browser, live.url(""), "admin", ADMIN_PASSWORD)
    browser.get(live.url(f"/admin/console/servers/{sid}/serial/"))
    live.wait_until(lambda: "login:" in terminal_text(browser), timeout=30, what="the boot log in the terminal")
    assert browser.find_element(By.ID, "console-status").text == "connected"
    browser.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys("hello from chromium\n")
    live.wait_until(lambda: "hello from chromium" in terminal_text(browser), timeout=15, what="the echo")
    screenshot(browser, "console-serial.png")
