"""A real uvicorn server over the session's Advisor, for API and browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver

from advisor.service import Advisor
from advisor.settings import Settings
from tests.web.browser import start_chromium
from tests.web.servers import serve
from web.app import create_app


@pytest.fixture(scope="session")
def server_url(settings: Settings, advisor: Advisor) -> Iterator[str]:
    with serve(create_app(settings, advisor=advisor)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """One headless Chromium per test module."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium"))
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
