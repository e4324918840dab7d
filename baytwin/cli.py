"""``baytwin``: one command for every job, grouped by job.

    baytwin demo                       run the demo scenarios end to end
    baytwin sim run SCENARIO --out DIR simulate one scenario
    baytwin sim compare RUN_DIR ...    compare the summaries of finished runs
    baytwin sim list | validate FILE   bundled scenarios; check a scenario file
    baytwin dashboard [--runs DIR]     the dashboards in the browser

Every data-file problem is one line naming the file, the field and the
problem, with exit code 2; no traceback.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Digital twin and testbed for EV-charging-bay parking enforcement.")
sim_app = typer.Typer(no_args_is_help=True, help="Simulate sites, populations and policies.")
app.add_typer(sim_app, name="sim")
audit_app = typer.Typer(no_args_is_help=True, help="Check the tamper-evident event log.")
app.add_typer(audit_app, name="audit")
keys_app = typer.Typer(no_args_is_help=True, help="Keys that protect personal data.")
app.add_typer(keys_app, name="keys")
retention_app = typer.Typer(no_args_is_help=True, help="Erase personal data whose retention has ended.")
app.add_typer(retention_app, name="retention")
privacy_app = typer.Typer(no_args_is_help=True, help="Data-subject requests.")
app.add_typer(privacy_app, name="privacy")
evidence_app = typer.Typer(no_args_is_help=True, help="Evidence packs for disputed violations.")
app.add_typer(evidence_app, name="evidence")
ocr_app = typer.Typer(no_args_is_help=True, help="Synthetic plate images and the plate reader.")
app.add_typer(ocr_app, name="ocr")
csms_app = typer.Typer(no_args_is_help=True, help="The OCPP central system (1.6J and 2.0.1).")
app.add_typer(csms_app, name="csms")

DB_OPTION = typer.Option(None, "--db", help="Database URL (default: BAYTWIN_DB_URL, else sqlite:///baytwin.db).")
KEY_OPTION = typer.Option(None, "--key-file", help="Key file (default: BAYTWIN_KEY or BAYTWIN_KEY_FILE).")

console = Console(width=None if sys.stdout.isatty() else 110)
err_console = Console(stderr=True)

DEMO_SCENARIOS = ("workplace-garage/baseline", "workplace-garage/enforced")
SUMMARY_ROWS = (
    "arrivals", "blocked", "blocking_probability", "served", "mean_occupied_bays", "mean_dwell_min",
    "charging_share_of_bay_time", "energy_kwh", "turnover_per_bay_day", "violations_true",
    "violations_detected", "precision", "recall", "false_penalties", "idle_fee_revenue",
    "time_to_detection_min_mean", "events_processed", "wall_seconds", "seed",
)


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``path.to.field=value`` pairs; values are read as YAML (numbers, booleans, lists)."""
    overrides: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise fail(f"--set {item!r}: expected dotted.path=value")
        key, raw = item.split("=", 1)
        try:
            overrides[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise fail(f"--set {item!r}: value is not valid YAML") from None
    return overrides


def open_store(db: str | None, key_file: Path | None, policy=None):  # type: ignore[no-untyped-def]
    """The event log at ``db`` with the configured key; a clear error when either is unusable."""
    from core.privacy import KeyProblem, Keys
    from core.store.database import StoreProblem, connect
    from core.store.log import EventLog

    try:
        keys = Keys.from_environment(key_file)
        return EventLog(connect(db), keys, policy)
    except (KeyProblem, StoreProblem) as err:
        raise fail(str(err)) from None
    except Exception as err:  # a driver's connection error: say what and where, not how
        raise fail(f"cannot open the database: {str(err).splitlines()[0]}") from None


def run_one(scenario_name: str, out: Path, seed: int | None, days: float | None,
            overrides: dict[str, Any], store=None, ocpp_url: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from sim.runner import persist, run, write
    from sim.scenario import load_scenario

    try:
        scenario = load_scenario(scenario_name, overrides)
    except ConfigError as err:
        raise fail(str(err)) from None
    total = days if days is not None else scenario.days
    with progress_bar("days") as bar:
        task = bar.add_task(scenario.name, total=total)
        try:
            model, result = run(scenario, seed=seed, days=days,
                                progress=lambda done, _total: bar.update(task, completed=done), ocpp_url=ocpp_url)
        except (ConnectionError, TimeoutError, RuntimeError) as err:
            raise fail(str(err)) from None
    write(result, out, scenario)
    if store is not None:
        stored = persist(model, open_store(*store, policy=model.policy))
        err_console.print(f"{stored:,} events appended to the event log")
    return result.summary


def progress_bar(unit: str = "") -> Progress:
    """The one progress bar every long job shows (on standard error, gone when done)."""
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    return Progress(*columns, TimeElapsedColumn(), console=err_console, transient=True)


def write_comparison(summaries: dict[str, dict[str, Any]], target: Path) -> None:
    """The side-by-side summary table as CSV: one row per figure, one column per run."""
    import pandas as pd

    frame = pd.DataFrame({name: {k: s.get(k) for k in SUMMARY_ROWS} for name, s in summaries.items()})
    frame.index.name = "metric"
    frame.to_csv(target)


def summary_table(summaries: dict[str, dict[str, Any]]) -> Table:
    table = Table(show_header=True, header_style="bold")
    table.add_column("metric", no_wrap=True)
    for name in summaries:
        table.add_column(name, justify="right")
    for key in SUMMARY_ROWS:
        table.add_row(key, *(_fmt(s.get(key)) for s in summaries.values()))
    return table


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- sim ---------------------------------------------------------------------------------


@sim_app.command("run")
def sim_run(
    scenario: str = typer.Argument(..., help="Scenario file, or a bundled name such as workplace-garage/baseline."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for summary.json and the Parquet tables."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario's)."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: the scenario's)."),
    set_: list[str] = typer.Option([], "--set", help="Override a field: policy.rules.overstay.grace_min=5 (repeatable)."),
    store: bool = typer.Option(False, "--store", help="Also keep the run's full event log in the database."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
    ocpp: Optional[str] = typer.Option(None, "--ocpp", help="Chargers speak OCPP over websockets to the central "
                                       "system at this URL, e.g. ws://127.0.0.1:9000"),
) -> None:
    """Simulate one scenario and write its results."""
    if store:
        open_store(db, key_file)  # a missing key or unreachable database fails now, not after the run
    summary = run_one(scenario, out, seed, days, parse_overrides(set_), (db, key_file) if store else None, ocpp)
    console.print(summary_table({summary["scenario"]: summary}))
    console.print(f"Results in [bold]{out}[/]: summary.json, sessions/violations/actions/events/timeseries.parquet")


@sim_app.command("compare")
def sim_compare(
    runs: list[Path] = typer.Argument(..., help="Run folders (each with a summary.json)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="CSV file for the table (default: compare.csv beside the first run)."),
) -> None:
    """Side-by-side table of finished runs' summaries, also written as CSV."""

    summaries: dict[str, dict[str, Any]] = {}
    for run_dir in runs:
        path = run_dir / "summary.json" if run_dir.is_dir() else run_dir
        try:
            summaries[run_dir.name or str(run_dir)] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise fail(f"{path}: no such file (is {run_dir} a finished run?)") from None
        except json.JSONDecodeError as err:
            raise fail(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    console.print(summary_table(summaries))
    target = out or (runs[0].parent / "compare.csv")
    write_comparison(summaries, target)
    console.print(f"Written to [bold]{target}[/]")


@sim_app.command("list")
def sim_list() -> None:
    """The bundled scenarios."""
    from sim.scenario import bundled_scenario_files

    for path in bundled_scenario_files():
        console.print(f"{path.parent.name}/{path.stem}")


@sim_app.command("validate")
def sim_validate(scenario: str = typer.Argument(..., help="Scenario file or bundled name.")) -> None:
    """Check a scenario (and its policy) without running it."""
    from sim.scenario import load_scenario

    try:
        loaded = load_scenario(scenario)
    except ConfigError as err:
        raise fail(str(err)) from None
    console.print(f"ok: {loaded.name} ({loaded.site.ev_bays} EV bays, policy {loaded.policy.name})")


# --- sweep ----------------------------------------------------------------------------------

SWEEP_HEADLINE = ("violations_true", "violations_detected", "false_penalties", "idle_fee_revenue", "mean_occupied_bays")


@app.command("sweep")
def sweep(
    scenario: str = typer.Argument(..., help="Scenario file, or a bundled name such as workplace-garage/enforced."),
    grid: list[str] = typer.Option(..., "--grid", help="An axis: name=v1,v2,... The name is a field's dotted "
                                   "path (policy.rules.overstay.grace_min) or a short name (grace_min). Repeatable."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for runs.parquet, cells.parquet/csv and sweep.json."),
    replications: int = typer.Option(10, "--replications", min=1, help="Runs per cell; run r uses seed + r in every cell."),
    seed: Optional[int] = typer.Option(None, help="Base seed (default: the scenario's)."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: the scenario's)."),
    set_: list[str] = typer.Option([], "--set", help="Fix a field for every run: path=value (repeatable)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Local worker processes (default: one per core)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on an existing Dask cluster, e.g. tcp://host:8786."),
) -> None:
    """Run a grid of policy and scenario variants, several seeds each, on Dask; resumable."""
    from sim.sweep.execute import SchedulerProblem, dask_client
    from sim.sweep.grid import GridProblem
    from sim.sweep.plan import plan_sweep
    from sim.sweep.run import run_sweep
    from sim.sweep.store import RunStore, SweepFolderProblem

    if workers is not None and scheduler is not None:
        raise fail("--workers applies to the local cluster; with --scheduler the cluster has its own workers")
    try:
        plan = plan_sweep(scenario, grid, replications, seed, days, parse_overrides(set_))
        store = RunStore(out)
        store.claim(plan)
    except (ConfigError, GridProblem, SweepFolderProblem) as err:
        raise fail(str(err)) from None
    finished = store.finished(plan)
    console.print(f"{len(plan.cells)} cells x {plan.replications} replications = {len(plan.runs)} runs"
                  + (f"; {finished} finished before, skipped" if finished else ""))
    try:
        cluster = dask_client(scheduler, workers) if finished < len(plan.runs) else nullcontext(None)
        with cluster as client, progress_bar("runs") as bar:
            task = bar.add_task(plan.scenario_name, total=len(plan.runs), completed=finished)
            report = run_sweep(plan, store, client, on_done=lambda _record: bar.advance(task))
    except SchedulerProblem as err:
        raise fail(str(err)) from None
    except KeyboardInterrupt:
        raise fail(f"interrupted; finished runs are kept in {out / 'runs'}: rerun the same command to resume",
                   130) from None
    console.print(sweep_table(report.cells, [a.name for a in plan.axes]))
    console.print(f"{report.done} of {len(plan.runs)} runs done ({report.outcome.ran} now, "
                  f"{report.outcome.skipped} skipped as finished before"
                  + (f", {report.outcome.retried_failures} run again after failing before"
                     if report.outcome.retried_failures else "")
                  + f"). Results in [bold]{out}[/]: "
                  "runs.parquet, cells.parquet, cells.csv, sweep.json")
    if report.failed:
        for record in report.failed[:10]:
            err_console.print(f"failed: {record.cell} seed {record.seed}: {record.error}", highlight=False)
        more = len(report.failed) - 10
        raise fail(f"{len(report.failed)} run(s) failed" + (f" ({more} more in sweep.json)" if more > 0 else "")
                   + "; rerun the same command to retry them", 1)


def sweep_table(cells: Any, axes: list[str], limit: int = 40) -> Table:
    """Each cell's headline figures: mean ± half its 95 % interval."""
    headline = [m for m in SWEEP_HEADLINE if f"{m}_mean" in cells.columns]
    table = Table(*axes, "n", *headline, header_style="bold")
    for row in cells.head(limit).to_dict("records"):
        table.add_row(*(str(row[a]) for a in axes), str(row["n"]),
                      *(_fmt_interval(row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"]) for m in headline))
    if len(cells) > limit:
        table.caption = f"first {limit} of {len(cells)} cells; all of them in cells.csv"
    return table


def _fmt_interval(mean: float, low: float, high: float) -> str:
    import math

    def num(x: float) -> str:
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"

    if mean is None or math.isnan(mean):
        return "-"
    if low is None or math.isnan(low) or high == low:  # one run, or every run agreed
        return num(mean)
    return f"{num(mean)} ±{num((high - low) / 2)}"


# --- ocr ------------------------------------------------------------------------------------


def parse_degradations(items: list[str]) -> dict[str, int]:
    """``rain=2,mud=1`` (repeatable) -> {"rain": 2, "mud": 1}."""
    from sim.imagery.degrade import REGISTRY

    aliases = {"mud": "dirt", "blur": "motion_blur", "night": "night_ir", "haze": "fog"}
    out: dict[str, int] = {}
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, _, level = part.partition("=")
            name = aliases.get(name, name)
            if name not in REGISTRY:
                raise fail(f"--degrade {part!r}: unknown degradation (known: {', '.join(REGISTRY)})")
            if level not in {"0", "1", "2", "3", "4"}:
                raise fail(f"--degrade {part!r}: severity must be 0-4")
            out[name] = int(level)
    return out


@ocr_app.command("generate")
def ocr_generate(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for images/ and labels.csv."),
    n: int = typer.Option(100, "--n", min=1, help="How many images."),
    format_: list[str] = typer.Option([], "--format", help="Plate format(s) (default: all declared)."),
    degrade: list[str] = typer.Option([], "--degrade", help="Degradations for every image: rain=2,mud=1 (0-4)."),
    random_mix: bool = typer.Option(False, "--random-degradations", help="Also a random mix per image."),
    scenes: bool = typer.Option(False, "--scene/--crops", help="Bay-camera frames, or plate crops (default)."),
    seed: int = typer.Option(0, help="Random seed."),
    workers: int = typer.Option(1, help="Processes to render with."),
    frames: int = typer.Option(1, min=1, help="Images per vehicle (same plate and conditions), for measuring voting."),
) -> None:
    """Render labelled synthetic plates (crops or bay-camera frames), degraded as asked."""
    from core.plates import load_formats
    from sim.imagery.dataset import generate

    known = load_formats()
    for name in format_:
        if name not in known:
            raise fail(f"--format {name!r}: unknown plate format (known: {', '.join(known)})")
    severities = parse_degradations(degrade)
    with progress_bar() as bar:
        task = bar.add_task("render", total=n)
        labels = generate(out, n, format_ or None, severities, scenes, seed,
                          lambda done, _n: bar.update(task, completed=done), random_mix, workers=workers,
                          frames=frames)
    console.print(f"{n} images and {labels}")


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


def _image_paths(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            found.append(path)
    return found


@ocr_app.command("read")
def ocr_read(
    paths: list[Path] = typer.Argument(..., help="Image files or folders (plate crops or camera frames)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per image."),
    kind: str = typer.Option("auto", help="auto | crop | scene: whether images are plate crops or whole frames."),
    gate: float = typer.Option(0.90, help="Confidence at or above which a read is accepted."),
) -> None:
    """Read plates; a file that cannot be read gets its own error and the batch goes on (exit 1 if any did)."""
    import cv2

    from core.ocr.gate import ConfidenceGate
    from core.ocr.pipeline import PlateReader
    from core.ocr.recognizer import ModelProblem

    if kind not in ("auto", "crop", "scene"):
        raise fail(f"--kind {kind!r}: use auto, crop or scene")
    try:
        reader = PlateReader(gate=ConfidenceGate(accept_at=gate, review_from=min(0.5, gate)))
    except (ModelProblem, ValueError) as err:
        raise fail(str(err)) from None
    failures = 0
    for path in _image_paths(paths):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
        if image is None:
            failures += 1
            problem = "no such file" if not path.exists() else "not a readable image"
            record: dict[str, Any] = {"file": str(path), "error": problem}
        else:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            h, w = rgb.shape[:2]
            is_crop = kind == "crop" or (kind == "auto" and w / h >= 1.3 and w <= 800 and h <= 400)
            result = reader.read_crops([rgb])[0] if is_crop else reader.read_frame(rgb)
            record = {"file": str(path), **result.as_json()}
        if as_json:
            print(json.dumps(record))
        elif "error" in record:
            err_console.print(f"{record['file']}: error: {record['error']}", highlight=False)
        else:
            console.print(f"{record['file']}: {record['plate'] or '-'} ({record['status']}, {record['confidence']:.3f})",
                          highlight=False)
    if failures:
        raise typer.Exit(1)


@ocr_app.command("eval")
def ocr_eval(
    images: Path = typer.Option(..., "--images", help="Folder of labelled images (as `ocr generate` writes)."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="labels.csv (default: the one in --images)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for report.json, CSV tables, chart and misreads."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Also run this reader on the same crops: tesseract."),
    gate: float = typer.Option(0.90, help="Confidence at or above which a read is accepted."),
) -> None:
    """Measure the reader on labelled images: accuracy per degradation and severity, confusions, voting gain,
    dangerous reads (wrong yet accepted), crops/s and frame latency."""
    from core.ocr.eval_report import write_report
    from core.ocr.evaluation import LabelsProblem, evaluate, load_labels
    from core.ocr.gate import ConfidenceGate
    from core.ocr.pipeline import PlateReader
    from core.ocr.recognizer import ModelProblem
    from core.ocr.tesseract import TesseractBaseline, TesseractMissing

    if baseline not in (None, "tesseract"):
        raise fail(f"--baseline {baseline!r}: the available baseline is tesseract")
    try:
        labelled = load_labels(labels or images / "labels.csv")
        reader = PlateReader(gate=ConfidenceGate(accept_at=gate, review_from=min(0.5, gate)))
        other = TesseractBaseline() if baseline else None
    except (LabelsProblem, ModelProblem, TesseractMissing, ValueError) as err:
        raise fail(str(err)) from None
    with progress_bar() as bar:
        task = bar.add_task("read", total=len(labelled))
        evaluation = evaluate(images, labelled, reader, other, lambda done, _n: bar.update(task, completed=done))
    report = write_report(evaluation, out)
    _print_eval(report)
    console.print(f"report written to {out / 'report.json'} (tables: by_condition.csv, reads.csv, confusions.csv; "
                  f"chart: accuracy_by_condition.png; misread crops: misreads/)")


def _print_eval(report: dict[str, Any]) -> None:
    from rich.table import Table

    def pct(value: Any) -> str:
        return "-" if value is None else f"{100 * value:.1f} %"

    speed, voting = report["speed"], report["voting"]
    console.print(f"{report['images']} images, {len(report['errors'])} unreadable files; exact plate {pct(report['exact_plate_accuracy'])}, "
                  f"characters {pct(report['char_accuracy'])}; dangerous (wrong but accepted) {pct(report['dangerous_read_rate'])}")
    if voting["vehicles"]:
        console.print(f"voting over {voting['vehicles']} vehicles: single frame {pct(voting['single_frame_accuracy'])} "
                      f"-> voted {pct(voting['voted_accuracy'])}")
    if speed["crops_per_second"]:
        console.print(f"recognition {speed['crops_per_second']:.0f} crops/s")
    if speed["frames"]:
        console.print(f"frame latency p50 {speed['frame_latency_ms_p50']} ms, p95 {speed['frame_latency_ms_p95']} ms")
    table = Table("condition", "severity", "images", "exact", "dangerous", *(["baseline"] if "baseline" in report else []))
    for row in report["by_condition"]:
        extra = [pct(row.get("baseline_exact_plate_accuracy"))] if "baseline" in report else []
        table.add_row(row["condition"], str(row["severity"]), str(row["images"]), pct(row["exact_plate_accuracy"]),
                      pct(row["dangerous_read_rate"]), *extra)
    console.print(table)


@ocr_app.command("video")
def ocr_video(
    script: Path = typer.Option(..., "--script", help="Video script (YAML): bays, neighbour, visits."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for bay-camera.mp4 and its sidecar bay-camera.yaml."),
    fps: float = typer.Option(5.0, help="Frames per second of video."),
    size: str = typer.Option("1280x720", help="Frame size, WIDTHxHEIGHT."),
    seed: int = typer.Option(0, help="Random seed (cars, paint, camera pose)."),
) -> None:
    """Render a fixed bay camera's video over a scripted timeline, with each bay's ROI and the ground truth."""
    from sim.imagery.video import render_video
    from sim.imagery.video_script import load_script

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise fail(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (320 <= width <= 3840 and 240 <= height <= 2160):
        raise fail(f"--size {size!r}: between 320x240 and 3840x2160")
    if not 0.5 <= fps <= 60:
        raise fail(f"--fps {fps:g}: between 0.5 and 60")
    try:
        parsed = load_script(script)
    except ConfigError as err:
        raise fail(str(err)) from None
    with progress_bar("frames") as bar:
        task = bar.add_task("render", total=None)
        try:
            video, sidecar = render_video(parsed, out, fps=fps, size=(width, height), seed=seed,
                                          progress=lambda done, total: bar.update(task, completed=done, total=total))
        except RuntimeError as err:
            raise fail(f"{script}: {err}") from None
    console.print(f"{video} and {sidecar}")


@ocr_app.command("train")
def ocr_train(
    samples: int = typer.Option(100_000, help="Synthetic training crops to render."),
    epochs: int = typer.Option(10, help="Passes over them."),
    out: Optional[Path] = typer.Option(None, "--out", help="ONNX model to write, its .yaml beside it (default: the bundled model)."),
    seed: int = typer.Option(0, help="Training seed (evaluation seeds are never used)."),
    init: Optional[Path] = typer.Option(None, "--init", help="Fine-tune from these weights (the .pt an earlier run wrote)."),
) -> None:
    """Train the plate recognizer on synthetic plates and export it to ONNX (needs the train extra: torch)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise fail("training needs PyTorch: pip install torch==2.13.0 (the 'train' extra)") from None
    from core.ocr.recognizer import DEFAULT_MODEL
    from sim.ocr_training import TrainSettings, train

    out = out or DEFAULT_MODEL
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        train(out, out.with_suffix(".yaml"), TrainSettings(samples=samples, epochs=epochs, seed=seed, init=init), progress)
    console.print(f"model written to {out} and {out.with_suffix('.yaml')}")


# --- central system ------------------------------------------------------------------------


@csms_app.command("serve")
def csms_serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(9000, help="Port to listen on."),
    site: Optional[Path] = typer.Option(None, "--site", help="Site file with a csms section (default: accept any charger)."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = typer.Option(None, "--key-file", help="Key that seals personal data in the store."),
    no_store: bool = typer.Option(False, "--no-store", help="Keep nothing (testing only)."),
    cert: Optional[Path] = typer.Option(None, "--cert", help="TLS certificate (PEM) for wss:// (security profile 2)."),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="TLS private key (PEM)."),
) -> None:
    """Serve chargers over OCPP-J websockets: ws://HOST:PORT/<charge point id> (or /ocpp/<id>)."""
    import asyncio
    import logging
    import signal
    import ssl

    from core.csms.config import CsmsConfig, load_csms_config
    from core.csms.server import CsmsServer
    from core.csms.service import persistent_central_system, purge_periodically

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("ocpp").setLevel(logging.WARNING)  # every frame at INFO is too much for a busy site
    logging.getLogger("websockets").setLevel(logging.WARNING)
    try:
        config = load_csms_config(site) if site else CsmsConfig(site_id="site", auto_register=True,
                                                                accept_unknown_tokens=True)
    except ConfigError as err:
        raise fail(str(err)) from None
    context = None
    if cert or tls_key:
        if not (cert and tls_key):
            raise fail("--cert and --tls-key go together")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(cert, tls_key)
        except (OSError, ssl.SSLError) as err:
            raise fail(f"cannot load the TLS certificate or key: {err}") from None
    log = None if no_store else open_store(db, key_file)
    central = persistent_central_system(config, log)
    server = CsmsServer(central)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound = await server.start(host, port, context)
        purging = asyncio.create_task(purge_periodically(log, server.clock.now, stop=stop)) if log else None
        scheme = "wss" if context else "ws"
        console.print(f"central system for site {config.site_id} on {scheme}://{host}:{bound}/<charge point id> "
                      "(subprotocols ocpp2.0.1, ocpp1.6); Ctrl-C stops", highlight=False)
        await stop.wait()
        await server.stop()
        if purging is not None:
            await purging

    try:
        asyncio.run(serve())
    except OSError as err:
        raise fail(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    console.print(f"stopped; {len(central.open_transactions())} transaction(s) still open, kept in the store")


@csms_app.command("hash-password")
def csms_hash_password(password: str = typer.Option(..., prompt=True, hide_input=True,
                                                    help="The station's Basic-auth password.")) -> None:
    """Print the hash to put in a station's password_hash (the password itself is never stored)."""
    from core.csms.config import hash_password

    print(hash_password(password))


# --- audit and keys ----------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(db: Optional[str] = DB_OPTION) -> None:
    """Walk the hash chain; exit 1 and name the first broken row if anything was edited, inserted or deleted."""
    from core.store.database import StoreProblem, connect
    from core.store.verify import verify

    try:
        engine = connect(db)
    except StoreProblem as err:
        raise fail(str(err)) from None
    result = verify(engine)
    if result.intact:
        console.print(f"intact: {result.rows:,} rows in {result.sites} site chain(s)")
        return
    for problem in result.breaks:
        err_console.print(f"broken: {problem}", highlight=False)
    raise typer.Exit(1)


def parse_as_of(as_of: str | None) -> float:
    """An ISO date-time (UTC if no zone) as epoch seconds; now when not given."""
    import time
    from datetime import datetime, timezone

    if as_of is None:
        return time.time()
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError:
        raise fail(f"--as-of {as_of!r}: not an ISO date-time (e.g. 2026-01-31T12:00)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


@retention_app.command("purge")
def retention_purge(
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
    policy: Optional[Path] = typer.Option(None, "--policy", help="Policy file whose retention applies (default: built-in periods)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Purge as if it were this ISO date-time (default: now)."),
) -> None:
    """Erase what has expired; each erasure is recorded in the audit log."""
    from core.rules.policy import Retention, load_policy
    from core.store.retention import purge

    log = open_store(db, key_file)
    retention = Retention()
    if policy is not None:
        try:
            loaded = load_policy(policy)
        except ConfigError as err:
            raise fail(str(err)) from None
        retention_for = lambda site: loaded.for_site(site).retention  # noqa: E731
    else:
        retention_for = lambda site: retention  # noqa: E731
    report = purge(log, parse_as_of(as_of), retention_for)
    if not report:
        console.print("nothing has expired")
    for site, counts in report.items():
        console.print(f"{site}: " + ", ".join(f"{n:,} {cls} rows erased" for cls, n in counts.items()))


@privacy_app.command("export")
def privacy_export(
    plate: str = typer.Option(..., "--plate", help="The plate whose data is requested."),
    out: Path = typer.Option(..., "--out", "-o", help="JSON file to write."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
) -> None:
    """Everything held on one plate, in the clear, as a data-subject access export."""
    from core.privacy import KeyProblem
    from core.store.access import subject_access

    log = open_store(db, key_file)
    try:
        export = subject_access(log, plate)
    except KeyProblem as err:
        raise fail(str(err)) from None
    out.write_text(json.dumps(export, indent=2, default=str) + "\n", encoding="utf-8")
    found = sum(len(site["events"]) for site in export["sites"].values())
    console.print(f"{found} events at {len(export['sites'])} site(s) written to {out}")


@evidence_app.command("export")
def evidence_export(
    violation_id: str = typer.Argument(..., help="The violation, e.g. workplace-garage/EV012/3."),
    out: Path = typer.Option(..., "--out", "-o", help="Zip file to write."),
    db: Optional[str] = DB_OPTION,
    key_file: Optional[Path] = KEY_OPTION,
) -> None:
    """Write a violation's evidence pack: timeline, sessions, policy, chain proof, printable summary."""
    import time

    from core.privacy import KeyProblem
    from core.store.evidence import EvidenceProblem, export_pack

    log = open_store(db, key_file)
    try:
        manifest = export_pack(log, violation_id, out, time.time())
    except (EvidenceProblem, KeyProblem) as err:
        raise fail(str(err)) from None
    console.print(f"evidence for {manifest['violation_id']} ({manifest['rule']}) written to {out}")


@evidence_app.command("verify")
def evidence_verify(pack: Path = typer.Argument(..., help="An evidence pack (zip).")) -> None:
    """Check a pack on its own, without the database: digests, chain, timeline."""
    from core.store.evidence import EvidenceProblem, verify_pack

    try:
        manifest = verify_pack(pack)
    except EvidenceProblem as err:
        err_console.print(f"[bold red]invalid:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"valid: evidence for {manifest['violation_id']}, chain rows checked up to head {manifest['chain_head']['seq']}")


@keys_app.command("generate")
def keys_generate(out: Path = typer.Option(..., "--out", "-o", help="Key file to create (mode 600).")) -> None:  # noqa: B008
    """Create a new key file. Keep it out of the database and its backups."""
    import os

    from core.privacy import generate_key

    if out.exists():
        raise fail(f"{out}: already exists; refusing to overwrite a key (data sealed with it would be lost)")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_key() + "\n")
    console.print(f"key written to {out}")


# --- dashboard ---------------------------------------------------------------------------


@app.command("dashboard")
def dashboard(
    runs: Path = typer.Option(Path("runs"), "--runs", help="Folder searched (at any depth) for runs, sweeps and OCR evaluations."),
    db: Optional[str] = DB_OPTION,
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but this machine needs --users."),
    users: Optional[Path] = typer.Option(None, "--users", help="YAML file of users (username, role, password_hash) for the operations pages."),
    site: Optional[Path] = typer.Option(None, "--site", help="A live site file: its bays, sessions, violations, cameras and review queue."),
) -> None:
    """Serve the dashboards (scenario comparison, sweep explorer, OCR QA, live operations) in the browser."""
    import os
    import signal
    import subprocess

    import dashboards
    from dashboards.settings import Settings, is_local
    from dashboards.users import load_users

    if not is_local(host) and users is None:
        raise fail(f"--host {host}: a dashboard reachable from other machines needs --users FILE (usernames, roles, password hashes)")
    if users is not None:
        try:
            load_users(users)
        except ConfigError as err:
            raise fail(str(err)) from None
    if not runs.is_dir():
        raise fail(f"{runs}: no such folder (run `baytwin demo` first, or pass --runs DIR)")
    if site is not None:
        from live.site import load_site

        try:
            load_site(site)
        except ConfigError as err:
            raise fail(str(err)) from None
    settings = Settings(runs=runs.resolve(), host=host, users_file=users.resolve() if users else None, db_url=db,
                        site_file=site.resolve() if site else None)
    package_root = Path(dashboards.__file__).resolve().parent
    env = {**os.environ, **settings.to_environment()}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root.parent), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "streamlit", "run", str(package_root / "app.py"),
               "--server.port", str(port), "--server.address", host, "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
    shown_host = f"[{host}]" if ":" in host else host
    console.print(f"dashboard on http://{shown_host}:{port} for {settings.runs} (Ctrl+C stops it)")
    server = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stopping this command stops the server
    try:
        code = server.wait()
    except KeyboardInterrupt:  # Streamlit got the same Ctrl+C and shuts itself down
        code = server.wait()
    raise typer.Exit(0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code)


# --- demo --------------------------------------------------------------------------------


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Folder for the demo's runs."),
    days: Optional[float] = typer.Option(None, help="Days to simulate (default: each scenario's)."),
) -> None:
    """Run the demo: the workplace garage without and with enforcement, compared; the enforced run's
    log kept in a demo store, its chain verified and one violation's evidence pack exported."""
    import time

    import pandas as pd

    from core.store.evidence import export_pack
    from core.store.verify import verify

    out.mkdir(parents=True, exist_ok=True)
    key_file, db_file = out / "demo.key", out / "store.db"
    for stale in (db_file, db_file.with_name("store.db-wal"), db_file.with_name("store.db-shm")):
        stale.unlink(missing_ok=True)  # the demo's own store starts afresh each time
    if not key_file.exists():
        keys_generate(key_file)
    store = (f"sqlite:///{db_file}", key_file)
    summaries = {}
    for name in DEMO_SCENARIOS:
        run_dir = out / name.replace("/", "-")
        summaries[name.split("/")[-1]] = run_one(name, run_dir, None, days, {}, store if name.endswith("enforced") else None)
    console.print(summary_table(summaries))
    write_comparison(summaries, out / "compare.csv")

    log = open_store(*store)
    audit = verify(log.engine)
    violations = pd.read_parquet(out / "workplace-garage-enforced" / "violations.parquet")
    detected = violations.violation_id.dropna()
    lines = [
        f"\nResults in [bold]{out}[/]: one folder per scenario (summary.json, scenario.json, Parquet tables),"
        " compare.csv side by side.",
        f"Event log of the enforced run: {db_file} ({audit.rows:,} rows, chain {'intact' if audit.intact else 'BROKEN'});"
        f" personal data sealed with {key_file}.",
    ]
    if len(detected):
        pack = out / "evidence-example.zip"
        export_pack(log, str(detected.iloc[0]), pack, time.time())
        lines.append(f"Evidence pack for violation {detected.iloc[0]}: {pack} (check it: baytwin evidence verify {pack})")
    lines.append(f"See them in the browser: [bold]baytwin dashboard --runs {out}[/]")
    for line in lines:
        console.print(line)


# --- live (its own module: it is the biggest group) ------------------------------------------

from baytwin.live_cli import live_app  # noqa: E402 - needs the helpers above

app.add_typer(live_app, name="live")


def main() -> None:
    try:
        app()
    except ConfigError as err:  # pragma: no cover - commands catch their own
        err_console.print(f"error: {err}")
        sys.exit(2)


if __name__ == "__main__":
    main()
