"""Real inputs for the dashboard tests, made once per test session: the demo's two runs, a tiny
sweep built from real runs, and an OCR evaluation of real generated plate images, all under one
runs folder as a user would have them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from baytwin.dashboards.settings import HOST_ENV, RUNS_ENV, SITE_ENV, USERS_ENV
from tests.dashboards.builders import build_seeded_runs, build_sweep, tiny_scenario

PAGES = Path(__file__).resolve().parents[2] / "dashboards" / "pages"
APP = PAGES.parent / "app.py"


# one tiny site in dollars under two policies, the same four seeds each: replications a comparison pairs
SEEDED_VARIANTS = {"no-fee": {"site.currency": "USD", "policy.idle_fee.enabled": False},
                   "fee": {"site.currency": "USD", "policy.idle_fee.enabled": True,
                           "policy.idle_fee.per_min": 0.5}}
SEEDS = [1, 2, 3, 4]


def baytwin(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "baytwin", *args], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Built once per test run: under pytest-xdist the first worker to ask builds it in the run's shared
    temporary folder while the others wait for it, instead of each building its own (about half a minute)."""
    if worker_id == "master":
        return build_runs_root(tmp_path_factory.mktemp("runs"), tmp_path_factory)
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "dashboard-runs"  # this run's, common to its workers
    with FileLock(str(shared) + ".lock"):
        if not (shared / ".complete").is_file():
            shutil.rmtree(shared, ignore_errors=True)  # a build interrupted part-way starts again
            build_runs_root(shared, tmp_path_factory)
            (shared / ".complete").touch()
    return shared


def build_runs_root(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    demo = baytwin("demo", "--out", str(root / "demo"), "--days", "3")
    (root / "demo" / "demo-output.txt").write_text(demo.stdout)
    build_sweep(root / "sweeps" / "grace-by-misreads", tiny_scenario(tmp_path_factory.mktemp("scenario")),
                {"grace_min": ("policy.rules.overstay.grace_min", [0, 30]),
                 "misread_rate": ("site.identification.misread_rate", [0.0, 0.3]),
                 "fee": ("policy.idle_fee.per_min", [0.1, 0.5])}, replications=3)
    build_sweep(root / "sweeps" / "fee-switched-off", tiny_scenario(tmp_path_factory.mktemp("fee-off")),
                {"fee": ("policy.idle_fee.per_min", [0.1, 0.5])}, replications=2,
                overrides={"policy.idle_fee.enabled": False})
    build_seeded_runs(root / "seeds", tiny_scenario(tmp_path_factory.mktemp("seeded")), SEEDED_VARIANTS, SEEDS, days=3)
    baytwin("sim", "run", "portfolios/north-estate", "--out", str(root / "estate" / "fee"), "--days", "2")
    baytwin("sim", "run", "portfolios/north-estate", "--out", str(root / "estate" / "no-fee"), "--days", "2",
            "--set", "policy.idle_fee.enabled=false")
    images = tmp_path_factory.mktemp("plates")
    baytwin("ocr", "generate", "--n", "36", "--out", str(images), "--random-degradations", "--frames", "3",
            "--seed", "3")
    baytwin("ocr", "eval", "--images", str(images), "--out", str(root / "ocr" / "mixed"))
    world = tmp_path_factory.mktemp("world-plates")  # many fonts and designs: the by-font and by-design tables
    baytwin("ocr", "generate", "--n", "24", "--out", str(world), "--renderer", "world", "--seed", "4")
    baytwin("ocr", "eval", "--images", str(world), "--out", str(root / "ocr" / "world"),
            *(["--baseline", "tesseract"] if shutil.which("tesseract") else []))
    return root


@pytest.fixture(scope="session")
def demo_dir(runs_root: Path) -> Path:
    return runs_root / "demo"


@pytest.fixture(scope="session")
def seeds_dir(runs_root: Path) -> Path:
    return runs_root / "seeds"


@pytest.fixture(scope="session")
def sweep_dir(runs_root: Path) -> Path:
    return runs_root / "sweeps" / "grace-by-misreads"


@pytest.fixture(scope="session")
def inert_sweep_dir(runs_root: Path) -> Path:
    return runs_root / "sweeps" / "fee-switched-off"


@pytest.fixture(scope="session")
def estate_dir(runs_root: Path) -> Path:
    return runs_root / "estate"


@pytest.fixture(scope="session")
def ocr_dir(runs_root: Path) -> Path:
    return runs_root / "ocr" / "mixed"


@pytest.fixture(scope="session")
def world_ocr_dir(runs_root: Path) -> Path:
    return runs_root / "ocr" / "world"


def summary(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text())


@pytest.fixture
def dashboard_env(monkeypatch: pytest.MonkeyPatch, runs_root: Path) -> Path:
    """The environment ``baytwin dashboard`` gives the app on this machine without users."""
    monkeypatch.setenv(RUNS_ENV, str(runs_root))
    monkeypatch.setenv(HOST_ENV, "127.0.0.1")
    monkeypatch.delenv(USERS_ENV, raising=False)
    monkeypatch.delenv(SITE_ENV, raising=False)
    return runs_root
