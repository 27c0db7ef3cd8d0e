"""Browser test helpers: headless Debian Chromium through Selenium, screenshots, and axe-core checks."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement

#: Screenshots and accessibility reports land here (CI keeps them as test artefacts).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: axe-core impacts that fail a test; "minor" and "moderate" findings are reported in the artefacts only.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def start_chromium(
    user_data_dir: Path, *, width: int = 1400, height: int = 1000, javascript: bool = True
) -> webdriver.Chrome:
    """Debian's Chromium, headless, with nothing that would reach the network on its own (and, to test
    the plain-form fallbacks, without JavaScript)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never try to download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--window-size={width},{height}", f"--user-data-dir={user_data_dir}",
    ):  # fmt: skip
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save the page as `test-artifacts/<name>.png` and return the path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def accessibility_violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2 A and AA rules: labels, contrast, names, landmarks...) on the current page and
    return the violations whose impact is serious or critical."""
    axe = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    driver.execute_script(axe)
    result: dict[str, Any] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done({violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))}))"
        ".catch(e => done({error: String(e)}));"
    )
    if "error" in result:
        raise RuntimeError(f"axe-core failed: {result['error']}")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def gone(element: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """A wait condition: `element` left the document (the next page replaced it). Selenium's `staleness_of`
    raises instead when ChromeDriver answers "Node with given id does not belong to the document", which it
    does for a node of the page that was just replaced, now and then."""

    def check(_driver: webdriver.Chrome) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check
