"""``baytwin ocr``: synthetic plate images and video, the plate reader, its evaluation and training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from baytwin.group import command_group
from baytwin.common import (
    console,
    err_console,
    fail,
    failing_on,
    needs_extra,
    progress_bar,
)
from baytwin.core.config_error import ConfigError, printable

ocr_app = command_group(help="Synthetic plate images and the plate reader.")

# --- ocr ------------------------------------------------------------------------------------


def parse_degradations(items: list[str]) -> dict[str, int]:
    """``rain=2,mud=1`` (repeatable) -> {"rain": 2, "mud": 1}."""
    from baytwin.sim.imagery.degrade import REGISTRY

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
    viewpoint: str = typer.Option("bay", "--viewpoint", help="--scene frames: 'bay' (a bay camera on a pole ahead of the bays) or 'street' (lower, closer, from the side: larger, turned plates, as phones and street cameras see parked cars)."),
    seed: int = typer.Option(0, help="Random seed."),
    workers: int = typer.Option(1, help="Processes to render with."),
    frames: int = typer.Option(1, min=1, help="Images per vehicle (same plate and conditions), for measuring voting."),
    renderer: str = typer.Option("formats", help="formats: the declared formats' plates; world: any string, many fonts and "
                                                 "designs; independent: the evaluation-only renderer (held-out fonts, its own code)."),
    fonts: str = typer.Option("held-out", help="world renderer: font families from 'training', 'held-out' or 'all'."),
    designs: str = typer.Option("all", help="world renderer: plate designs from 'training', 'held-out' or 'all'."),
    severity_level: Optional[int] = typer.Option(None, "--severity-level", min=0, max=4,
                                                 help="independent renderer: 0 clean, 1-2 legible, 3-4 harsh (default: a mild mix)."),
) -> None:
    """Render labelled synthetic plates (crops or bay-camera frames), degraded as asked."""
    from baytwin.core.plates import load_formats
    from baytwin.sim.imagery.dataset import WORLD_GROUPS, WorldPlates, generate
    from baytwin.sim.imagery.scenes import VIEWPOINTS

    if renderer not in ("formats", "world", "independent"):
        raise fail(f"--renderer {renderer!r}: use formats, world or independent")
    for name, value in (("--fonts", fonts), ("--designs", designs)):
        if value not in WORLD_GROUPS:
            raise fail(f"{name} {value!r}: use one of {', '.join(WORLD_GROUPS)}")
    if viewpoint not in VIEWPOINTS:
        raise fail(f"--viewpoint {viewpoint!r}: use {' or '.join(VIEWPOINTS)}")
    if viewpoint != "bay" and not scenes:
        raise fail("--viewpoint is for --scene frames")
    if renderer != "formats" and (scenes or format_ or frames > 1):
        raise fail(f"--renderer {renderer} draws single plate crops: --scene, --format and --frames are for the formats renderer")
    if renderer == "independent":
        if degrade or random_mix:
            raise fail("--renderer independent has its own degradations: give --severity-level instead of --degrade")
        from baytwin.sim.imagery.independent import generate_independent

        with progress_bar() as bar:
            task = bar.add_task("render", total=n)
            labels = generate_independent(out, n, seed, severity=severity_level,
                                          progress=lambda done, _n: bar.update(task, completed=done))
        console.print(f"{n} images and {labels}")
        return

    known = load_formats()
    for name in format_:
        if name not in known:
            raise fail(f"--format {name!r}: unknown plate format (known: {', '.join(known)})")
    severities = parse_degradations(degrade)
    world = WorldPlates(fonts, designs) if renderer == "world" else None
    with progress_bar() as bar:
        task = bar.add_task("render", total=n)
        labels = generate(out, n, format_ or None, severities, scenes, seed,
                          lambda done, _n: bar.update(task, completed=done), random_mix, workers=workers,
                          frames=frames, world=world, viewpoint=viewpoint)
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
DETECTOR_OPTION = typer.Option(None, "--detector", help="The plate detector: the bundled learned one unless "
                               "named; `classical` for the fast classical one, or an ONNX file with YOLO-style output "
                               "(e.g. one `ocr train-detector` wrote; its .yaml beside it).")
GATE_OPTION = typer.Option(None, "--gate", help="Confidence at or above which a read is accepted (default: the "
                           "model's calibrated threshold, `ocr calibrate`; 0.90 for a model without one).")


def brought_recognizer(model: Path | None, model_config: Path | None):  # type: ignore[no-untyped-def]
    """The recognizer of ``--model`` (None for the bundled one); exit 2 with one line if it is unusable."""
    from baytwin.core.ocr.recognizer import ModelProblem, Recognizer

    if model_config is not None and model is None:
        raise fail("--model-config goes with --model")
    if model is None:
        return None
    if not model.is_file():
        raise fail(f"--model {model}: no such file")
    config = model_config or model.with_suffix(".yaml")
    if not config.is_file():
        raise fail(f"--model {model}: its config {config} does not exist (give it with --model-config)")
    with failing_on(ModelProblem, ConfigError):
        return Recognizer(model, config)


def brought_detector(detector: Path | None):  # type: ignore[no-untyped-def]
    """The detector of ``--detector`` (None: the bundled learned one); exit 2 with one line if it is unusable."""
    from baytwin.core.ocr.detector import DetectorProblem, chosen_detector

    if detector is None:
        return None
    try:
        return chosen_detector(detector)
    except DetectorProblem as err:
        raise fail(f"--detector {err}") from None


def plate_reader(gate: float | None, model: Path | None, model_config: Path | None,  # type: ignore[no-untyped-def]
                 detector: Path | None = None):
    """The reader the command asked for (bundled or brought model and detector), gated at ``gate`` if given,
    else at the model's own threshold; exit 2 with one line if unusable."""
    from baytwin.core.ocr.gate import ConfidenceGate
    from baytwin.core.ocr.pipeline import PlateReader
    from baytwin.core.ocr.recognizer import ModelProblem

    recognizer = brought_recognizer(model, model_config)
    found = brought_detector(detector)
    with failing_on(ModelProblem, ConfigError, ValueError):
        chosen = None if gate is None else ConfidenceGate(accept_at=gate, review_from=min(0.5, gate))
        return PlateReader(recognizer=recognizer, detector=found, gate=chosen)


def parse_roi(text: str):  # type: ignore[no-untyped-def]
    """``x1,y1,x2,y2,x3,y3,...`` -> an ROI; exit 2 with one line if it is not a polygon."""
    import math

    from baytwin.core.ocr.roi import Roi

    try:
        numbers = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise fail(f"--roi {text!r}: not a list of numbers x1,y1,x2,y2,...") from None
    if len(numbers) % 2 or len(numbers) < 6:
        raise fail(f"--roi {text!r}: needs at least 3 points as x,y pairs in the frame's pixels (x1,y1,x2,y2,x3,y3,...)")
    if not all(math.isfinite(v) for v in numbers):
        raise fail(f"--roi {text!r}: coordinates must be finite numbers of pixels (not nan or inf)")
    try:
        return Roi(tuple(zip(numbers[0::2], numbers[1::2])))
    except ValueError as err:
        raise fail(f"--roi {text!r}: {err}") from None


def _site_rois(site_file: Path, camera: str | None):  # type: ignore[no-untyped-def]
    """The site and the ROI of each bay its camera watches; exit 2 with one line naming the problem."""
    from baytwin.core.ocr.roi import Roi
    from baytwin.live.site import load_site

    with failing_on(ConfigError):
        site = load_site(site_file)
    cameras = list(site.spec.cameras)
    if not cameras:
        raise fail(f"--site {site_file}: the site has no cameras, so no bays to read")
    if camera is None:
        if len(cameras) > 1:
            raise fail(f"--site {site_file}: name the camera the frames come from with --camera ({', '.join(cameras)})")
        camera = cameras[0]
    if camera not in site.spec.cameras:
        raise fail(f"--camera {camera!r}: not a camera of {site_file} (it has: {', '.join(cameras)})")
    return site, {bay: Roi(tuple(polygon)) for bay, polygon in site.spec.cameras[camera].bays.items()}


def _roi_in_frame(roi, width: int, height: int) -> bool:  # type: ignore[no-untyped-def]
    xs, ys = [p[0] for p in roi.polygon], [p[1] for p in roi.polygon]
    return max(xs) > 0 and max(ys) > 0 and min(xs) < width and min(ys) < height


def read_image(path: Path, reader, kind: str, rois: dict) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The records one image gives: one for a crop, one per bay with ROIs, one listing every plate without.

    A frame without an ROI is never read as one plate: the most confident plate in view is as likely the
    neighbouring bay's, so every plate is listed and none accepted."""
    from baytwin.core.ocr.detector import ClassicalDetector
    from baytwin.core.ocr.image_file import load_rgb
    from baytwin.core.ocr.image_kind import KindDecision, crop_after_all, decide_kind
    from baytwin.core.ocr.pipeline import NO_ROI

    pixels = load_rgb(path)
    if isinstance(pixels, str):
        return [{"file": str(path), "error": pixels}]
    height, width = pixels.shape[:2]
    decision = KindDecision("scene") if rois else \
        decide_kind(pixels, kind, lambda image: [c.box for c in ClassicalDetector().detect(image)])
    if decision.kind == "crop":
        return [{"file": str(path), "kind": "crop", **reader.read_crops([pixels])[0].as_json()}]
    detected = reader.detector.detect(pixels)
    if rois:
        records = []
        for bay, roi in rois.items():
            where = {"file": str(path), "kind": "scene", **({"bay": bay} if bay is not None else {})}
            if not _roi_in_frame(roi, width, height):
                records.append({**where, "error": f"the region of interest lies outside the {width}x{height} frame"})
            else:
                records.append({**where, **reader.read_frame(pixels, roi, detected).as_json()})
        return records
    plates = reader.read_every_plate(pixels, detected)
    if crop_after_all(decision, len(plates)):  # a large crop?
        return [{"file": str(path), "kind": "crop", **reader.read_crops([pixels])[0].as_json()}]
    listed = [{k: v for k, v in p.as_json().items() if k != "why"} for p in plates]
    # how many places looked like a plate: "no plate in view" and "a plate no one can read" ask different fixes
    return [{"file": str(path), "kind": "scene", "plate": None,
             "status": "review" if any(p.status == "review" for p in plates) else "unreadable",
             "why": NO_ROI, "plates": listed, "candidates": len(detected)}]


def _print_read(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(record))
        return
    # a file name is whatever the folder holds: its escape codes are shown, not obeyed
    where = printable(record["file"] + (f" bay {record['bay']}" if "bay" in record else ""))
    if "error" in record:
        err_console.print(f"{where}: error: {record['error']}", highlight=False, markup=False, soft_wrap=True)
    elif "plates" in record:
        found = "; ".join(f"{p['plate']} ({p['status']}, {p['confidence']:.3f}) at {','.join(map(str, p['bbox']))}"
                          for p in record["plates"])
        console.print(f"{where}: {found or _nothing_read(record.get('candidates', 0))} [{record['why']}]",
                      highlight=False, markup=False, soft_wrap=True)
    else:
        console.print(f"{where}: {record['plate'] or '-'} ({record['status']}, {record['confidence']:.3f})",
                      highlight=False, markup=False, soft_wrap=True)


def _nothing_read(candidates: int) -> str:
    if not candidates:
        return "no plate in view"
    places = "1 place" if candidates == 1 else f"{candidates} places"
    return f"no readable plate ({places} in view looked like a plate; none read as one)"


@ocr_app.command("read")
def ocr_read(
    paths: list[Path] = typer.Argument(..., help="Image files or folders (plate crops or camera frames)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per image (per bay, with --site)."),
    kind: str = typer.Option("auto", help="auto | crop | scene: whether images are plate crops or whole frames."),
    roi: Optional[str] = typer.Option(None, "--roi", help="The bay's region of interest in the frames' pixels, "
                                      "x1,y1,x2,y2,x3,y3,...: only a plate inside it is read (and may be accepted)."),
    site_file: Optional[Path] = typer.Option(None, "--site", help="A live site file: read each bay of --camera "
                                             "in its own ROI, with the site's recognizer and gate."),
    camera: Optional[str] = typer.Option(None, "--camera", help="The --site camera the frames come from "
                                         "(needed when the site has several)."),
    gate: Optional[float] = GATE_OPTION,
    model: Optional[Path] = MODEL_OPTION,
    model_config: Optional[Path] = MODEL_CONFIG_OPTION,
    detector: Optional[Path] = DETECTOR_OPTION,
) -> None:
    """Read plates; a file that cannot be read gets its own error and the batch goes on (exit 1 if any did).

    A whole frame without --roi or --site lists every plate in view and accepts none: which one is the
    bay's is a question of where it stands, not of how confidently it reads."""
    from baytwin.core.ocr.recognizer import ModelProblem

    if kind not in ("auto", "crop", "scene"):
        raise fail(f"--kind {kind!r}: use auto, crop or scene")
    if camera is not None and site_file is None:
        raise fail("--camera goes with --site")
    if roi is not None and site_file is not None:
        raise fail("give the bay's ROI with --roi or take the bays' from --site, not both")
    if kind == "crop" and (roi is not None or site_file is not None):
        raise fail("--roi and --site locate plates in whole frames; they do not go with --kind crop")
    rois: dict[str | None, Any] = {}
    if roi is not None:
        rois = {None: parse_roi(roi)}
    if site_file is not None:
        from baytwin.live.reader import site_reader

        from baytwin.core.ocr.detector import DetectorProblem

        site, rois = _site_rois(site_file, camera)  # type: ignore[assignment]
        recognizer = brought_recognizer(model, model_config)
        found = brought_detector(detector)
        with failing_on(ModelProblem, DetectorProblem, ConfigError, ValueError):
            reader = site_reader(site, recognizer, gate, found)
    else:
        reader = plate_reader(gate, model, model_config, detector)
    failures = 0
    for path in _image_paths(paths):
        for record in read_image(path, reader, kind, rois):
            failures += "error" in record
            _print_read(record, as_json)
    if failures:
        raise typer.Exit(1)


@ocr_app.command("eval")
def ocr_eval(
    images: Path = typer.Option(..., "--images", help="Folder of labelled images (as `ocr generate` writes)."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="labels.csv (default: the one in --images)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for report.json, CSV tables, chart and misreads."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Also run this reader on the same crops: tesseract."),
    gate: Optional[float] = GATE_OPTION,
    model: Optional[Path] = MODEL_OPTION,
    model_config: Optional[Path] = MODEL_CONFIG_OPTION,
    detector: Optional[Path] = DETECTOR_OPTION,
    kind: str = typer.Option("auto", help="auto | crop | scene: whether images labelled without an ROI are plate crops "
                                          "or whole photos (each of one vehicle, read through the detector)."),
) -> None:
    """Measure the reader on labelled images: accuracy per degradation and severity, confusions, voting gain,
    dangerous reads (wrong yet accepted), crops/s and frame latency; on whole frames with plate corners, the
    detector's recall."""
    from baytwin.core.ocr import detection_recall
    from baytwin.core.ocr.detector import DetectorProblem
    from baytwin.core.ocr.eval_report import write_report
    from baytwin.core.ocr.evaluation import LabelsProblem, evaluate, load_labels
    from baytwin.core.ocr.tesseract import TesseractBaseline, TesseractMissing

    if baseline not in (None, "tesseract"):
        raise fail(f"--baseline {baseline!r}: the available baseline is tesseract")
    if kind not in ("auto", "crop", "scene"):
        raise fail(f"--kind {kind!r}: use auto, crop or scene")
    reader = plate_reader(gate, model, model_config, detector)
    labels_file = labels or images / "labels.csv"
    with failing_on(LabelsProblem, detection_recall.SceneLabelsProblem, TesseractMissing, ValueError):
        labelled = load_labels(labels_file)
        scenes = detection_recall.load_scene_labels(labels_file)
        other = TesseractBaseline() if baseline else None
    with progress_bar() as bar, failing_on(DetectorProblem):
        task = bar.add_task("read", total=len(labelled))
        evaluation = evaluate(images, labelled, reader, other, lambda done, _n: bar.update(task, completed=done), kind)
        if scenes:
            task = bar.add_task("detect", total=len(scenes))
            evaluation.detection = detection_recall.measure(images, scenes, reader.detector,
                                                            lambda done, _n: bar.update(task, completed=done))
    report = write_report(evaluation, out)
    _print_eval(report)
    who = evaluation.reader or {}
    console.print(f"read with {who.get('model')} (sha256 {who.get('sha256')}…, accepted from {who.get('accept_at')}) "
                  f"and the {who.get('detector')} detector", highlight=False, soft_wrap=True)
    from baytwin.core.ocr.evaluation import GROUP_COLUMNS

    groups = "".join(f"by_{c}.csv, " for c in GROUP_COLUMNS if f"by_{c}" in report)
    console.print(f"report written to {out / 'report.json'} (tables: by_condition.csv, {groups}reads.csv, confusions.csv; "
                  f"chart: accuracy_by_condition.png; misread crops: misreads/)")


def _print_eval(report: dict[str, Any]) -> None:
    from rich.table import Table

    def pct(value: Any) -> str:
        return "-" if value is None else f"{100 * value:.1f} %"

    speed, voting = report["speed"], report["voting"]
    console.print(f"{report['images']} images, {len(report['errors'])} unreadable files; exact plate {pct(report['exact_plate_accuracy'])}, "
                  f"characters {pct(report['char_accuracy'])}; dangerous (wrong but accepted) {pct(report['dangerous_read_rate'])}")
    photos = report["read_as"].get("photo", 0)
    if photos:
        console.print(f"{photos} whole photos labelled without an ROI, each read as one vehicle's view (the whole image its "
                      f"region of interest; --kind crop reads them as crops)")
    if voting["vehicles"]:
        console.print(f"voting over {voting['vehicles']} vehicles: single frame {pct(voting['single_frame_accuracy'])} "
                      f"-> voted {pct(voting['voted_accuracy'])}; accepted {pct(voting['single_frame_accepted_share'])} "
                      f"-> {pct(voting['voted_accepted_share'])}, dangerous {pct(voting['single_frame_dangerous_rate'])} "
                      f"-> {pct(voting['voted_dangerous_rate'])}")
    if speed["crops_per_second"]:
        console.print(f"recognition {speed['crops_per_second']:.0f} crops/s")
    if speed["frames"]:
        console.print(f"frame latency p50 {speed['frame_latency_ms_p50']} ms, p95 {speed['frame_latency_ms_p95']} ms")
    found = report.get("detection")
    if found:
        own = f", own bay's {pct(found['own_recall'])}, neighbours' {pct(found['neighbour_recall'])}" \
            if found["neighbour_plates"] else ""
        console.print(f"detection recall (IoU > {found['iou_threshold']}) {pct(found['recall'])}: {found['found']} of "
                      f"{found['plates']} plates in {found['images']} frames{own}; {found['false_per_image']} other finds "
                      f"per frame, p50 {found['latency_ms_p50']} ms")
    cut = report.get("at_labelled_corners")
    if cut:
        console.print(f"the reader alone, on the {cut['plates']} plates cut out at their labelled corners: exact "
                      f"{pct(cut['exact_plate_accuracy'])}, accepted {pct(cut['accepted_share'])}, dangerous "
                      f"{pct(cut['dangerous_read_rate'])} (end to end, the rest is the detector's)")
    whole = report.get("without_roi")
    if whole:
        roi = whole["with_roi"]
        console.print(f"{whole['frames']} frames read without their ROI ({whole['frames_with_neighbour']} with a neighbour's "
                      f"plate in view): the most confident plate is the bay's {pct(whole['exact_plate_accuracy'])}, the "
                      f"neighbour's {pct(whole['neighbour_read_share'])}; accepting it would pass {pct(whole['would_accept_share'])}, "
                      f"dangerous {pct(whole['dangerous_read_rate'])} (the neighbour's {pct(whole['neighbour_dangerous_rate'])}), "
                      f"so none is accepted (accepted {pct(whole['accepted_share'])}); with the ROI: exact "
                      f"{pct(roi['exact_plate_accuracy'])}, accepted {pct(roi['accepted_share'])}, dangerous {pct(roi['dangerous_read_rate'])}")
    table = Table("condition", "severity", "images", "exact", "dangerous", *(["baseline"] if "baseline" in report else []))
    for row in report["by_condition"]:
        extra = [pct(row.get("baseline_exact_plate_accuracy"))] if "baseline" in report else []
        table.add_row(row["condition"], str(row["severity"]), str(row["images"]), pct(row["exact_plate_accuracy"]),
                      pct(row["dangerous_read_rate"]), *extra)
    console.print(table)
    from baytwin.core.ocr.evaluation import GROUP_COLUMNS

    for column in GROUP_COLUMNS:
        if report.get(f"by_{column}"):
            groups = Table(column, "images", "exact", "accepted", "dangerous")
            for row in report[f"by_{column}"]:
                groups.add_row(str(row[column]), str(row["images"]), pct(row["exact_plate_accuracy"]),
                               pct(row["accepted_share"]), pct(row["dangerous_read_rate"]))
            console.print(groups)


@ocr_app.command("calibrate")
def ocr_calibrate(
    images: Path = typer.Option(..., "--images", help="Folder of labelled images (labels.csv, as for `ocr eval`); "
                                "at least 200, like the site's own cameras' if it can."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="labels.csv (default: the one in --images)."),
    max_wrong_accepted: float = typer.Option(0.005, "--max-wrong-accepted", min=0.0, max=0.5,
                                             help="Share of all reads that may be wrong yet accepted."),
    review_right_share: float = typer.Option(1 / 3, "--review-right-share", min=0.01, max=1.0,
                                             help="Reads right less often than this (at their confidence) are "
                                             "withheld as unreadable rather than sent for review."),
    model: Optional[Path] = MODEL_OPTION,
    model_config: Optional[Path] = MODEL_CONFIG_OPTION,
) -> None:
    """Choose the model's acceptance threshold on labelled images (the lowest that keeps wrong yet accepted reads
    within the bound), then its review floor (the lowest confidence at which reads are still right often enough to
    be worth a person's look), and write both into the model's config; readers use them from then on."""
    import datetime

    from baytwin.core.ocr.calibration import (
        CalibrationProblem,
        choose_review_floor,
        choose_threshold,
        first_look_reads,
        gated_reads,
        write_threshold,
    )
    from baytwin.core.ocr.evaluation import LabelsProblem, load_labels
    from baytwin.core.ocr.recognizer import DEFAULT_CONFIG, Recognizer

    recognizer = brought_recognizer(model, model_config) or Recognizer()
    config = (model_config or model.with_suffix(".yaml")) if model is not None else DEFAULT_CONFIG
    with failing_on(LabelsProblem, CalibrationProblem):
        labelled = load_labels(labels or images / "labels.csv")
        with progress_bar() as bar:
            task = bar.add_task("read", total=len(labelled)) if labelled else None
            reads = first_look_reads(images, labelled, recognizer,
                                     lambda done, _n: bar.update(task, completed=done))  # type: ignore[arg-type]
        chosen = choose_threshold(reads, max_wrong_accepted)
        with progress_bar() as bar:
            task = bar.add_task("read again, every look", total=len(labelled))
            final = gated_reads(images, labelled, recognizer, chosen.threshold,
                                lambda done, _n: bar.update(task, completed=done))  # type: ignore[arg-type]
        review = choose_review_floor(final, chosen.threshold, review_right_share)
    with failing_on(ConfigError):
        write_threshold(config, chosen, datetime.date.today().isoformat(), review)
    wrong = round(chosen.wrong_accepted_share * chosen.images)
    console.print(f"threshold {chosen.threshold:.3f} on {chosen.images} images: accepted {100 * chosen.accepted_share:.1f} %, "
                  f"wrong yet accepted {100 * chosen.wrong_accepted_share:.2f} % ({wrong} read{'' if wrong == 1 else 's'}; bound "
                  f"{100 * max_wrong_accepted:.2f} %)", highlight=False)
    console.print(f"review floor {review.threshold:.3f}: reads right at least {100 * review.min_right_share:.0f} % of the time "
                  f"from there; {100 * review.reviewed_share:.1f} % of reads go to review, {100 * review.withheld_share:.1f} % "
                  "are withheld as unreadable", highlight=False)
    console.print(f"written to {config} as accept_threshold and review_threshold; ocr read, ocr eval and live sites reading with this model "
                  "use it unless given a gate of their own", highlight=False, soft_wrap=True)


@ocr_app.command("quantize")
def ocr_quantize(
    out: Path = typer.Option(..., "--out", help="The 8-bit model to write (.onnx); its config (.yaml) beside it."),
    model: Optional[Path] = typer.Option(None, "--model", help="The recognizer (ONNX) to quantize (default: the "
                                         "bundled general reader); its config beside it, or --model-config."),
    model_config: Optional[Path] = MODEL_CONFIG_OPTION,
    images: Optional[Path] = typer.Option(None, "--images", help="Plate crops to measure the activations' ranges on "
                                          "(a folder, searched whole): a site's own are best. Default: crops "
                                          "rendered as training draws them, from seeds no training, evaluation "
                                          "or calibration uses."),
    samples: int = typer.Option(1000, "--samples", min=50, max=20_000, help="Crops to measure on (at most)."),
) -> None:
    """Write an 8-bit copy of a recognizer (about twice as fast on a CPU with 8-bit dot products), then calibrate
    its gate with `ocr calibrate --model OUT` and measure it with `ocr eval --model OUT` before use (needs the
    train extra: onnx)."""
    import datetime

    import yaml

    needs_extra("baytwin ocr quantize", "train")
    from baytwin.core.ocr.image_file import load_rgb
    from baytwin.core.ocr.quantize import QuantizeProblem, quantize_reader
    from baytwin.core.ocr.recognizer import GENERAL_CONFIG, GENERAL_MODEL

    if out.suffix.lower() != ".onnx":
        raise fail(f"--out {out}: name the model file, ending in .onnx")
    if images is not None and not images.is_dir():
        raise fail(f"--images {images}: no such folder")
    recognizer = brought_recognizer(model, model_config)
    source, config = (model, model_config or model.with_suffix(".yaml")) if model is not None else (GENERAL_MODEL, GENERAL_CONFIG)
    if out.resolve() == source.resolve() or out.with_suffix(".yaml").resolve() == config.resolve():
        raise fail(f"--out {out}: would overwrite the model it is made from; name another file")
    if recognizer is None:
        from baytwin.core.ocr.recognizer import Recognizer

        recognizer = Recognizer(GENERAL_MODEL, GENERAL_CONFIG)
    crops: list[Any] = []
    with progress_bar() as bar:
        if images is not None:
            paths = _image_paths([images])[:samples]
            task = bar.add_task("load crops", total=len(paths))
            for path in paths:
                loaded = load_rgb(path)
                if isinstance(loaded, str):
                    err_console.print(f"{path}: {loaded}; skipped", highlight=False, soft_wrap=True)
                else:
                    crops.append(loaded)
                bar.advance(task)
        else:
            from baytwin.sim.imagery.font_pool import FontPoolProblem
            from baytwin.sim.ocr_training import QUANTIZE_FIRST_SEED, training_sample

            task = bar.add_task("render crops", total=samples)
            with failing_on(FontPoolProblem):
                for seed in range(QUANTIZE_FIRST_SEED, QUANTIZE_FIRST_SEED + samples):
                    crops.append(training_sample(seed)[0])
                    bar.advance(task)
    if not crops:
        raise fail(f"--images {images}: no readable images to measure on")
    out.parent.mkdir(parents=True, exist_ok=True)
    batches = (recognizer.preprocess(crops[i:i + 64]) for i in range(0, len(crops), 64))
    with failing_on(QuantizeProblem):
        measured = quantize_reader(source, out, batches)
    settings = yaml.safe_load(config.read_text())
    settings["quantized"] = {"from": source.name, "crops": measured, "date": datetime.date.today().isoformat(),
                             "measured_on": str(images.name) if images is not None else "rendered training crops"}
    out.with_suffix(".yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    console.print(f"8-bit model written to {out} and {out.with_suffix('.yaml')} (ranges measured on {measured} crops); "
                  "its gate is still the float model's:", highlight=False, soft_wrap=True)
    console.print(f"  baytwin ocr calibrate --images LABELLED_DIR --model {out}", highlight=False, soft_wrap=True)
    console.print(f"  baytwin ocr eval --images LABELLED_DIR --out DIR --model {out}", highlight=False, soft_wrap=True)


@ocr_app.command("video")
def ocr_video(
    script: Path = typer.Option(..., "--script", help="Video script (YAML): bays, neighbour, visits."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for bay-camera.mp4 and its sidecar bay-camera.yaml."),
    fps: float = typer.Option(5.0, help="Frames per second of video."),
    size: str = typer.Option("1280x720", help="Frame size, WIDTHxHEIGHT."),
    seed: int = typer.Option(0, help="Random seed (cars, paint, camera pose)."),
) -> None:
    """Render a fixed bay camera's video over a scripted timeline, with each bay's ROI and the ground truth."""
    from baytwin.sim.imagery.video import render_video
    from baytwin.sim.imagery.video_script import load_script

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
    labelled: Optional[list[Path]] = typer.Option(None, "--labelled", help="A folder with labels.csv (reviewed or real crops) to learn from as well; repeat for more."),
    labelled_share: float = typer.Option(0.3, min=0.01, max=1.0, help="Share of the training set the labelled crops fill (repeated as needed)."),
    backbone_only: bool = typer.Option(False, "--init-backbone-only", help="Take only the convolutions from --init (a recognizer of another input size or slot count)."),
    run_folder: Optional[Path] = typer.Option(None, "--run-folder", help="Keep the rendered data and the training state here; started again with the same settings, training continues from the last save."),
    colour: bool = typer.Option(False, "--colour", help="Train a reader that sees colour (and reads grey crops as well); from a grey reader's --init weights it starts reading exactly as that reader did."),
    across_columns: Optional[bool] = typer.Option(None, "--across-columns/--no-across-columns", help="An LSTM along the feature columns, so each character is read in the whole plate's context. Default: as --init has; added to --init weights without one, it starts as a no-op, reading as they did."),
    lookalike_pairs: float = typer.Option(0.3, "--lookalike-pairs", min=0.0, max=1.0, help="Share of the world renderer's training plates drawn with two look-alikes (O and 0, I and 1 ...) side by side, so the reader learns what tells them apart in each font."),
    turned: float = typer.Option(0.0, "--turned-plates", min=0.0, max=1.0, help="Share of the world renderer's training plates seen from well off their axis (rolled up to 12 degrees, far side shorter, slanted) and cut out by their upright box, as a phone or a street camera beside a car sees them."),
    lookalike_letters: float = typer.Option(0.0, "--lookalike-letters", min=0.0, max=1.0, help="Share of the 0s and 1s of the world renderer's training plates drawn as O and I, so that the shape and not the neighbouring digits decides."),
    avoid_ambiguous: bool = typer.Option(False, "--avoid-ambiguous/--fold-ambiguous", help="In a font that draws a letter exactly as a digit (O as 0), draw neither on its training plates, rather than the letter labelled as the digit."),
    reshaped: float = typer.Option(0.0, "--reshaped-glyphs", min=0.0, max=1.0, help="Share of the world renderer's training plates whose characters are bent, thinned or rounded a little: shapes between the training fonts', for type the reader has never seen."),
    two_line: float = typer.Option(0.15, "--two-line-plates", min=0.0, max=1.0, help="Share of the world renderer's training plates of three characters or more drawn on two lines (besides its stacked design), as motorcycle and square plates are."),
    detector_cuts: float = typer.Option(0.0, "--detector-cuts", min=0.0, max=1.0, help="Share of all training crops cut out of rendered bay and street frames as a site cuts them (the bundled learned detector in the bay's ROI, warped and set upright): the crops a site's reader is handed."),
    letterbox: bool = typer.Option(False, "--letterbox", help="Fit every crop onto the reader's input whole, padded, rather than stretched, so a character's width against its height (O against 0) survives; the model's config says so, and reading fits crops the same way."),
    blocks: Optional[int] = typer.Option(None, "--blocks", min=0, max=12, help="Residual blocks (capacity; four read about 15 % fewer crops a second than two). Default: as many as --init has (2 if it has none, or without --init); more than --init has grows it, starting from what it reads; fewer keeps its strongest."),
    widths: Optional[str] = typer.Option(None, "--widths", help="Channels of the first four convolutions, e.g. 24,32,64,64 (narrower reads faster). Default: as --init has, else 24,48,64,96; narrower than --init keeps each layer's strongest channels."),
    teacher: Optional[Path] = typer.Option(None, "--teacher", help="A trained reader's .pt (e.g. core/ocr/models/general_reader.pt) whose step probabilities the network learns beside the labels: how a narrower reader gets back what a wide one read."),
    teacher_weight: float = typer.Option(1.0, "--teacher-weight", min=0.0, max=100.0, help="Weight of the teacher's term beside the labels' loss."),
) -> None:
    """Train the plate recognizer on synthetic plates (and labelled folders) and export it to ONNX (needs the train extra: torch)."""
    if init is not None and not init.is_file():  # found out now, not after rendering the whole training set
        raise fail(f"--init {init}: no such file (the .pt weights an earlier run wrote beside its model)")
    if teacher is not None and not teacher.is_file():
        raise fail(f"--teacher {teacher}: no such file (the .pt weights written beside a trained reader)")
    feature_widths = _widths(widths) if widths is not None else None
    for folder in labelled or []:
        if not (folder / "labels.csv").is_file():
            raise fail(f"--labelled {folder}: no labels.csv there (columns file,plate)")
    needs_extra("baytwin ocr train", "train")  # found out before anything is rendered
    from baytwin.core.ocr.recognizer import GENERAL_MODEL
    from baytwin.sim.imagery.font_pool import FontPoolProblem
    from baytwin.sim.ocr_training import LabelledProblem, TrainSettings, WeightsMismatch, WorldMix, train
    from baytwin.sim.training_run import RunFolderMismatch

    out = out or GENERAL_MODEL
    with progress_bar() as bar, failing_on(WeightsMismatch, LabelledProblem, FontPoolProblem, RunFolderMismatch):
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        figures = train(out, out.with_suffix(".yaml"), TrainSettings(samples=samples, epochs=epochs, seed=seed, init=init,
                                                                          learning_rate=learning_rate,
                                                                          init_backbone_only=backbone_only,
                                                                          labelled=tuple(labelled or ()),
                                                                          labelled_share=labelled_share,
                                                                          run_folder=run_folder, colour=colour,
                                                                          blocks=blocks, across_columns=across_columns,
                                                                          widths=feature_widths, teacher=teacher,
                                                                          teacher_weight=teacher_weight,
                                                                          mix=WorldMix(lookalike_pairs=lookalike_pairs, turned=turned,
                                                                                       lookalike_letters=lookalike_letters,
                                                                                       avoid_ambiguous=avoid_ambiguous,
                                                                                       reshaped=reshaped, letterboxed=letterbox,
                                                                                       two_line=two_line, detector_cuts=detector_cuts)),
                    progress)
    console.print(f"model written to {out} and {out.with_suffix('.yaml')} (confidence temperature {figures['temperature']:.2f}, "
                  f"weights for fine-tuning in {out.with_suffix('.pt')})")
    console.print(f"measure it before use: baytwin ocr eval --images LABELLED_DIR --out DIR --model {out}")


def _widths(text: str) -> tuple[int, ...]:
    """``--widths 24,32,64,64`` as four channel counts, or a one-line error."""
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise fail(f"--widths {text!r}: four whole numbers separated by commas, e.g. 24,32,64,64") from None
    if len(widths) != 4 or not all(1 <= w <= 512 for w in widths):
        raise fail(f"--widths {text!r}: four channel counts between 1 and 512, e.g. 24,32,64,64")
    return widths


@ocr_app.command("train-detector")
def ocr_train_detector(
    samples: int = typer.Option(6_000, min=0, help="Bay-camera scenes to render for training."),
    epochs: int = typer.Option(8, min=1, help="Passes over them (each a fresh patch of every frame)."),
    seed: int = typer.Option(0, help="Training seed (evaluation seeds are never used)."),
    out: Path = typer.Option(Path("plate_detector.onnx"), "--out", help="ONNX detector to write; its .yaml and .pt beside it."),
    scenes: Optional[list[Path]] = typer.Option(None, "--scenes", help="A folder of real photos with plate corners "
                                                "(labels.csv: file, x1,y1 .. x4,y4) to learn from as well; repeat for more."),
    scenes_share: float = typer.Option(0.3, min=0.01, max=0.95, help="Share of the training frames the --scenes photos fill (repeated as needed)."),
    workers: int = typer.Option(2, min=1, help="Processes to render with."),
    street_share: float = typer.Option(0.0, "--street-share", min=0.0, max=1.0, help="Share of the rendered frames seen from the street (lower, closer, from the side: larger, turned plates, as phones and street cameras see parked cars) instead of by a bay camera."),
    init: Optional[Path] = typer.Option(None, "--init", help="Start from these weights (the .pt an earlier run wrote beside its detector, e.g. core/ocr/models/plate_detector.pt) to fine-tune."),
    learning_rate: float = typer.Option(2e-3, "--learning-rate", min=1e-6, max=1.0, help="Peak learning rate (lower it to fine-tune from --init)."),
) -> None:
    """Train the learned plate detector on rendered bay-camera scenes (and real photos with plate corners) and
    export it to ONNX for --detector and a site's ocr.detector (needs the train extra: torch)."""
    for folder in scenes or []:
        if not (folder / "labels.csv").is_file():
            raise fail(f"--scenes {folder}: no labels.csv there (columns file and x1,y1 .. x4,y4)")
    if samples == 0 and not scenes:
        raise fail("--samples 0 without --scenes leaves nothing to train on")
    if init is not None and not init.is_file():
        raise fail(f"--init {init}: no such file (the .pt weights an earlier run wrote beside its detector)")
    if out.suffix.lower() != ".onnx":
        raise fail(f"--out {out}: name the model file, ending in .onnx")
    needs_extra("baytwin ocr train-detector", "train")
    from baytwin.sim.detector_training import DetectorSettings, DetectorWeightsProblem, ScenesProblem, train

    settings = DetectorSettings(samples=samples, epochs=epochs, seed=seed, scenes=tuple(scenes or ()),
                                scenes_share=scenes_share, workers=workers, street_share=street_share, init=init,
                                learning_rate=learning_rate)
    with progress_bar() as bar, failing_on(ScenesProblem, DetectorWeightsProblem):  # train() reads the folders before it renders anything
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        figures = train(out, settings, progress)
    console.print(f"detector written to {out} and {out.with_suffix('.yaml')} ({figures['frames']:.0f} frames, "
                  f"{figures['real_photos']:.0f} of them real photos; weights in {out.with_suffix('.pt')})")
    console.print(f"measure it before use: baytwin ocr eval --images SCENES_DIR --out DIR --detector {out}")
