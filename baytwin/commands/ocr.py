"""``baytwin ocr``: synthetic plate images and video, the plate reader, its evaluation and training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from baytwin.common import (
    console,
    err_console,
    fail,
    failing_on,
    progress_bar,
)
from core.config import ConfigError

ocr_app = typer.Typer(no_args_is_help=True, help="Synthetic plate images and the plate reader.")

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


MODEL_OPTION = typer.Option(None, "--model", help="A recognizer (ONNX) to use instead of the bundled one; its "
                            "config (.yaml, fast-plate-ocr keys) beside it with the same name, or --model-config.")
MODEL_CONFIG_OPTION = typer.Option(None, "--model-config", help="The --model's config, if not beside it.")


def plate_reader(gate: float, model: Path | None, model_config: Path | None):  # type: ignore[no-untyped-def]
    """The reader the command asked for (bundled or brought model), gated at ``gate``; exit 2 with one line if unusable."""
    from core.ocr.gate import ConfidenceGate
    from core.ocr.pipeline import PlateReader
    from core.ocr.recognizer import ModelProblem, Recognizer

    if model_config is not None and model is None:
        raise fail("--model-config goes with --model")
    with failing_on(ModelProblem, ConfigError, ValueError):
        recognizer = None
        if model is not None:
            if not model.is_file():
                raise fail(f"--model {model}: no such file")
            config = model_config or model.with_suffix(".yaml")
            if not config.is_file():
                raise fail(f"--model {model}: its config {config} does not exist (give it with --model-config)")
            recognizer = Recognizer(model, config)
        return PlateReader(recognizer=recognizer, gate=ConfidenceGate(accept_at=gate, review_from=min(0.5, gate)))


@ocr_app.command("read")
def ocr_read(
    paths: list[Path] = typer.Argument(..., help="Image files or folders (plate crops or camera frames)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per image."),
    kind: str = typer.Option("auto", help="auto | crop | scene: whether images are plate crops or whole frames."),
    gate: float = typer.Option(0.90, help="Confidence at or above which a read is accepted."),
    model: Optional[Path] = MODEL_OPTION,
    model_config: Optional[Path] = MODEL_CONFIG_OPTION,
) -> None:
    """Read plates; a file that cannot be read gets its own error and the batch goes on (exit 1 if any did)."""
    import cv2

    if kind not in ("auto", "crop", "scene"):
        raise fail(f"--kind {kind!r}: use auto, crop or scene")
    reader = plate_reader(gate, model, model_config)
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
    model: Optional[Path] = MODEL_OPTION,
    model_config: Optional[Path] = MODEL_CONFIG_OPTION,
) -> None:
    """Measure the reader on labelled images: accuracy per degradation and severity, confusions, voting gain,
    dangerous reads (wrong yet accepted), crops/s and frame latency."""
    from core.ocr.eval_report import write_report
    from core.ocr.evaluation import LabelsProblem, evaluate, load_labels
    from core.ocr.tesseract import TesseractBaseline, TesseractMissing

    if baseline not in (None, "tesseract"):
        raise fail(f"--baseline {baseline!r}: the available baseline is tesseract")
    reader = plate_reader(gate, model, model_config)
    with failing_on(LabelsProblem, TesseractMissing, ValueError):
        labelled = load_labels(labels or images / "labels.csv")
        other = TesseractBaseline() if baseline else None
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
                      f"-> voted {pct(voting['voted_accuracy'])}; accepted {pct(voting['single_frame_accepted_share'])} "
                      f"-> {pct(voting['voted_accepted_share'])}, dangerous {pct(voting['single_frame_dangerous_rate'])} "
                      f"-> {pct(voting['voted_dangerous_rate'])}")
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
    with failing_on(ConfigError):
        parsed = load_script(script)
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
    learning_rate: float = typer.Option(3e-3, min=1e-9, help="Peak learning rate of the one-cycle schedule (lower it to fine-tune)."),
) -> None:
    """Train the plate recognizer on synthetic plates and export it to ONNX (needs the train extra: torch)."""
    if init is not None and not init.is_file():  # found out now, not after rendering the whole training set
        raise fail(f"--init {init}: no such file (the .pt weights an earlier run wrote beside its model)")
    try:
        import torch  # noqa: F401
    except ImportError:
        raise fail("training needs PyTorch: pip install torch==2.13.0 (the 'train' extra)") from None
    from core.ocr.recognizer import DEFAULT_MODEL
    from sim.ocr_training import TrainSettings, WeightsMismatch, train

    out = out or DEFAULT_MODEL
    with progress_bar() as bar, failing_on(WeightsMismatch):
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        figures = train(out, out.with_suffix(".yaml"), TrainSettings(samples=samples, epochs=epochs, seed=seed, init=init,
                                                                          learning_rate=learning_rate), progress)
    console.print(f"model written to {out} and {out.with_suffix('.yaml')} (confidence temperature {figures['temperature']:.2f}, "
                  f"weights for fine-tuning in {out.with_suffix('.pt')})")
    console.print(f"measure it before use: baytwin ocr eval --images LABELLED_DIR --out DIR --model {out}")
