#!/usr/bin/env python3
"""Turn downloaded folders of openly licensed *real* licence-plate images into labelled crops.

Why: the recognizer is trained on synthetic plates, and synthetic accuracy says
little about real cameras. ``baytwin ocr eval --images DIR`` and
``baytwin ocr train --labelled DIR`` read a folder with ``images/`` and a
``labels.csv``; this script writes such folders from public data sets, one
converter per source, so every source ends up in the same layout:

    OUT_DIR/train/images/...  OUT_DIR/train/labels.csv
    OUT_DIR/eval/images/...   OUT_DIR/eval/labels.csv
    OUT_DIR/scenes/images/... OUT_DIR/scenes/labels.csv   (whole photos, only for
                                                           sources that have them)
    OUT_DIR/photos/images/... OUT_DIR/photos/labels.csv   (whole photos with the plate's
                                                           text but not where it is)

``labels.csv`` has the columns ``file,plate,country,source,lines`` (``file``
relative to the folder of the labels.csv, ``plate`` upper-case A-Z0-9 only,
``lines`` 1 or 2 where the source's plates are all one-line or all two-line,
empty where it does not say: training teaches a one-line crop's text to the
reader's main sequence); the scenes' labels.csv has ``file,plate,country,source``
and the plate corners ``x1,y1 .. x4,y4`` (top-left, top-right, bottom-right,
bottom-left) for detection recall. ``photos/`` holds whole photos whose plate
text is known but not its place: its labels.csv has ``file,plate,country,source,lines``
and ``roi``, the whole photo, so ``baytwin ocr eval --images OUT_DIR/photos``
reads each end to end (detector, crop, reader, gate) as a camera watching one
bay would. Photos are for evaluation only and never go to ``train``.

The split is deterministic: a hash of the plate text (with ``--split-seed``)
sends about 30 % of plates to ``eval`` and the rest to ``train``, so every image
of one plate lands on the same side and no vehicle is both trained on and
evaluated on. Labels with characters outside A-Z0-9 (after removing spaces and
dashes) and plates longer than 10 characters are dropped.

Images are never committed to the repository: download the source (see
docs/real-data.md), then run, e.g.

    python scripts/real_plates.py ankandrew__cnn-ocr-lp DOWNLOAD_DIR/raw DOWNLOAD_DIR [--split-seed 0]

Only the standard library is needed for crop sources; sources with whole
photos also need OpenCV (already a dependency of the project).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

EVAL_SHARE = 0.30
MAX_PLATE_LENGTH = 10
CROP_MARGIN = 0.10  # of the plate's width and height, each side
MAX_SCENES = 200
LABEL_COLUMNS = ("file", "plate", "country", "source", "lines")
SCENE_COLUMNS = ("file", "plate", "country", "source", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
PHOTO_COLUMNS = (*LABEL_COLUMNS, "roi")
SEPARATORS = re.compile(r"[\s\-]+")
VALID_PLATE = re.compile(r"[A-Z0-9]+")

Corners = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled plate from a source: a ready crop, or a whole photo with the plate's corners."""

    image: Path  # the file in the raw download
    plate: str  # as the source spells it; cleaned by clean_plate()
    country: str  # ISO 3166-1 alpha-2
    corners: Corners | None = None  # None: ``image`` is already a plate crop (or a ``whole_photo``)
    lines: int = 0  # lines of characters on the plate: 1 or 2, 0 where the source does not say
    whole_photo: bool = False  # a photo of a car whose plate text is known but not its place: photos/ only


@dataclass(frozen=True, slots=True)
class Source:
    """A converter: where the data comes from and how to list its labelled plates."""

    repository: str  # owner/name on GitHub
    licence: str  # as stated by the repository's licence file
    samples: Callable[[Path], Iterator[Sample]]


# --- labels and split ---------------------------------------------------------------------------------------


def clean_plate(text: str) -> str | None:
    """The plate as labels.csv stores it (upper case, no spaces or dashes), or None if it must be dropped."""
    plate = SEPARATORS.sub("", text.strip().upper())
    if not plate or len(plate) > MAX_PLATE_LENGTH or not VALID_PLATE.fullmatch(plate):
        return None
    return plate


def is_eval(plate: str, seed: int) -> bool:
    """Whether a plate (all of its images) goes to the eval side; a stable hash, not random state."""
    digest = hashlib.sha256(f"{seed}:{plate}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < EVAL_SHARE


def output_name(sample: Sample, raw_dir: Path, suffix: str | None = None) -> str:
    """A file name unique within a source: the path inside the download with separators flattened."""
    relative = sample.image.relative_to(raw_dir)
    stem = "__".join((*relative.parts[:-1], relative.stem))
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
    return stem + (suffix or sample.image.suffix.lower())


# --- writing ------------------------------------------------------------------------------------------------


def crop_with_margin(image_path: Path, corners: Corners, margin: float = CROP_MARGIN):  # -> np.ndarray | None
    """The axis-aligned plate crop with ``margin`` of the plate's size added on each side, clipped to the photo."""
    import cv2  # only sources with whole photos need it

    image = cv2.imread(str(image_path))
    if image is None:
        return None
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    if width < 2 or height < 2:
        return None
    x1 = max(0, int(min(xs) - margin * width))
    y1 = max(0, int(min(ys) - margin * height))
    x2 = min(image.shape[1], int(round(max(xs) + margin * width)))
    y2 = min(image.shape[0], int(round(max(ys) + margin * height)))
    return image[y1:y2, x1:x2] if x2 > x1 and y2 > y1 else None


def whole_image_roi(image_path: Path) -> str | None:
    """The ROI that is the whole image, as ``ocr eval`` reads it (a JSON polygon), or None if unreadable."""
    import cv2

    image = cv2.imread(str(image_path))
    if image is None:
        return None
    h, w = image.shape[:2]
    return json.dumps([[0, 0], [w, 0], [w, h], [0, h]])


def write_labels(folder: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    rows = list(rows)
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def convert(name: str, source: Source, raw_dir: Path, out_dir: Path, seed: int) -> Counter[str]:
    """Write train/, eval/ (and scenes/) under ``out_dir`` from the raw download; return the counts."""
    for side in ("train", "eval", "scenes", "photos"):
        shutil.rmtree(out_dir / side, ignore_errors=True)
    rows: dict[str, list[dict[str, str]]] = {"train": [], "eval": [], "scenes": [], "photos": []}
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    for sample in source.samples(raw_dir):
        plate = clean_plate(sample.plate)
        if plate is None:
            counts["dropped_label"] += 1
            continue
        if not sample.image.is_file():
            counts["missing_image"] += 1
            continue
        side = "eval" if is_eval(plate, seed) else "train"
        file_name = output_name(sample, raw_dir)
        if sample.whole_photo:
            roi = whole_image_roi(sample.image)
            if roi is None:
                counts["unreadable_image"] += 1
                continue
            (out_dir / "photos" / "images").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample.image, out_dir / "photos" / "images" / file_name)
            rows["photos"].append({"file": f"images/{file_name}", "plate": plate, "country": sample.country, "source": name,
                                   "lines": str(sample.lines) if sample.lines else "", "roi": roi})
            continue
        if sample.corners is not None:  # a whole photo: a plate crop for OCR, the photo itself for detection
            base = Path(file_name).stem
            file_name = f"{base}_{plate}.png"
            crop = crop_with_margin(sample.image, sample.corners)
            if crop is None:
                counts["bad_box"] += 1
                continue
            import cv2

            (out_dir / side / "images").mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out_dir / side / "images" / file_name), crop)
            if side == "eval" and len(rows["scenes"]) < MAX_SCENES:  # detection recall is measured on eval only
                scene_name = output_name(sample, raw_dir)
                if scene_name not in seen:  # a photo with several plates is copied once, one row per plate
                    seen.add(scene_name)
                    (out_dir / "scenes" / "images").mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(sample.image, out_dir / "scenes" / "images" / scene_name)
                corner_values = {f"{axis}{i}": f"{value:.1f}" for i, point in enumerate(sample.corners, start=1)
                                 for axis, value in zip("xy", point)}
                rows["scenes"].append({"file": f"images/{scene_name}", "plate": plate, "country": sample.country,
                                       "source": name, **corner_values})
        else:
            if file_name in seen:  # the same crop listed twice in the source's annotations
                counts["duplicate"] += 1
                continue
            seen.add(file_name)
            (out_dir / side / "images").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample.image, out_dir / side / "images" / file_name)
        rows[side].append({"file": f"images/{file_name}", "plate": plate, "country": sample.country, "source": name,
                           "lines": str(sample.lines) if sample.lines else ""})
    for side in ("train", "eval"):
        counts[side] = write_labels(out_dir / side, LABEL_COLUMNS, rows[side])
    if rows["scenes"]:
        counts["scenes"] = write_labels(out_dir / "scenes", SCENE_COLUMNS, rows["scenes"])
    if rows["photos"]:
        counts["photos"] = write_labels(out_dir / "photos", PHOTO_COLUMNS, rows["photos"])
    return counts


# --- sources ------------------------------------------------------------------------------------------------


def cnn_ocr_lp(raw_dir: Path) -> Iterator[Sample]:
    """ankandrew/cnn-ocr-lp: Argentine plate crops (old ABC123 and Mercosur AB123CD), ``benchmark/imgs/``.

    ``benchmark/anotaciones.txt`` has one ``path<TAB>plate`` line per crop, the
    path relative to the repository root.
    """
    annotations = raw_dir / "benchmark" / "anotaciones.txt"
    if not annotations.is_file():
        raise FileNotFoundError(f"{annotations}: not found (RAW_DIR is the extracted repository)")
    for line in annotations.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        path, _, plate = line.partition("\t")
        yield Sample(raw_dir / path.strip(), plate, "AR", lines=1)


NOMEROFF_COUNTRIES = {"0038SC": "KZ", "2914KC7": "BY", "X371HK96": "RU", "AA0013BM": "UA"}


def nomeroff_net(raw_dir: Path) -> Iterator[Sample]:
    """ria-com/nomeroff-net: the example plate crops shipped with the library (Kazakh, Belarusian, Russian,
    Ukrainian and two EU-style plates).

    ``data/dataset/TextDetector/ocr_example/train/`` holds ``img/NAME.png`` with
    ``ann/NAME.json`` whose ``description`` is the plate text (Cyrillic letters
    already written as their Latin look-alikes); its ``val/`` and ``test/``
    folders are byte-identical copies and are not read.
    ``data/examples/numberplate_zone_images/PLATE.png`` are crops named by their
    text; their country strip is unreadable, so their country is ``ZZ`` (unknown).
    ``data/examples/benchmark_oneline_np_images/N.jpeg`` and ``benchmark_multiline_np_images/N.jpeg``
    are whole photos of Ukrainian cars (one- and two-line plates), their texts in
    ``data/examples/accuracy_test_data.json`` and ``accuracy_test_data_multiline.json``
    (``{"N.jpeg": ["TEXT"]}``): they become ``photos/``, when the download has them.
    """
    example = raw_dir / "data" / "dataset" / "TextDetector" / "ocr_example" / "train"
    zones = raw_dir / "data" / "examples" / "numberplate_zone_images"
    if not example.is_dir() or not zones.is_dir():
        raise FileNotFoundError(f"{example} or {zones}: not found (RAW_DIR is the extracted repository)")
    for annotation in sorted((example / "ann").glob("*.json")):
        text = json.loads(annotation.read_text(encoding="utf-8"))["description"]
        country = NOMEROFF_COUNTRIES.get(clean_plate(text) or "", "ZZ")
        yield Sample(example / "img" / f"{annotation.stem}.png", text, country)
    for image in sorted(zones.glob("*.png")):
        yield Sample(image, image.stem, "ZZ")
    examples = raw_dir / "data" / "examples"
    for folder, texts, lines in (("benchmark_oneline_np_images", "accuracy_test_data.json", 1),
                                 ("benchmark_multiline_np_images", "accuracy_test_data_multiline.json", 2)):
        if not (examples / texts).is_file():
            continue
        for file_name, plates in sorted(json.loads((examples / texts).read_text(encoding="utf-8")).items()):
            if len(plates) == 1:  # the photos show one plate each
                yield Sample(examples / folder / file_name, plates[0], "UA", lines=lines, whole_photo=True)


TRAIN_DETECTOR_BR = re.compile(r"#+_C[CV]_\d+_([A-Z0-9]+)\.JPG(_\d+){5}\.jpg")
TRAIN_DETECTOR_EU2 = re.compile(r"crop_([a-z]{1,3})_([a-z0-9-]+?)(_rear|_front)?(_close)?\.(jpg|png)")
# the international vehicle registration codes used in eu2/ file names -> ISO 3166-1 alpha-2
VEHICLE_CODES = {
    "a": "AT", "b": "BE", "bg": "BG", "by": "BY", "ch": "CH", "cz": "CZ", "d": "DE", "dk": "DK", "e": "ES",
    "f": "FR", "fin": "FI", "fl": "LI", "fo": "FO", "gb": "GB", "gbj": "JE", "gbm": "IM", "gr": "GR", "h": "HU",
    "i": "IT", "irl": "IE", "is": "IS", "lt": "LT", "lv": "LV", "mne": "ME", "n": "NO", "nl": "NL", "p": "PT",
    "pl": "PL", "ro": "RO", "s": "SE", "sk": "SK", "slo": "SI",
}


def train_detector(raw_dir: Path) -> Iterator[Sample]:
    """openalpr/train-detector: the positive (plate crop) images of its ``br/`` and ``eu2/`` folders.

    ``br/##########_CC_011241_AXK3125.JPG_0000_0428_0037_0103_0042.jpg`` (and
    ``_CV_``): crops from fixed cameras at a Brazilian port, grey and red
    ``ABC1234`` plates, day and infrared; the plate is the part after the
    photo number. The other ``br/`` files are skipped: ``plate_N``, UUID and
    ``N.jpg`` names carry no text, and ``N_TEXT.jpg`` names are machine
    reads with visible errors (``0MB0B16``, ``DWGD072`` beside ``DWG1072``).
    ``eu2/crop_<code>_<plate>[_rear|_front][_close].jpg``: two-line European
    plates, ``code`` the international vehicle registration code; names
    without that pattern (``crop_swissgeneva.jpg``) carry no text and are skipped.
    """
    brazil, europe = raw_dir / "br", raw_dir / "eu2"
    if not brazil.is_dir() or not europe.is_dir():
        raise FileNotFoundError(f"{brazil} or {europe}: not found (RAW_DIR is the extracted repository)")
    for image in sorted(brazil.iterdir()):
        match = TRAIN_DETECTOR_BR.fullmatch(image.name)
        if match:
            yield Sample(image, match.group(1), "BR", lines=1)
    for image in sorted(europe.iterdir()):
        match = TRAIN_DETECTOR_EU2.fullmatch(image.name)
        if match and match.group(1) in VEHICLE_CODES:
            yield Sample(image, match.group(2), VEHICLE_CODES[match.group(1)], lines=2)


SOURCES: dict[str, Source] = {
    "ankandrew__cnn-ocr-lp": Source("ankandrew/cnn-ocr-lp", "GPL-3.0", cnn_ocr_lp),
    "ria-com__nomeroff-net": Source("ria-com/nomeroff-net", "GPL-3.0", nomeroff_net),
    "openalpr__train-detector": Source("openalpr/train-detector", "AGPL-3.0", train_detector),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", choices=sorted(SOURCES), metavar="SOURCE_NAME",
                        help=f"one of: {', '.join(sorted(SOURCES))}")
    parser.add_argument("raw_dir", type=Path, metavar="RAW_DIR", help="the extracted repository")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="gets train/, eval/ (and scenes/, photos/)")
    parser.add_argument("--split-seed", type=int, default=0, help="changes which plates go to eval (default 0)")
    args = parser.parse_args(argv)
    if not args.raw_dir.is_dir():
        parser.error(f"RAW_DIR {args.raw_dir}: not a folder")
    source = SOURCES[args.source]
    try:
        counts = convert(args.source, source, args.raw_dir.resolve(), args.out_dir, args.split_seed)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    extra = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("train", "eval", "scenes", "photos"))
    print(f"{args.source} ({source.repository}, {source.licence}): train {counts['train']}, eval {counts['eval']}, "
          f"scenes {counts['scenes']}, photos {counts['photos']}" + (f"; skipped: {extra}" if extra else "") + f" -> {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
