"""The HTML feedback page, opened in a real (headless) Chromium: it renders offline, without console
errors, with both loss plots and the attention patterns."""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import SUBMISSIONS

from autograder.html_report import render, write_html
from autograder.submission import load

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def page(grader, tmp_path_factory):
    result = grader.grade(load(SUBMISSIONS / "wrong" / "first_row0.py"))
    path = tmp_path_factory.mktemp("html") / "student.html"
    write_html(result, result.raw, grader.reference, path)
    return path


def test_page_is_self_contained(page):
    text = page.read_text()
    # Every script inline, nothing loaded from elsewhere (the bundles mention URLs they never fetch here).
    assert "<script src=" not in text and 'src="http' not in text and "<link" not in text
    assert "first_attn_detector: planted heads just above and just below the threshold" in text
    assert "Likely mistake: it reads the first row" in text


def test_page_without_a_student_plot_says_why(grader):
    result = grader.grade(load(SUBMISSIONS / "wrong" / "rac_order_logits_tokens_cache.py"))
    assert "No plot:" in render(result, result.raw, grader.reference)


@pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="chromium and chromedriver are not installed (setup.sh)"
)
def test_page_renders_in_chromium_without_errors(page, tmp_path):
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
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1300,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(page.as_uri())
        deadline = time.monotonic() + 30
        script = """return [document.querySelectorAll('.js-plotly-plot .main-svg').length,
                            Array.from(document.querySelectorAll('[id^="circuits-vis-"]'))
                                 .filter(e => e.children.length > 0).length]"""
        while time.monotonic() < deadline:
            plots, views = driver.execute_script(script)
            if plots >= 2 and views >= 1:
                break
            time.sleep(0.5)
        assert plots >= 2, "the two loss plots did not render"
        assert views >= 1, "no attention view rendered"
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
        driver.save_screenshot(str(tmp_path / "report.png"))
    finally:
        driver.quit()
