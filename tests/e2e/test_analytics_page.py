"""class.html as a browser shows it: whole, on a desktop and a phone's width, every section and
plot drawn, and what students wrote shown as text."""

from __future__ import annotations

import shutil
import time

import pytest

from autograder.output import analytics
from autograder.output.results import Result, TestResult

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
EVIL = "<b id=evil>x</b>"
HEADINGS = ["Scores", "Tests, hardest first", "Mistakes", "Statuses"]


def _browser(tmp_path, width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / f'profile{width}'}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    results = []
    for i in range(60):
        wrong = i % 4 == 0
        output = f"On input 1: wrong\nLikely mistake: it sums {EVIL}." if wrong else ""
        tests = [
            TestResult("detect: values", "detect", 0.0 if wrong else 2.0, 2.0, output),
            TestResult("generate: shape", "generate", float(i % 3 != 0), 1.0, "" if i % 3 else "bad shape"),
        ]
        results.append(Result(f"student{i:02d}", tests, status="time limit" if i == 7 else "graded"))
    results.append(Result(EVIL, [TestResult("detect: values", "detect", 2.0, 2.0)]))
    analytics.record_changes(results, folder, when="before")
    results[1].tests[0].score = 0.0  # a regrade takes a test's points: recorded, and shown
    analytics.write_class(folder, results, html_dir=folder, sources={}, stubs={})
    return folder / analytics.PAGE


@pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="chromium and chromedriver are not installed (setup.sh)"
)
@pytest.mark.parametrize("width,height", [(1300, 2000), (390, 844)])
def test_class_page_renders_whole_on_a_desktop_and_a_phone(page, tmp_path, width, height):
    driver = _browser(tmp_path, width, height)
    try:
        driver.get(page.as_uri())
        deadline = time.monotonic() + 20
        while (
            driver.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        headings = driver.execute_script(
            "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)"
        )
        assert headings[:4] == HEADINGS and any(
            h.startswith("What the last regrade changed") for h in headings
        )
        bars = driver.execute_script(
            "return Array.from(document.querySelectorAll('svg.histogram rect'))"
            ".filter(r => r.getBoundingClientRect().height > 0 && r.getBoundingClientRect().width > 0).length"
        )
        assert bars >= 5  # the class's scores and each function's: drawn, with a size
        plots = driver.execute_script("return document.querySelectorAll('svg.histogram').length")
        assert plots == 3
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, "the page is wider than the screen"
        body = driver.execute_script("return document.body.innerText")
        assert "it sums " + EVIL in body and "student01" in body  # the mistake, and the regrade's change
        assert driver.execute_script("return document.getElementById('evil')") is None
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
