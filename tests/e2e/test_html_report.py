"""The HTML feedback pages, opened in a real (headless) Chromium: they render offline, without
console errors, with both loss plots and the attention patterns, and every section of the page is in
the rendered DOM (not only in the file). The shared scripts are one file beside the pages."""

from __future__ import annotations

import shutil
import time

import pytest
from corpus import SUBMISSIONS, grade_source, variant

from autograder.output.html import ASSETS, write_html, write_index

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
HEADINGS = [
    "Problems in the file's top-level code",
    "Loss by position on repeated random tokens",
    "Attention patterns of the heads in question",
    "What the submission printed",
]


@pytest.fixture(scope="module")
def pages(grader, pack, tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    source = variant(pack, SUBMISSIONS / "induction_heads" / "wrong" / "first_row0.py")
    source = "from plotly_utils import imshow\nprint('hello <b>world</b>')\n" + source
    result = grade_source(grader, source, "student")
    write_html(result, grader, folder / "student.html")
    other = grade_source(
        grader,
        variant(pack, SUBMISSIONS / "induction_heads" / "wrong" / "rac_order_logits_tokens_cache.py"),
        "other",
    )
    write_html(other, grader, folder / "other.html")
    write_index([result, other], folder)
    return folder


def test_pages_share_one_script_file_and_load_nothing_from_elsewhere(pages):
    text = (pages / "student.html").read_text()
    assert f"<script src='{ASSETS}'></script>" in text and 'src="http' not in text and "<link" not in text
    assert (pages / ASSETS).exists() and len(text) < 1_500_000  # the bundles are in the shared file, once
    assert "first_attn_detector: planted heads just above and just below the threshold" in text
    assert "Likely mistake: it reads the first row" in text
    assert "hello &lt;b&gt;world&lt;/b&gt;" in text  # what a student printed is text, not markup


def test_page_without_a_student_plot_says_why(pages):
    assert "No plot:" in (pages / "other.html").read_text()


def test_index_lists_every_student(pages):
    text = (pages / "index.html").read_text()
    assert "href='student.html'" in text and "href='other.html'" in text and "imported with problems" in text


def _browser(tmp_path):
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
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="chromium and chromedriver are not installed (setup.sh)"
)
def test_page_renders_in_chromium_every_section_included(pages, tmp_path):
    driver = _browser(tmp_path)
    try:
        driver.get((pages / "student.html").as_uri())
        deadline = time.monotonic() + 30
        script = """return [document.querySelectorAll('.js-plotly-plot .main-svg').length,
                            Array.from(document.querySelectorAll('[id^="circuits-vis-"]'))
                                 .filter(e => e.children.length > 0).length]"""
        while time.monotonic() < deadline:
            plots, views = driver.execute_script(script)
            if plots >= 2 and views >= 2:
                break
            time.sleep(0.5)
        assert plots >= 2, "the two loss plots did not render"
        assert views >= 2, "the attention views did not both render"
        rendered = driver.execute_script(
            "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)"
        )
        assert rendered == HEADINGS  # nothing after an attention view is swallowed
        body = driver.execute_script("return document.body.innerText")
        assert "1.4: induction head" in body and "No module named 'plotly_utils'" in body
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
        driver.save_screenshot(str(tmp_path / "report.png"))
    finally:
        driver.quit()
