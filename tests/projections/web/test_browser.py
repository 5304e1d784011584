"""The web page in a real browser: search, open an entity, change the as-of date, record a
negotiation through the form. On failure, screenshots go to ``tests/artifacts/``."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.browser import ROOT, chromium, missing_browser, server
from cli import main
from events_log.bundled import BUNDLED_DATASET

ARTIFACTS = ROOT / "tests" / "artifacts"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def browser() -> Iterator[Any]:
    reason = missing_browser()
    if reason is not None:
        if on_ci():
            pytest.fail(f"the browser test must run on CI, but {reason}")
        pytest.skip(f"no browser for this test: {reason}")
    with chromium() as driver:
        yield driver


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    assert main(["init", "--empty", "--store", str(path)], stdout=io.StringIO()) == 0
    assert main(["import", str(BUNDLED_DATASET), "--store", str(path)], stdout=io.StringIO()) == 0
    return path


class Screenshots:
    def __init__(self, driver: Any, name: str) -> None:
        self.driver = driver
        self.name = name
        self.step = 0

    def take(self, label: str) -> None:
        self.step += 1
        ARTIFACTS.mkdir(exist_ok=True)
        stem = ARTIFACTS / f"{self.name}-{self.step:02d}-{label}"
        self.driver.save_screenshot(f"{stem}.png")
        stem.with_suffix(".html").write_text(self.driver.page_source, encoding="utf-8")


def test_search_open_change_the_date_and_record_a_negotiation(browser: Any, store: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 60)  # generous: CI shares two cores with other work
    shots = Screenshots(browser, "browser")
    with server(store) as base:
        try:
            browser.get(base + "/")
            search = browser.find_element(By.ID, "search")
            search.send_keys("Norinco")
            search.submit()
            wait.until(ec.staleness_of(search))  # the answer's page, not the list it replaces
            link = wait.until(
                ec.element_to_be_clickable((By.LINK_TEXT, "China North Industries Corp."))
            )
            assert len(browser.find_elements(By.CSS_SELECTOR, "a.entity")) == 1
            link.click()
            wait.until(ec.text_to_be_present_in_element((By.ID, "entity-name"), "China North"))

            as_of = browser.find_element(By.ID, "as-of")
            as_of.clear()
            as_of.send_keys("2005")
            as_of.submit()
            wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "sanctioned"))
            assert browser.find_element(By.ID, "status").text == "sanctioned"
            as_of = browser.find_element(By.ID, "as-of")
            as_of.clear()
            as_of.send_keys("2010")
            as_of.submit()
            wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "lapsed"))
            assert browser.find_element(By.ID, "status").text == "lapsed"
            assert "2010" in browser.current_url

            history = browser.find_element(By.ID, "history").text
            assert "Talks at the Lake Geneva forum" not in history
            form = browser.find_element(By.ID, "append")
            Select(form.find_element(By.NAME, "kind")).select_by_value("negotiation")
            form.find_element(By.NAME, "date").send_keys("2013-12")
            form.find_element(By.NAME, "source").send_keys("Desk note")
            form.find_element(By.NAME, "forum").send_keys("Lake Geneva forum")
            form.find_element(By.NAME, "summary").send_keys("Talks at the Lake Geneva forum")
            # First a refusal, shown in the page: a date that is no date.
            form.find_element(By.NAME, "source-date").send_keys("2013-13-01")
            form.find_element(By.ID, "append-submit").click()
            wait.until(ec.text_to_be_present_in_element((By.ID, "append-result"), "Refused"))
            assert "2013-13-01" in browser.find_element(By.ID, "append-result").text
            form.find_element(By.NAME, "source-date").clear()
            form.find_element(By.ID, "append-submit").click()
            wait.until(ec.text_to_be_present_in_element((By.ID, "history"), "Lake Geneva forum"))
            entries = browser.find_elements(
                By.CSS_SELECTOR, "#history li[data-type='negotiation_mentioned']"
            )
            assert any("Talks at the Lake Geneva forum" in e.text for e in entries)
            assert browser.find_element(By.ID, "status").text == "lapsed"
        except BaseException:
            shots.take("failure")
            raise
