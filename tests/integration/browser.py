"""A headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for the console's tests."""
from __future__ import annotations

import shutil

import pytest

TERMINAL_TEXT = """
const b = window.consoleTerminal && window.consoleTerminal.buffer.active;
if (!b) { return ""; }
let s = "";
for (let i = 0; i < b.length; i++) { s += b.getLine(i).translateToString(true) + "\\n"; }
return s;
"""


def chromium():
    """A new headless Chromium; fails the test (not skips) when the browser is missing: `make test`
    installs it with apt."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail("the browser tests need apt's chromium and chromium-driver (make test installs them)",
                    pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000",
                "--disable-gpu"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def login(browser, base_url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base_url + "/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "cp-panels"), "no overview after login")


def terminal_text(browser) -> str:
    return browser.execute_script(TERMINAL_TEXT)
