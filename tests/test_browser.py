"""The SQLite export served by Datasette, as a person sees it in a real headless browser.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them) and the test group's
datasette and selenium. Screenshots go to test-output/browser/ (ignored by git).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import desertion_data as dd
from conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
SHOTS = ROOT / "test-output" / "browser"


def _first(paths: tuple[str, ...], name: str) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None) or shutil.which(name)


def _unavailable(why: str) -> None:
    message = f"BROWSER TEST NOT RUN: {why}. Install it: apt-get install -y chromium chromium-driver"
    print(f"\n{'!' * 100}\n{message}\n{'!' * 100}", file=sys.stderr)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (it is in the test dependency group)")
    binary, driver_path = _first(CHROMIUM, "chromium"), _first(DRIVER, "chromedriver")
    if not binary or not driver_path:
        _unavailable(f"no {'chromium' if not binary else 'chromedriver'} found")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Datasette serving a fresh export on a free loopback port; yields its base address."""
    pytest.importorskip("datasette", reason="datasette is in the test dependency group")
    folder = tmp_path_factory.mktemp("datasette")
    db = folder / "desertion.db"
    dd.export("sqlite", db)
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db),
        "--metadata",
        str(folder / "desertion.metadata.json"),
    ]
    log = (folder / "datasette.log").open("w")
    proc = subprocess.Popen([*cmd, "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"datasette exited: {(folder / 'datasette.log').read_text()}")
                time.sleep(0.25)
        else:
            pytest.fail("datasette did not answer within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_a_journalist_browses_figures_sources_facets_and_a_canned_query(browser, site):
    from selenium.webdriver.common.by import By

    figures, sources = dd.load("figures"), dd.load("sources")
    desc = dd.descriptor()

    # the figures table: its title, description and row count as Datasette shows them
    browser.get(f"{site}/desertion/figures")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Figures"
    assert f"{len(figures)} rows" in browser.title
    figures_desc = next(r for r in desc["resources"] if r["name"] == "figures")["description"]
    assert figures_desc[:40] in browser.page_source
    _shot(browser, "1-figures")

    # a figure's source link leads to its source's row
    link = browser.find_element(By.CSS_SELECTOR, "td.col-source_id a")
    source_id = link.text
    link.click()
    assert browser.current_url.endswith(f"/desertion/sources/{source_id}")
    url = sources.set_index("source_id").loc[source_id, "url"]
    assert url in browser.find_element(By.TAG_NAME, "body").text
    _shot(browser, "2-source")

    # the country facet: click UA and see only Ukraine's figures
    browser.get(f"{site}/desertion/figures")
    facet = browser.find_element(By.CSS_SELECTOR, "#facet-country")
    facet.find_element(By.PARTIAL_LINK_TEXT, "UA").click()
    ua = int((figures["country"] == "UA").sum())
    assert "country=UA" in browser.current_url
    assert f"{ua} rows where country" in browser.find_element(By.TAG_NAME, "h3").text
    cells = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.col-country")}
    assert cells == {"UA"}
    _shot(browser, "3-country-facet")

    # a canned query: the disputed figures and the discrepancy that questions each
    browser.get(f"{site}/desertion")
    browser.find_element(By.LINK_TEXT, "Disputed figures and the discrepancy that questions each").click()
    assert browser.current_url.endswith("/desertion/disputed_figures")
    ids = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.col-figure_id")}
    assert ids == set(figures.loc[figures["disputed"].astype(bool), "figure_id"])
    kinds = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.col-kind")}
    assert kinds <= set(dd.load("discrepancies")["kind"]) and kinds
    _shot(browser, "4-disputed-figures")
