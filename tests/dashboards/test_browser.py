"""End to end in a real browser: ``baytwin dashboard`` as a subprocess on a free local port,
Chromium driven by Playwright through every page, the figures on screen checked against the
files behind them, and a screenshot of each page kept (in $BAYTWIN_ARTIFACTS, else the test's
temporary folder; the path is printed)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (Debian package chromium; "
                                                              "scripts/system-packages.sh installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"baytwin dashboard exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no dashboard at {url} after {seconds:.0f} s")


@pytest.fixture(scope="module")
def dashboard(runs_root: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "baytwin", "dashboard", "--runs", str(runs_root),
                               "--port", str(port)], cwd=REPO, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()  # the command stops its Streamlit server with it
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the group this test started, nothing else
            server.wait()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("BAYTWIN_ARTIFACTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the dashboard pages in {folder}")
    return folder


@pytest.fixture(scope="module")
def browser_page(dashboard: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def open_page(page, url: str, ready_text: str, shot: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_text(ready_text, exact=False).first.wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shot), full_page=True)


def table_rows(page, index: int) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """An ``st.table`` as {first cell: other cells}, read from the page's HTML."""
    table = page.locator("[data-testid='stTable'] table").nth(index)
    table.wait_for()
    rows = {}
    for row in table.locator("tr").all():
        cells = [text.strip() for text in row.locator("th, td").all_inner_texts()]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def number(text: str) -> float | None:
    return None if text == "–" else float(text.replace(",", ""))


def test_home_lists_what_it_found(browser_page, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    open_page(browser_page, dashboard, "OCR evaluations", artifacts / "0-home.png")
    body = browser_page.locator("body").inner_text()
    for page in ("Scenario comparison", "Sweep explorer", "OCR QA", "Live operations"):
        assert page in body
    assert (artifacts / "0-home.png").stat().st_size > 10_000


def test_scenario_comparison_shows_the_runs_figures(browser_page, dashboard: str, artifacts: Path,  # type: ignore[no-untyped-def]
                                                     demo_dir: Path) -> None:
    open_page(browser_page, f"{dashboard}/Scenario_comparison", "What differs between the scenarios",
              artifacts / "1-scenario-comparison.png")
    throughput, outcomes = table_rows(browser_page, 0), table_rows(browser_page, 1)
    runs = ["workplace-garage-baseline", "workplace-garage-enforced"]
    assert throughput.pop("figure") == outcomes.pop("figure") == [f"demo/{run}" for run in runs]
    for column, run in enumerate(runs):
        summary = json.loads((demo_dir / run / "summary.json").read_text())
        for name in ("served", "blocked", "energy_kwh", "turnover_per_bay_day"):
            assert number(throughput[name][column]) == pytest.approx(summary[name], abs=0.0006), (run, name)
        for name in ("violations_detected", "false_penalties", "idle_fee_revenue"):
            assert number(outcomes[name][column]) == pytest.approx(summary[name], abs=0.0006), (run, name)
    assert "policy.idle_fee.enabled" in browser_page.locator("body").inner_text() or \
        browser_page.get_by_text("settings differ").count() == 1


def test_sweep_explorer_shows_the_best_policy(browser_page, dashboard: str, artifacts: Path,  # type: ignore[no-untyped-def]
                                              sweep_dir: Path) -> None:
    open_page(browser_page, f"{dashboard}/Sweep_explorer", "Best:", artifacts / "2-sweep-explorer.png")
    body = browser_page.locator("body").inner_text()
    assert "24 runs in 8 cells" in body
    import pandas as pd

    cells = pd.read_parquet(sweep_dir / "cells.parquet")
    best = cells.loc[cells.mean_occupied_bays_mean.idxmin()]  # default: fewest occupied bays
    assert f"mean_occupied_bays {best.mean_occupied_bays_mean:,.3f}" in body


def test_ocr_qa_shows_the_reports_figures(browser_page, dashboard: str, artifacts: Path,  # type: ignore[no-untyped-def]
                                          ocr_dir: Path) -> None:
    open_page(browser_page, f"{dashboard}/OCR_QA", "Misread crops", artifacts / "3-ocr-qa.png")
    report = json.loads((ocr_dir / "report.json").read_text())
    body = browser_page.locator("body").inner_text()
    assert f"{report['exact_plate_accuracy']:.1%}" in body
    assert f"{report['voting']['gain'] * 100:+.1f} points" in body
    assert browser_page.locator("img[alt], [data-testid='stImage'] img").count() >= len(
        list((ocr_dir / "misreads").glob("*.png")))


def test_live_operations_opens_on_this_machine_without_a_login(browser_page, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    open_page(browser_page, f"{dashboard}/Live_operations", "No live site",
              artifacts / "4-live-operations.png")
    assert browser_page.get_by_text("Log in").count() == 0
