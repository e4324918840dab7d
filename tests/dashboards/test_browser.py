"""End to end in a real browser: ``baytwin dashboard`` as a subprocess on a free local port, Chromium
driven by Playwright through every page as a person would (home page first, then the sidebar).

A page fails the test when the browser logs any error (a chart that refuses to draw logs one), when
a chart on it has no drawn marks (the chart's own SVG is empty), or when Streamlit shows an
exception. The figures on screen are checked against the files behind them, the objective switch
and the run picker are used, and a screenshot of each page is kept (in $BAYTWIN_ARTIFACTS, else the
test's temporary folder; the path is printed)."""

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
SETTLE_MS = 1500  # after the page stops changing, long enough for Vega to draw

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


def serve(*args: str) -> Iterator[str]:
    """``baytwin dashboard ARGS`` on a free port, stopped afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "baytwin", "dashboard", *args, "--port", str(port)], cwd=REPO,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
def dashboard(runs_root: Path) -> Iterator[str]:
    yield from serve("--runs", str(runs_root))


# two bays one above the other in the camera's picture: B1 nearer the top
STACKED = """cameras:
  pole: {source: footage.mp4, bays: {B1: [[40, 10], [280, 10], [280, 70], [40, 70]], B2: [[40, 100], [280, 100], [280, 170], [40, 170]]}}"""


@pytest.fixture(scope="module")
def live_dashboard(runs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site file with one camera (a real video file) and a store holding a status, served by the dashboard."""
    from baytwin.live.site import load_site
    from baytwin.live.status import write_status
    from tests.dashboards.test_live_camera import write_footage
    from tests.live.conftest import T0, open_log, write_site

    folder = tmp_path_factory.mktemp("live-site")
    site_file = write_site(folder, cameras=STACKED)
    write_footage(folder / "footage.mp4", frames=600)
    log = open_log(load_site(site_file))
    write_status(log, "garage", {"site": "garage", "running": False, "updated_at": T0, "chargers": [],
                                 "bays": {"B2": {"occupied": True}}, "cameras": {}, "counts": {}})
    yield from serve("--runs", str(runs_root), "--site", str(site_file))


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("BAYTWIN_ARTIFACTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the dashboard pages in {folder}")
    return folder


class Console:
    """What the browser said went wrong: console errors, Vega's warnings, uncaught page errors."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def message(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" or (message.type == "warning" and message.text.startswith("WARN")):
            self.problems.append(f"console {message.type}: {message.text}")

    def page_error(self, error) -> None:  # type: ignore[no-untyped-def]
        self.problems.append(f"page error: {error}")

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


@pytest.fixture(scope="module")
def browser(dashboard: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    console = Console()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.on("console", console.message)
        page.on("pageerror", console.page_error)
        yield page, console
        chromium.close()


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the page and the charts have drawn."""
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")
    page.wait_for_timeout(SETTLE_MS)


def open_page(page, console: Console, url: str, link: str, ready_text: str) -> None:  # type: ignore[no-untyped-def]
    """From the home page through the sidebar, as a person gets there."""
    page.goto(url)
    page.get_by_test_id("stSidebarNav").wait_for()
    if link != "Overview":
        page.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()
    page.get_by_text(ready_text, exact=False).first.wait_for()
    settle(page)


def charts_without_marks(page) -> list[int]:  # type: ignore[no-untyped-def]
    """The visible charts whose SVG has no drawn mark (a chart Vega refused to draw has none)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll("[data-testid='stVegaLiteChart']"))
        .map((chart, i) => [i, chart])
        .filter(([, chart]) => chart.getBoundingClientRect().height > 0)
        .filter(([, chart]) => chart.querySelectorAll("svg g.role-mark > path, svg g.role-mark > text,"
                                                      + " svg g.role-mark > line").length === 0)
        .map(([i]) => i)""")


def check_page(page, console: Console, shot: Path) -> None:  # type: ignore[no-untyped-def]
    """No exception, no console error, every visible chart drawn; then the screenshot."""
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']").first.inner_text()
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 0 or not charts_without_marks(page), \
        f"charts without marks: {charts_without_marks(page)}"
    assert console.take() == []
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def pick(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Choose ``option`` in the select box labelled ``label`` by typing it, as a person does."""
    box = page.get_by_label(label, exact=True) if page.get_by_label(label, exact=True).count() else \
        page.locator(f"[data-testid='stSelectbox']:has-text('{label}') input")
    box.first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    settle(page)


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


def test_home_names_itself_and_hides_the_toolbar(browser, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page, console = browser
    open_page(page, console, dashboard, "Overview", "OCR evaluations")
    body = page.locator("body").inner_text()
    for name in ("Overview", "Scenario comparison", "Sweep explorer", "OCR QA", "Live operations", "Portfolio"):
        assert name in body
    assert "\napp\n" not in f"\n{page.get_by_test_id('stSidebarNav').inner_text()}\n"
    assert page.get_by_text("Deploy", exact=True).count() == 0
    assert "the trade-off between objectives" in body  # a page's description whole, not cut at its first line
    check_page(page, console, artifacts / "0-home.png")


def test_scenario_comparison_answers_and_shows_the_runs_figures(browser, dashboard: str, artifacts: Path,  # type: ignore[no-untyped-def]
                                                                demo_dir: Path) -> None:
    page, console = browser
    open_page(page, console, dashboard, "Scenario comparison", "What differs between the scenarios")
    throughput, outcomes = table_rows(page, 0), table_rows(page, 1)
    assert throughput.pop("figure") == outcomes.pop("figure") == ["unit", "baseline", "enforced"]
    for column, run in enumerate(["workplace-garage-baseline", "workplace-garage-enforced"], start=1):
        summary = json.loads((demo_dir / run / "summary.json").read_text())
        for name in ("served", "blocked", "energy_kwh", "turnover_per_bay_day"):
            assert number(throughput[name][column]) == pytest.approx(summary[name], rel=0.005), (run, name)
        for name in ("violations_detected", "false_penalties", "idle_fee_revenue"):
            assert number(outcomes[name][column]) == pytest.approx(summary[name], rel=0.005), (run, name)
    assert outcomes["idle_fee_revenue"][0] == "USD"  # the garage's own currency, not the policy's GBP
    assert "enforced: " in page.locator("body").inner_text()
    check_page(page, console, artifacts / "1-scenario-comparison.png")


def test_the_run_picker_compares_paired_seeds(browser, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page, console = browser
    open_page(page, console, dashboard, "Scenario comparison", "What differs between the scenarios")
    picker = page.locator("[data-testid='stMultiSelect']").first
    while picker.locator("[aria-label^='Remove ']").count():
        picker.locator("[aria-label^='Remove ']").first.click()
        settle(page)
    for option in ("seeds/no-fee (4 runs)", "seeds/fee (4 runs)"):
        picker.locator("input").click()
        page.keyboard.type(option.split(" ")[0])
        page.get_by_role("option", name=option, exact=True).click()
        settle(page)
    body = page.locator("body").inner_text()
    assert "fee: USD " in body and "more idle-fee revenue than no-fee" in body
    assert "across 4 paired seeds" in body
    check_page(page, console, artifacts / "1b-scenario-comparison-seeds.png")


def test_sweep_explorer_ranks_and_every_chart_draws(browser, dashboard: str, artifacts: Path,  # type: ignore[no-untyped-def]
                                                    sweep_dir: Path) -> None:
    page, console = browser
    open_page(page, console, dashboard, "Sweep explorer", "Trade-off between objectives")
    pick(page, "Sweep", "sweeps/grace-by-misreads")
    body = page.locator("body").inner_text()
    assert "24 runs in 8 cells" in body
    import pandas as pd

    cells = pd.read_parquet(sweep_dir / "cells.parquet")
    best = cells.loc[cells.mean_occupied_bays_mean.idxmin()]  # by default the fewest occupied bays
    assert f"mean occupied EV bays ({best.mean_occupied_bays_mean:,.3g} bays" in body or \
        f"mean occupied EV bays {best.mean_occupied_bays_mean:,.3g} bays" in body
    check_page(page, console, artifacts / "2-sweep-explorer.png")
    page.get_by_role("tab", name="Lines").click()
    settle(page)
    check_page(page, console, artifacts / "2b-sweep-explorer-lines.png")


def test_switching_the_objective_switches_its_direction(browser, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page, console = browser
    open_page(page, console, dashboard, "Sweep explorer", "Trade-off between objectives")
    pick(page, "Sweep", "sweeps/grace-by-misreads")
    assert page.get_by_role("radio", name="minimize").first.is_checked()
    pick(page, "Objective", "idle-fee revenue (idle_fee_revenue)")
    assert page.get_by_role("radio", name="maximize").first.is_checked()
    assert "idle-fee revenue" in page.locator("[data-testid='stAlert']").first.inner_text()
    check_page(page, console, artifacts / "2c-sweep-explorer-revenue.png")


def test_a_sweep_whose_axis_does_nothing_says_so(browser, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page, console = browser
    open_page(page, console, dashboard, "Sweep explorer", "Trade-off between objectives")
    pick(page, "Sweep", "sweeps/fee-switched-off")
    body = page.locator("body").inner_text()
    assert "axis fee (policy.idle_fee.per_min) changed no figure of any run" in body
    assert "No best policy" in body and "Best:" not in body
    check_page(page, console, artifacts / "2d-sweep-explorer-inert.png")


def test_ocr_qa_shows_the_reports_figures(browser, dashboard: str, artifacts: Path,  # type: ignore[no-untyped-def]
                                          ocr_dir: Path) -> None:
    page, console = browser
    open_page(page, console, dashboard, "OCR QA", "Misread crops")
    report = json.loads((ocr_dir / "report.json").read_text())
    body = page.locator("body").inner_text()
    assert f"{report['exact_plate_accuracy']:.1%}" in body
    assert f"{report['voting']['gain'] * 100:+.1f} points" in body
    assert page.locator("[data-testid='stImage'] img").count() >= len(list((ocr_dir / "misreads").glob("*.png")))
    check_page(page, console, artifacts / "3-ocr-qa.png")


def test_portfolio_compares_the_estate_site_by_site(browser, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page, console = browser
    open_page(page, console, dashboard, "Portfolio", "Sites side by side")
    pick(page, "Portfolio run", "estate/fee")
    pick(page, "Compared with", "estate/no-fee")
    body = page.locator("body").inner_text()
    assert "What the change does, site by site" in body and "more idle-fee revenue than estate/no-fee" in body
    check_page(page, console, artifacts / "5-portfolio.png")


def test_live_operations_opens_on_this_machine_without_a_login(browser, dashboard: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page, console = browser
    open_page(page, console, dashboard, "Live operations", "No live site")
    assert page.get_by_text("Log in").count() == 0
    check_page(page, console, artifacts / "4-live-operations.png")


def test_live_operations_follows_the_site_and_shows_the_camera(browser, live_dashboard: str,  # type: ignore[no-untyped-def]
                                                                artifacts: Path) -> None:
    page, console = browser
    open_page(page, console, live_dashboard, "Live operations", "Site map and camera")
    stamp = page.get_by_text("As of ").first.inner_text()
    page.get_by_text("camera pole, ").first.wait_for(timeout=30_000)  # the frame, once the camera has one
    deadline = time.monotonic() + 20
    while page.get_by_text("As of ").first.inner_text() == stamp and time.monotonic() < deadline:
        page.wait_for_timeout(500)  # nobody clicks: the page refreshes itself
    assert page.get_by_text("As of ").first.inner_text() != stamp
    settle(page)
    labels = page.evaluate("""() => Array.from(document.querySelectorAll(
        "[data-testid='stVegaLiteChart'] svg g.role-mark text")).map(t => [t.textContent, t.getBoundingClientRect().y])""")
    top = {text[:2]: y for text, y in labels if text[:2] in ("B1", "B2")}
    assert top["B1"] < top["B2"]  # the map as the camera sees it: the upper bay drawn above
    assert any(text == "B2occupied" for text, _ in labels)  # the state in words, not in colour alone
    assert page.locator("[data-testid='stImage'] img").count() >= 1
    check_page(page, console, artifacts / "4b-live-operations-site.png")
