"""report.html in a real browser: Debian's headless Chromium driven through Selenium.

``make test`` installs ``chromium`` and ``chromium-driver`` when they are missing. The
report of a small Monte Carlo run of the tiny scenario is opened from disk and checked
as a reader would see it: nothing logged to the console, no request other than the
file itself and its inline ``data:`` URLs, every figure drawn at a non-zero size, the
Chinese text set in the embedded Noto Sans CJK SC (the browser's own record of the
font it used, and rendered widths equal to the font's advance widths — a fallback
font or tofu boxes would differ), the language toggle, and the PDF
``parksim report --pdf`` prints (A4, one section per page start, every figure).
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main
from tests.conftest import TINY_TOML, write_tiny_site

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = "Chromium is missing; `make test` installs Debian's chromium and chromium-driver"


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    write_tiny_site(folder / "site.gpkg")
    (folder / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    out = folder / "out"
    argv = ["run", str(folder / "tiny.toml"), "--out", str(out), "-q", "--draws", "20"]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM is not None and DRIVER is not None, MISSING
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,1400"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, path: Path) -> list[str]:
    """Open ``path``; return every URL the page asked for (from the DevTools log)."""
    browser.get_log("performance")  # drop earlier pages' entries
    browser.get_log("browser")
    browser.get(path.resolve().as_uri())
    browser.execute_script("return document.fonts.ready")
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _foreign(urls: list[str], page: Path) -> list[str]:
    own = page.resolve().as_uri()
    return [u for u in urls if not (u.startswith("data:") or u.split("#")[0] == own)]


def test_the_request_check_sees_an_external_request(browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text('<img src="http://192.0.2.1/x.png"><p>x</p>', encoding="utf-8")
    assert _foreign(_open(browser, page), page) == ["http://192.0.2.1/x.png"]


def test_report_makes_no_request_and_logs_nothing(browser: Any, run_out: Path) -> None:
    page = run_out / "report.html"
    urls = _open(browser, page)
    assert page.resolve().as_uri() in urls  # the log works
    assert _foreign(urls, page) == []
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    html = page.read_text(encoding="utf-8")
    # Nothing outside the file is even named: every src/href is inline or an anchor.
    for reference in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert reference.startswith(("data:", "#")), reference


def test_every_figure_is_drawn(browser: Any, run_out: Path) -> None:
    _open(browser, run_out / "report.html")
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure img')).map(i => "
        "[i.complete, i.naturalWidth, i.getBoundingClientRect().width, "
        "i.getBoundingClientRect().height])"
    )
    figures = sorted(p.stem for p in (run_out / "figures").glob("*.png"))
    assert len(sizes) == len(figures) >= 11  # the tiny run's maps, charts and fan charts
    for complete, natural, width, height in sizes:
        assert complete and natural > 0 and width > 100 and height > 50
    kinds = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure')).map(f => "
        "[f.id, f.querySelector('img').src.slice(5, 18)])"
    )
    vector = {p.stem for p in (run_out / "figures").glob("*.svg")}
    assert {"floor_vs_target", "floor_fan_chart"} <= vector  # charts as SVG, maps as PNG
    for figure, mime in kinds:
        stem = figure.removeprefix("figure-")
        assert mime == ("image/svg+xml" if stem in vector else "image/png;bas"), figure


def _embedded_font(html: str) -> Any:
    from fontTools.ttLib import TTFont

    match = re.search(r'url\("data:font/woff;base64,([^"]+)"\)', html)
    assert match, "no embedded font"
    return TTFont(io.BytesIO(base64.b64decode(match[1])))


def test_chinese_renders_in_the_embedded_cjk_font(browser: Any, run_out: Path) -> None:
    page = run_out / "report.html"
    _open(browser, page)
    # The browser's own account of the fonts it drew the title with.
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})
    root = browser.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": "h2 .zh"})
    used = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    assert [(f["familyName"], f["isCustomFont"]) for f in used["fonts"]] == [
        ("Noto Sans CJK SC", True)
    ]
    # Rendered widths equal the embedded font's advances (a fallback or tofu would not).
    font = _embedded_font(page.read_text(encoding="utf-8"))
    cmap, advances, em = font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm
    for text in ("目标与预测园区", "parksim 2016"):
        assert all(ord(ch) in cmap for ch in text)
        expected = sum(advances[cmap[ord(ch)]][0] for ch in text) / em * 100
        width = browser.execute_script(
            "const s = document.createElement('span');"
            "s.style.cssText = arguments[1];"
            "s.textContent = arguments[0]; document.body.appendChild(s);"
            "const w = s.getBoundingClientRect().width; s.remove(); return w;",
            text,
            "font: 100px ParksimSans; font-kerning: none; white-space: pre; position: absolute",
        )
        assert width == pytest.approx(expected, abs=1.0), text
    assert browser.execute_script("return document.fonts.check('16px ParksimSans', '青岛')")


def _visible(browser: Any, selector: str) -> bool:
    return bool(
        browser.execute_script(
            "return getComputedStyle(document.querySelector(arguments[0])).display !== 'none'",
            selector,
        )
    )


def test_language_toggle(browser: Any, run_out: Path) -> None:
    _open(browser, run_out / "report.html")
    html = browser.find_element("tag name", "html")
    assert html.get_attribute("lang") == "zh-CN"
    assert _visible(browser, "h2 .zh") and not _visible(browser, "h2 .en")
    button = browser.find_element("id", "lang-toggle")
    assert button.text == "English"
    button.click()
    assert html.get_attribute("lang") == "en" and button.text == "中文"
    assert _visible(browser, "h2 .en") and not _visible(browser, "h2 .zh")
    assert "Headline" in browser.find_element("css selector", "#headline h2").text
    button.click()
    assert _visible(browser, "h2 .zh") and html.get_attribute("data-lang") == "zh"


def test_pdf_is_a4_with_a_page_per_section(run_out: Path) -> None:
    assert CHROMIUM is not None, MISSING
    from pypdf import PdfReader

    assert main(["report", str(run_out), "--pdf", "-q"]) == 0
    pages = PdfReader(run_out / "report.pdf").pages
    for page in pages:
        assert float(page.mediabox.width) == pytest.approx(595.3, abs=1)
        assert float(page.mediabox.height) == pytest.approx(841.9, abs=1)
    texts = [page.extract_text() for page in pages]
    # Each major section starts a page, in the report's order, in Chinese.
    headings = [
        "园区：规划期末",
        "不确定性",
        "图件",
        "审查结论",
        "假设及其来源",
        "数据来源与可追溯性",
    ]
    starts = [next(i for i, t in enumerate(texts) if t.lstrip().startswith(h)) for h in headings]
    assert starts == sorted(starts) and starts[0] == 1
    figures = len(list((run_out / "figures").glob("*.png")))
    for k in range(1, figures + 1):  # every figure's caption is printed, once
        assert sum(f"图 {k}\u3000" in t for t in texts) == 1, k
    assert len(pages) >= len(headings) + figures // 2
    assert "English" not in texts[0]  # the toggle is not printed


def test_language_toggle_switches_the_audit_findings(browser: Any, run_out: Path) -> None:
    """Each finding reads in Chinese by default and as its English sentence after the toggle."""
    _open(browser, run_out / "report.html")
    audit = json.loads((run_out / "audit.json").read_text(encoding="utf-8"))["findings"]
    cells = browser.find_elements("css selector", "#audit td.finding")
    assert len(cells) == len(audit) > 0
    chinese = [cell.text for cell in cells]
    for text in chinese:  # shown: the Chinese wording, with no English sentence beside it
        assert "｜" in text and ("无差距" in text or "存在差距" in text), text
    assert not any(f["message"] in " ".join(chinese) for f in audit)
    note = browser.find_element("css selector", "#audit p.note").text
    assert "英文版" in note
    browser.find_element("id", "lang-toggle").click()
    english = [cell.text for cell in browser.find_elements("css selector", "#audit td.finding")]
    assert sorted(english) == sorted(f["message"] for f in audit)
    assert not any("｜" in text for text in english)
    scope = browser.find_element("css selector", "#audit tbody td:nth-child(2)").text
    assert scope and not any("\u4e00" <= ch <= "\u9fff" for ch in scope)  # park names in English
    browser.find_element("id", "lang-toggle").click()
    again = [cell.text for cell in browser.find_elements("css selector", "#audit td.finding")]
    assert again == chinese
