"""A real `routecast serve` (API key set, fake engine, inline executor) and one headless
Debian Chromium driven by Selenium for the web-app tests of this folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_e2e import KEY, Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The service with one API key; solves run in its own threads (fast start)."""
    root = tmp_path_factory.mktemp("web")
    (root / "pids").mkdir()
    srv = Server(root / "data", root / "pids", extra_env={
        "ROUTECAST_EXECUTOR": "inline", "ROUTECAST_SCENARIO_WORKERS": "2"})
    srv.data_dir.mkdir()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Screenshots go to a temporary folder (printed, never committed)."""
    folder = Path(os.environ.get("ROUTECAST_WEB_SCREENSHOTS") or tempfile.mkdtemp(
        prefix="routecast-web-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(downloads: Path) -> Iterator[object]:
    """Headless Chromium from Debian's packages; fails (never skips) when it is missing."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: install Debian's chromium and "
                    "chromium-driver (`make test` does it with apt-get)")
    profile = tempfile.mkdtemp(prefix="routecast-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


__all__ = ["KEY"]
