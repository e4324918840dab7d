"""Measuring the plate reader on labelled images: how often it is right, where and how it fails, how fast.

QA points this at a folder written by ``baytwin ocr generate`` (or any folder
with a ``labels.csv`` in the same columns: at least ``file`` and ``plate``;
``vehicle``, ``format``, the degradation severities and ``roi`` when known)
and gets one figure per degradation and severity, so a site knows before it
relies on the cameras what rain, night or mud will cost.

Crops are read in batches (that is how a busy site reads them), frames one
at a time through detection, as a camera delivers them. Images labelled with
the same ``vehicle`` are also voted into one read per vehicle, and the
difference from single frames is the voting gain. A read is *dangerous* when
it is wrong and still passed the confidence gate: those are the reads that
would bill the wrong driver.

Frames are also read without their ROI, as a whole frame: the reader then
accepts nothing (the most confident plate in view may be the neighbour's), and
the figure says what accepting it would have cost: how often the most
confident plate is the neighbour's, and how often a wrong plate (the
neighbour's above all) would have passed the gate. Labels may name each
plate's ``font`` and ``design`` (real plates: their ``country``); the figures are then given per font, per
design and per country too, so a typeface or a plate design the reader has not learnt shows.
"""

from __future__ import annotations

import difflib
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from baytwin.core.csv_rows import read_csv_rows
from baytwin.core.ocr.image_file import load_rgb
from baytwin.core.ocr.pipeline import PlateReader, PlateResult
from baytwin.core.ocr.rectify import rectified_crop, upright_characters
from baytwin.core.ocr.roi import Roi
from baytwin.core.ocr.voting import FrameRead, vote
from baytwin.core.plates import normalize, sanitize

CLEAN = "clean"
#: labels.csv columns that describe the image; every other column is a condition with a severity 0-4.
#: (A reviewed crop's ``source``, ``reviewer``, ``decided_at``... say where its label came from.)
DESCRIPTIVE_COLUMNS = frozenset({"file", "vehicle", "plate", "format", "style", "x1", "y1", "x2", "y2", "x3", "y3",
                                 "x4", "y4", "roi", "neighbour_plate", "neighbour_corners", "font", "design",
                                 "source", "reviewer", "decided_at", "decision", "bay", "read_as", "country",
                                 "severity", "lines"})
#: Descriptive columns the figures are also grouped by (report.json ``by_<column>``).
GROUP_COLUMNS = ("font", "design", "country")
CORNERS = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
BATCH = 256
Progress = Callable[[int, int], None]


class LabelsProblem(Exception):
    """labels.csv cannot be used; the message names the file, row and column."""


@dataclass(frozen=True, slots=True)
class LabelledImage:
    file: str  # relative to the labels file's folder
    plate: str
    vehicle: str
    format: str | None
    severities: dict[str, int]  # only degradations actually applied (severity > 0)
    roi: tuple[tuple[float, float], ...] | None  # a frame's bay ROI; None for a plate crop
    neighbour_plate: str | None = None  # a frame's neighbouring bay's plate in view, if any
    font: str | None = None
    design: str | None = None
    country: str | None = None  # real plates: where they were issued
    photo: bool = False  # a whole photo labelled without an ROI: read as one vehicle's view, the whole image its ROI
    corners: tuple[tuple[float, float], ...] | None = None  # the plate's corners in a whole frame or photo, if labelled

    @property
    def is_frame(self) -> bool:
        return self.roi is not None

    @property
    def read_as(self) -> str:
        """How it was read: ``crop``, ``frame`` (a bay's ROI labelled) or ``photo`` (the whole image its ROI)."""
        return "photo" if self.photo else "frame" if self.is_frame else "crop"

    @property
    def conditions(self) -> list[tuple[str, int]]:
        """The (degradation, severity) cells this image counts in; ("clean", 0) when none."""
        return sorted(self.severities.items()) or [(CLEAN, 0)]


@dataclass(frozen=True, slots=True)
class WholeFrameRead:
    """A frame read without its ROI: the most confident plate in view, and what the gate would have made of it."""

    read: str | None
    status: str  # as the reader reports it: never accepted without an ROI
    gate_status: str  # what the gate alone would have decided: "accepted" here is what the ROI rule prevents


@dataclass(slots=True)
class ImageRead:
    image: LabelledImage
    read: str | None
    raw: str | None
    confidence: float
    status: str
    baseline: str | None = None
    error: str | None = None
    crop: np.ndarray | None = field(default=None, repr=False)
    frame_read: FrameRead | None = field(default=None, repr=False)
    whole_frame: WholeFrameRead | None = None  # frames only
    at_corners: tuple[str | None, str] | None = None  # (read, status) of the plate cut at its labelled corners

    @property
    def correct(self) -> bool:
        return self.read == self.image.plate

    @property
    def dangerous(self) -> bool:
        return self.status == "accepted" and not self.correct


@dataclass(frozen=True, slots=True)
class VotedVehicle:
    """A vehicle seen in several images, its frames voted into one read, gated like any other."""

    read: str | None
    truth: str
    status: str

    @property
    def correct(self) -> bool:
        return self.read == self.truth

    @property
    def dangerous(self) -> bool:
        return self.status == "accepted" and not self.correct


def load_labels(labels: Path) -> list[LabelledImage]:
    """The rows of a labels.csv, checked; a clear error names the file, row and column of a bad one.

    Plates are compared as the reader writes them: upper-case letters and digits, spaces, dashes and dots
    dropped (:func:`~core.plates.sanitize`), so a label written ``ab 123-cd`` is the plate ``AB123CD``.
    Columns other than the descriptive ones (DESCRIPTIVE_COLUMNS) are
    conditions: a degradation of the renderer, or any condition a site labels
    its own images with (``rain``, ``night``...), each a severity 0-4.
    """
    columns, rows = read_csv_rows(labels, lambda reason: LabelsProblem(f"{labels}: {reason}"), "no such labels file")
    for needed in ("file", "plate"):
        if needed not in columns:
            raise LabelsProblem(f"{labels}: column {needed!r} is missing (columns: {', '.join(columns) or 'none'})")
    conditions = [c for c in columns if c not in DESCRIPTIVE_COLUMNS]
    images = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        severities: dict[str, int] = {}
        for name in conditions:
            value = (row.get(name) or "0").strip()
            try:
                severity = int(value)
            except ValueError:
                raise LabelsProblem(f"{labels}: row {number}, column {name!r}: {value!r} is not a severity 0-4") from None
            if not 0 <= severity <= 4:
                raise LabelsProblem(f"{labels}: row {number}, column {name!r}: {severity} is not a severity 0-4")
            if severity:
                severities[name] = severity
        roi = None
        if row.get("roi"):
            try:
                roi = tuple((float(x), float(y)) for x, y in json.loads(row["roi"]))
            except (ValueError, TypeError):
                raise LabelsProblem(f"{labels}: row {number}, column 'roi': not a JSON list of [x, y] points") from None
        written = (row.get("plate") or "").strip()
        plate = sanitize(written)  # as the reader writes plates: "ab 123-cd" is AB123CD
        if written and not plate:
            raise LabelsProblem(f"{labels}: row {number}, column 'plate': {written!r} has no letters or digits")
        if row.get("file") and not plate and all((row.get(c) or "").strip() for c in CORNERS):
            continue  # a photo labelled with its plate's corners only: for detection recall, not for reading
        if not row.get("file") or not plate:
            raise LabelsProblem(f"{labels}: row {number}: 'file' and 'plate' must not be empty")
        neighbour = sanitize(row.get("neighbour_plate") or "") or None
        images.append(LabelledImage(row["file"], plate, row.get("vehicle") or str(number), row.get("format") or None,
                                    severities, roi, neighbour, (row.get("font") or "").strip() or None,
                                    (row.get("design") or "").strip() or None, (row.get("country") or "").strip() or None,
                                    corners=_corners(row, labels, number)))
    return images


def _corners(row: dict[str, str], labels: Path, number: int) -> tuple[tuple[float, float], ...] | None:
    values = [(row.get(c) or "").strip() for c in CORNERS]
    if not all(values):
        return None
    try:
        points = [float(v) for v in values]
    except ValueError:
        raise LabelsProblem(f"{labels}: row {number}: plate corners x1..y4 must be numbers") from None
    if not all(np.isfinite(points)):
        raise LabelsProblem(f"{labels}: row {number}: plate corners x1..y4 must be finite")
    return tuple(zip(points[0::2], points[1::2]))


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Timing:
    crops: int = 0
    crop_seconds: float = 0.0
    frame_latencies: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Evaluation:
    reads: list[ImageRead]
    voted: dict[str, VotedVehicle]  # for vehicles seen in 2+ images
    timing: Timing
    baseline: str | None
    detection: dict[str, object] | None = None  # the detector's recall on frames with plate corners (detection_recall)
    reader: dict[str, object] | None = None  # what read (PlateReader.identity): model file and hash, gate, detector


class Baseline:
    """Another reader run on the same crops for comparison (e.g. Tesseract)."""

    name: str

    def read(self, crop: np.ndarray) -> str | None: ...


def evaluate(folder: Path, images: Sequence[LabelledImage], reader: PlateReader | None = None,
             baseline: Baseline | None = None, progress: Progress | None = None, kind: str = "auto") -> Evaluation:
    """Read every labelled image under ``folder``; unreadable files are recorded as errors, not raised.

    An image labelled without an ROI is a plate crop or a whole photo (``kind``: auto, crop or scene;
    auto: :func:`~core.ocr.image_kind.labelled_kind`). A crop goes to the recognizer; a whole photo (a car
    photographed with its plate, as most real data sets label them: a file and its plate's text) is read
    as one vehicle's view, through the detector, with the whole image as its region of interest. Read as
    a crop, a whole photo is a squashed scene and reads nothing."""
    from baytwin.core.ocr.image_kind import labelled_kind

    reader = reader or PlateReader()
    timing = Timing()
    reads: list[ImageRead] = []
    crops = [im for im in images if not im.is_frame]
    frames = [im for im in images if im.is_frame]
    at_corners: list[tuple[ImageRead, np.ndarray]] = []
    for start in range(0, len(crops), BATCH):
        batch = crops[start:start + BATCH]
        good = []
        for im in batch:
            pixels = _load(folder / im.file)
            if isinstance(pixels, str):
                reads.append(_failed(im, pixels))
                continue
            h, w = pixels.shape[:2]
            if labelled_kind(w, h, kind) == "crop":
                good.append((im, pixels))
            else:
                frames.append(replace(im, roi=((0, 0), (w, 0), (w, h), (0, h)), photo=True))
        began = time.perf_counter()
        frame_reads = reader.recognize([upright_characters(pixels) for _, pixels in good])  # as read_crops reads
        timing.crop_seconds += time.perf_counter() - began
        timing.crops += len(good)
        for (im, pixels), frame_read in zip(good, frame_reads):
            h, w = pixels.shape[:2]
            reads.append(_image_read(im, reader.finish(frame_read, (0, 0, w, h), pixels), frame_read))
        if progress:
            progress(len(reads), len(images))  # a photo counts once it is read, with the frames
    for im in frames:
        pixels = _load(folder / im.file)
        if isinstance(pixels, str):
            reads.append(_failed(im, pixels))
        else:
            began = time.perf_counter()
            detected = reader.detector.detect(pixels)
            result = reader.read_photo(pixels, detected) if im.photo else reader.read_frame(pixels, Roi(im.roi), detected)  # type: ignore[arg-type]
            timing.frame_latencies.append(time.perf_counter() - began)
            item = _image_read(im, result, None, pixels)
            if not im.photo:  # a photo's ROI is the whole image: without it, it reads the same
                whole = reader.read_frame(pixels, None, detected)  # the same candidates, no ROI
                item.whole_frame = WholeFrameRead(whole.plate, whole.status, reader.gate.decide(whole.plate, whole.confidence))
            if im.corners is not None:
                at_corners.append((item, rectified_crop(pixels, np.array(im.corners, np.float32))))
            reads.append(item)
        if progress:
            progress(len(reads), len(images))
    _read_at_corners(at_corners, reader)
    if baseline is not None:
        for item in reads:
            if item.crop is not None:
                item.baseline = _normalized(baseline.read(item.crop), reader)
    order = {im.file: i for i, im in enumerate(images)}
    reads.sort(key=lambda r: order[r.image.file])
    return Evaluation(reads, _vote_vehicles(folder, reads, reader), timing, baseline.name if baseline else None,
                      reader=reader.identity())


def _read_at_corners(cut: list[tuple[ImageRead, np.ndarray]], reader: PlateReader) -> None:
    """The reader alone on each frame's plate cut out at its labelled corners, as the detector would hand it
    over had it found them: what is lost end to end beyond this is the detector's doing."""
    for start in range(0, len(cut), BATCH):
        batch = cut[start:start + BATCH]
        for (item, crop), frame_read in zip(batch, reader.recognize([crop for _, crop in batch])):
            h, w = crop.shape[:2]
            result = reader.finish(frame_read, (0, 0, w, h), crop)
            item.at_corners = (result.plate, result.status)


def _load(path: Path) -> np.ndarray | str:
    """RGB pixels, or why there are none (missing, not an image, a header claiming an absurd size)."""
    return load_rgb(path)


def _failed(image: LabelledImage, problem: str) -> ImageRead:
    return ImageRead(image, None, None, 0.0, "error", error=problem)


def _image_read(image: LabelledImage, result: PlateResult, frame_read: FrameRead | None,
                frame: np.ndarray | None = None) -> ImageRead:
    return ImageRead(image, result.plate, result.raw, result.confidence, result.status, crop=result.crop,
                     frame_read=frame_read)


def _normalized(text: str | None, reader: PlateReader) -> str | None:
    return normalize(text, reader.formats).text if text else None


def _vote_vehicles(folder: Path, reads: list[ImageRead], reader: PlateReader) -> dict[str, VotedVehicle]:
    """One voted read per vehicle seen in several images: crops vote their frame reads, frames go through
    the reader's own multi-frame path."""
    groups: dict[str, list[ImageRead]] = defaultdict(list)
    for item in reads:
        if item.error is None:
            groups[item.image.vehicle].append(item)
    voted: dict[str, VotedVehicle] = {}
    for vehicle, items in groups.items():
        if len(items) < 2 or any(it.image.photo for it in items):
            continue  # photos of one vehicle differ in size and in what else is in view: each is scored alone
        truth = items[0].image.plate
        if items[0].image.is_frame:
            frames = [_load(folder / it.image.file) for it in items]
            result = reader.read_vehicle([f for f in frames if isinstance(f, np.ndarray)], Roi(items[0].image.roi))  # type: ignore[arg-type]
            voted[vehicle] = VotedVehicle(result.plate, truth, result.status)
        else:
            combined = vote([it.frame_read for it in items if it.frame_read is not None])
            if combined is None:
                voted[vehicle] = VotedVehicle(None, truth, "unreadable")
            else:
                result = reader.finish(combined.as_read(), (0, 0, 0, 0), None)
                voted[vehicle] = VotedVehicle(result.plate, truth, result.status)
    return voted


# --- measures ----------------------------------------------------------------------------------------------------


def char_accuracy(truth: str, read: str | None) -> float:
    """1 - edit distance / length of the truth (0 when nothing was read), floored at 0."""
    if not read:
        return 0.0
    previous = list(range(len(read) + 1))
    for i, a in enumerate(truth, start=1):
        current = [i]
        for j, b in enumerate(read, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return max(0.0, 1.0 - previous[-1] / max(1, len(truth)))


def confusions(reads: Sequence[ImageRead]) -> Counter[tuple[str, str]]:
    """(true characters, read characters) pairs over all wrong reads; '' stands for a missed or extra character."""
    pairs: Counter[tuple[str, str]] = Counter()
    for item in reads:
        if item.error is not None or item.correct or not item.read:
            continue
        matcher = difflib.SequenceMatcher(None, item.image.plate, item.read, autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                continue
            truth, read = item.image.plate[a1:a2], item.read[b1:b2]
            if len(truth) == len(read):
                pairs.update(zip(truth, read))
            else:
                pairs[(truth, read)] += 1
    return pairs


def summarize(evaluation: Evaluation, top_confusions: int = 20) -> dict[str, object]:
    """The figures of report.json."""
    reads = [r for r in evaluation.reads if r.error is None]
    table = condition_table(evaluation)
    timing = evaluation.timing
    latencies = np.array(timing.frame_latencies) * 1000.0
    single = [r for r in reads if r.image.vehicle in evaluation.voted]
    report: dict[str, object] = {
        "reader": evaluation.reader,
        "images": len(evaluation.reads),
        "read_as": dict(Counter(r.image.read_as for r in reads)),
        "errors": [{"file": r.image.file, "error": r.error} for r in evaluation.reads if r.error is not None],
        "exact_plate_accuracy": _mean(r.correct for r in reads),
        "char_accuracy": _mean(char_accuracy(r.image.plate, r.read) for r in reads),
        "status_share": {s: _mean(r.status == s for r in reads) for s in ("accepted", "review", "unreadable")},
        "accepted_accuracy": _mean(r.correct for r in reads if r.status == "accepted"),
        "dangerous_read_rate": _mean(r.dangerous for r in reads),
        "dangerous_reads": sum(r.dangerous for r in reads),
        "voting": {
            "vehicles": len(evaluation.voted),
            "single_frame_accuracy": _mean(r.correct for r in single),
            "voted_accuracy": _mean(v.correct for v in evaluation.voted.values()),
            # what voting does to the gate: how many reads a site can act on at once, and how many of those are wrong
            "single_frame_accepted_share": _mean(r.status == "accepted" for r in single),
            "voted_accepted_share": _mean(v.status == "accepted" for v in evaluation.voted.values()),
            "single_frame_dangerous_rate": _mean(r.dangerous for r in single),
            "voted_dangerous_rate": _mean(v.dangerous for v in evaluation.voted.values()),
        },
        "by_condition": table,
        **{f"by_{column}": group_table(evaluation, column) for column in GROUP_COLUMNS
           if any(getattr(r.image, column) for r in reads)},
        "confusions": [{"truth": t, "read": r, "count": n} for (t, r), n in confusions(reads).most_common(top_confusions)],
        "speed": {
            "crops": timing.crops,
            "crops_per_second": round(timing.crops / timing.crop_seconds, 1) if timing.crop_seconds else None,
            "frames": len(latencies),
            "frame_latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if len(latencies) else None,
            "frame_latency_ms_p95": round(float(np.percentile(latencies, 95)), 2) if len(latencies) else None,
        },
    }
    voting = report["voting"]
    assert isinstance(voting, dict)
    if voting["single_frame_accuracy"] is not None and voting["voted_accuracy"] is not None:
        voting["gain"] = round(voting["voted_accuracy"] - voting["single_frame_accuracy"], 4)
    if evaluation.detection is not None:
        report["detection"] = evaluation.detection
    labelled = [(r.image.plate, *r.at_corners) for r in reads if r.at_corners is not None]
    if labelled:
        report["at_labelled_corners"] = {
            "plates": len(labelled),
            "exact_plate_accuracy": _mean(read == truth for truth, read, _ in labelled),
            "accepted_share": _mean(status == "accepted" for _, _, status in labelled),
            "dangerous_read_rate": _mean(status == "accepted" and read != truth for truth, read, status in labelled),
        }
    without_roi = whole_frame_figures(reads)
    if without_roi is not None:
        report["without_roi"] = without_roi
    if evaluation.baseline:
        report["baseline"] = {"name": evaluation.baseline,
                              "exact_plate_accuracy": _mean(r.baseline == r.image.plate for r in reads),
                              "char_accuracy": _mean(char_accuracy(r.image.plate, r.baseline) for r in reads)}
    return report


def condition_table(evaluation: Evaluation) -> list[dict[str, object]]:
    """One row per (degradation, severity): images, exact and character accuracy, dangerous reads, the voted
    accuracy of vehicles seen in several images, baseline."""
    cells: dict[tuple[str, int], list[ImageRead]] = defaultdict(list)
    for item in evaluation.reads:
        if item.error is None:
            for cell in item.image.conditions:
                cells[cell].append(item)
    rows = []
    for (condition, severity), items in sorted(cells.items(), key=lambda kv: (kv[0][0] != CLEAN, kv[0])):
        row: dict[str, object] = {
            "condition": condition, "severity": severity, "images": len(items),
            "exact_plate_accuracy": _mean(i.correct for i in items),
            "char_accuracy": _mean(char_accuracy(i.image.plate, i.read) for i in items),
            "accepted_share": _mean(i.status == "accepted" for i in items),
            "dangerous_read_rate": _mean(i.dangerous for i in items),
            "misread_rate": _mean(bool(i.read) and not i.correct for i in items),
            "noread_rate": _mean(not i.read for i in items),
            # what the twin's error model needs: how often right and wrong reads pass the gate
            "correct_accepted_share": _mean(i.status == "accepted" for i in items if i.correct),
            "misread_accepted_share": _mean(i.status == "accepted" for i in items if i.read and not i.correct),
        }
        # the same condition with each vehicle's frames voted into one read, as the twin and live sites read
        vehicles = sorted({i.image.vehicle for i in items if i.image.vehicle in evaluation.voted})
        row["voted_vehicles"] = len(vehicles)
        row["voted_accuracy"] = _mean(evaluation.voted[v].correct for v in vehicles)
        if evaluation.baseline:
            row["baseline_exact_plate_accuracy"] = _mean(i.baseline == i.image.plate for i in items)
        rows.append(row)
    return rows


def group_table(evaluation: Evaluation, column: str) -> list[dict[str, object]]:
    """One row per value of a descriptive column (``font``, ``design``): images, exact accuracy, accepted share,
    dangerous-read rate. Images without the label are left out."""
    groups: dict[str, list[ImageRead]] = defaultdict(list)
    for item in evaluation.reads:
        value = getattr(item.image, column)
        if item.error is None and value:
            groups[value].append(item)
    return [{column: value, "images": len(items), "exact_plate_accuracy": _mean(i.correct for i in items),
             "accepted_share": _mean(i.status == "accepted" for i in items),
             "dangerous_read_rate": _mean(i.dangerous for i in items)}
            for value, items in sorted(groups.items())]


def whole_frame_figures(reads: Sequence[ImageRead]) -> dict[str, object] | None:
    """Frames read without their ROI beside the same frames read with it; None when there are no frames.

    ``dangerous_read_rate`` counts the wrong plates the gate would have accepted had the reader accepted
    the most confident plate in view (as it did before it required an ROI), a neighbour's plate above all;
    ``accepted_share`` is what the reader accepts now: nothing."""
    frames = [r for r in reads if r.whole_frame is not None]
    if not frames:
        return None
    whole = [(r.image, r.whole_frame) for r in frames]

    def would_accept(w: WholeFrameRead) -> bool:
        return w.gate_status == "accepted"

    return {
        "frames": len(frames),
        "frames_with_neighbour": sum(im.neighbour_plate is not None for im, _ in whole),
        "exact_plate_accuracy": _mean(w.read == im.plate for im, w in whole),
        "neighbour_read_share": _mean(w.read is not None and w.read == im.neighbour_plate for im, w in whole),
        "accepted_share": _mean(w.status == "accepted" for _, w in whole),
        "review_share": _mean(w.status == "review" for _, w in whole),
        "would_accept_share": _mean(would_accept(w) for _, w in whole),
        "dangerous_read_rate": _mean(would_accept(w) and w.read != im.plate for im, w in whole),
        "neighbour_dangerous_rate": _mean(would_accept(w) and w.read is not None and w.read == im.neighbour_plate
                                          for im, w in whole),
        "with_roi": {"exact_plate_accuracy": _mean(r.correct for r in frames),
                     "accepted_share": _mean(r.status == "accepted" for r in frames),
                     "dangerous_read_rate": _mean(r.dangerous for r in frames)},
    }


def _mean(values) -> float | None:  # type: ignore[no-untyped-def]
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else None
