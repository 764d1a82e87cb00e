"""The page in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

Skipped, with the reason, when Selenium, Chromium or ChromeDriver is missing (an error instead
when ``CLASSICX_REQUIRE_BROWSER`` is set, as in CI). The screenshots go
to ``$CLASSICX_ARTIFACTS`` (default: the test's temporary directory).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .conftest import SERVE_EXTRA, encode, start_server, stop_server

pytest.importorskip("fastapi", reason=SERVE_EXTRA)
httpx = pytest.importorskip("httpx", reason=SERVE_EXTRA)
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (pip install selenium)")

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
NO_BROWSER = ("no headless browser: install Debian's chromium and chromium-driver "
              "(apt-get install chromium chromium-driver)")
if CHROMIUM is None or CHROMEDRIVER is None:
    # CI sets CLASSICX_REQUIRE_BROWSER=1 after installing them, so a missing browser fails there.
    if os.environ.get("CLASSICX_REQUIRE_BROWSER"):
        raise RuntimeError(NO_BROWSER)
    pytest.skip(NO_BROWSER, allow_module_level=True)

# Without the background-networking flags Chromium tries to reach Google's hosts at start.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-dev-shm-usage")


@pytest.fixture(scope="module")
def server(saved, gallery_dir):
    root, _ = saved
    process, url = start_server(root / "model", "--images", str(gallery_dir), "--report", str(root / "report.json"),
                                "--labels", str(root / "labels.txt"))
    yield url
    stop_server(process)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="classicx-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    path = Path(os.environ.get("CLASSICX_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_screenshot(driver, path: Path) -> None:
    """A screenshot as a 256-colour PNG (about a third of the size, for the README)."""
    from PIL import Image

    driver.save_screenshot(str(path))
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


def wait(driver, condition, timeout=60):
    return WebDriverWait(driver, timeout).until(condition)


def loaded_thumbnails(driver):
    images = driver.find_elements(By.CSS_SELECTOR, "#image-results img")
    done = driver.execute_script("return Array.from(arguments[0]).every(i => i.complete && i.naturalWidth > 0)",
                                 images)
    return images if images and done else False


def text_results(driver):
    items = driver.find_elements(By.CSS_SELECTOR, "#text-results li p")
    return [item.text for item in items] if items else False


def test_search_click_upload_and_fuse_in_a_browser(server, browser, artifacts, data, tmp_path):
    browser.get(server + "/")
    info = wait(browser, lambda d: "gallery" in d.find_element(By.ID, "model-info").text and
                d.find_element(By.ID, "model-info"))
    assert "recorded MAP text→image" in info.text and "chance level on this gallery" in info.text

    # Text -> images, typed and sent with the keyboard.
    box = browser.find_element(By.ID, "text-query")
    box.send_keys("a red circle on a striped background", Keys.ENTER)
    thumbnails = wait(browser, loaded_thumbnails)
    expected = httpx.post(server + "/api/search/text",
                          json={"text": "a red circle on a striped background", "k": 12}).json()["hits"]
    shown = [b.get_attribute("data-id") for b in browser.find_elements(By.CSS_SELECTOR, "#image-results button")]
    assert shown == [hit["id"] for hit in expected]
    assert len(thumbnails) == 12
    first_card = browser.find_element(By.CSS_SELECTOR, "#image-results li").text
    assert expected[0]["label_name"] in first_card and f"{expected[0]['score']:.3f}" in first_card
    browser.set_window_size(1280, 1300)  # the whole page with two rows of results, for the README
    save_screenshot(browser, artifacts / "serve_page.png")
    browser.set_window_size(1280, 1000)

    # Clicking a result image searches the texts with it.
    first = browser.find_element(By.CSS_SELECTOR, "#image-results button")
    clicked_id = first.get_attribute("data-id")
    first.click()
    texts = wait(browser, text_results)
    expected = httpx.post(server + "/api/search/gallery-image", json={"id": clicked_id, "k": 12}).json()["hits"]
    assert texts == [hit["text"] for hit in expected]
    assert browser.find_element(By.ID, "image-results").get_attribute("hidden") is not None
    assert clicked_id in browser.find_element(By.ID, "status").text

    # The same with the keyboard: back to images, then Enter on the second result.
    box.clear()
    box.send_keys("a blue star", Keys.ENTER)
    wait(browser, loaded_thumbnails)
    second = browser.find_elements(By.CSS_SELECTOR, "#image-results button")[1]
    second_id = second.get_attribute("data-id")
    second.send_keys(Keys.ENTER)
    wait(browser, lambda d: second_id in d.find_element(By.ID, "status").text and text_results(d))

    # Uploading an image searches the texts.
    query = tmp_path / "query.png"
    query.write_bytes(encode(data.test.images[6]))
    browser.find_element(By.ID, "image-file").send_keys(str(query))
    browser.find_element(By.CSS_SELECTOR, "#image-form button").click()
    wait(browser, lambda d: "query.png" in d.find_element(By.ID, "status").text)
    expected = httpx.post(server + "/api/search/image", files={"file": ("query.png", query.read_bytes())},
                          data={"k": "12"}).json()["hits"]
    assert text_results(browser) == [hit["text"] for hit in expected]

    # A fused query: text plus the gallery image last activated, image weight raised by keyboard.
    browser.find_element(By.ID, "fused-text").send_keys("a red circle")
    assert browser.find_element(By.ID, "fused-image-id").get_attribute("value") == second_id
    slider = browser.find_element(By.ID, "fused-weight")
    slider.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "fused-weight-value").text == "0.60"
    browser.find_element(By.ID, "fused-target").send_keys("images")
    browser.find_element(By.CSS_SELECTOR, "#fused-form button").click()
    wait(browser, lambda d: "Fused query" in d.find_element(By.ID, "status").text and loaded_thumbnails(d))
    expected = httpx.post(server + "/api/search/fused", data={"text": "a red circle", "image_id": second_id,
                                                               "weight": "0.6", "target": "images", "k": "12"})
    shown = [b.get_attribute("data-id") for b in browser.find_elements(By.CSS_SELECTOR, "#image-results button")]
    assert shown == [hit["id"] for hit in expected.json()["hits"]]

    # Errors reach the page as a message, not as a broken page.
    box.clear()
    box.send_keys("x" * 2100, Keys.ENTER)
    alert = wait(browser, lambda d: d.find_element(By.ID, "error").text and d.find_element(By.ID, "error"))
    assert "limit is 2000" in alert.text


def test_readable_on_a_narrow_window(server, browser, artifacts):
    browser.set_window_size(390, 900)
    try:
        browser.get(server + "/")
        box = wait(browser, EC.element_to_be_clickable((By.ID, "text-query")))
        box.send_keys("a green square", Keys.ENTER)
        wait(browser, loaded_thumbnails)
        width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways on a narrow window: {width}"
        save_screenshot(browser, artifacts / "serve_page_narrow.png")
    finally:
        browser.set_window_size(1280, 1000)
