"""Real Chromium for the browser tests: a Selenium driver shared by the session, and axe-core.

Debian's `chromium` and `chromium-driver` packages are used as they are. The driver's path is
given explicitly, so Selenium Manager never tries to download a browser or a driver.
A test module that uses its fixtures says so with `pytest_plugins = ["tests.browser"]`.
Its assertions carry their own messages, so pytest need not rewrite them: PYTEST_DONT_REWRITE
(which also spares the warning that it was imported before pytest could).
"""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_CHROMIUM = "Chromium is not installed: apt-get install -y chromium chromium-driver"

NODE_MODULES = Path(settings.BASE_DIR) / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
INSTALL_NODE_TOOLS = (
    "{} is missing: install the npm test tools with `npm ci --no-audit --no-fund` "
    "(`make test` does it when npm is installed; on Debian: apt-get install -y nodejs npm)"
)

# Keep Chromium from reaching anything but the test server: no updates, sync or field trials.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=en-GB",
]

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

# The WCAG 2.2 A and AA rules that axe checks automatically, plus its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
def chromium(live_server) -> Iterator:
    """One headless Chromium for the whole session (starting one takes about a second).

    It depends on `live_server` so that it quits first: the server's threads for Chromium's
    open connections then finish while the server still shares its database connection.
    """
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(INSTALL_CHROMIUM)
    # Selenium reports usage statistics unless told not to; there is no network for it here.
    os.environ["SE_AVOID_STATS"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="neckinfo-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_script_timeout(30)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture
def browser(chromium, live_server):
    """The session's Chromium at desktop size and screen media, with the live server running.

    Requesting `live_server` makes the test transactional: content a test creates is
    committed, so the server's thread sees it, and every table is emptied after the test.
    """
    chromium.delete_all_cookies()
    use_viewport(chromium, DESKTOP)
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    return chromium


def use_viewport(driver, viewport: dict) -> None:
    """Lay pages out at this size, as a phone (touch, device pixels) or a desktop would."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", viewport)
    driver.execute_cdp_cmd(
        "Emulation.setTouchEmulationEnabled", {"enabled": viewport["mobile"], "maxTouchPoints": 5}
    )


def axe_violations(driver) -> list[dict]:
    """Run axe-core on the page in the browser and return its violations."""
    if not AXE_SCRIPT.exists():
        pytest.skip(INSTALL_NODE_TOOLS.format("node_modules/axe-core"))
    driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    outcome = driver.execute_async_script(
        """
        const [tags, done] = arguments;
        axe.run(document, {runOnly: {type: "tag", values: tags}})
          .then((results) => done({violations: results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
          }))}))
          .catch((error) => done({error: String(error)}));
        """,
        AXE_TAGS,
    )
    if "error" in outcome:
        raise AssertionError(f"axe-core failed to run: {outcome['error']}")
    return outcome["violations"]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {' '.join(map(str, node['target']))}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"      {detail}")
    return "\n".join(lines)


def assert_no_axe_violations(driver) -> None:
    violations = axe_violations(driver)
    assert not violations, (
        f"axe-core found {len(violations)} kind(s) of accessibility problem on "
        f"{driver.current_url}:\n{describe_violations(violations)}"
    )


def signed_in(browser, live_server, user) -> None:
    """`browser` signed in as `user`, with the session cookie Django's own sign-in sets, and
    nothing an earlier test typed kept in its local storage."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    browser.get(live_server.url + "/robots.txt")  # a page of the site, to set its cookie on
    browser.execute_script("localStorage.clear()")
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }
    )
