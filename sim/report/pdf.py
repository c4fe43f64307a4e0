"""``report.pdf``: the report printed to A4 by a headless Chromium, when one is installed.

``report.html ──print_pdf──▶ report.pdf`` (the page's own print CSS lays it out; no
header or footer lines of the browser's). Chromium is looked for on ``PATH`` as
``chromium``, ``chromium-browser``, ``google-chrome`` or ``google-chrome-stable``
(Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sim.errors import OutputError

__all__ = ["BROWSERS", "find_chromium", "print_pdf"]

#: Executable names tried, in order.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Find a Chromium-family browser on ``PATH`` (None when there is none).

    Examples
    --------
    >>> find_chromium() is None or Path(find_chromium()).exists()
    True
    """
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: Path, pdf: Path, *, lang: str = "zh", timeout: float = 120.0) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium.

    Parameters
    ----------
    html
        The report.
    pdf
        The PDF to write (the caller makes it atomic).
    lang
        ``"zh"`` or ``"en"``: the language printed.
    timeout
        Seconds to wait for the browser.

    Returns
    -------
    pathlib.Path
        ``pdf``.

    Raises
    ------
    sim.errors.OutputError
        When no Chromium is installed, or it fails to print.
    """
    browser = find_chromium()
    if browser is None:
        raise OutputError(
            "--pdf: no Chromium found on PATH (tried " + ", ".join(BROWSERS) + "); install "
            "one (Debian: apt-get install chromium), or print report.html from any browser"
        )
    url = html.resolve().as_uri() + ("#en" if lang == "en" else "")
    with tempfile.TemporaryDirectory(prefix="parksim-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=10000",
            f"--print-to-pdf={pdf}",
            url,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise OutputError(
                f"--pdf: {browser} did not finish printing within {timeout:.0f} s; print "
                "report.html from a browser instead"
            ) from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        detail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise OutputError(
            f"--pdf: {browser} failed to print {html} (exit {done.returncode}: {detail[0]}); "
            "print report.html from a browser instead"
        )
    return pdf
