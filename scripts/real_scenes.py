#!/usr/bin/env python3
"""Turn downloaded real photos with plate *boxes* (no plate text) into scene folders for the detector.

Why: detection recall on real cameras needs whole photos with every plate
marked, and a detector learns from the same. ``scripts/real_plates.py`` writes
scenes only for sources that also give the plate text; sources that mark
plates without reading them (Pascal VOC boxes) are converted here, into the
same layout (``labels.csv`` with ``file,plate,country,source,x1,y1 .. x4,y4``,
``plate`` left empty, one row per plate, a box's corners clockwise from the
top left):

    OUT_DIR/scenes/images/...        OUT_DIR/scenes/labels.csv         (evaluation: ocr eval --images)
    OUT_DIR/scenes-train/images/...  OUT_DIR/scenes-train/labels.csv   (training: ocr train-detector --scenes)

The split is by video, not by frame: frames a second apart of one drive are
nearly the same picture, so a frame-wise split would measure the detector on
what it trained on. Images are never committed to the repository.

    python scripts/real_scenes.py RobertLucian__license-plate-dataset DOWNLOAD_DIR/raw DOWNLOAD_DIR
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

COLUMNS = ("file", "plate", "country", "source", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
#: RobertLucian/license-plate-dataset: Romanian dash-camera drives; frames named ``<video>.mp4#t=<second>.jpg``.
#: The first day drive (386 frames) trains, the other two day drives and the night drive (148 frames) evaluate.
TRAIN_VIDEOS = frozenset({"dayride_type1_001.mp4"})


def voc_boxes(annotation: Path) -> list[tuple[float, float, float, float]]:
    """The ``bndbox`` of every object in a Pascal VOC file (xmin, ymin, xmax, ymax)."""
    root = ElementTree.parse(annotation).getroot()
    boxes = []
    for item in root.iter("object"):
        box = item.find("bndbox")
        if box is None:
            continue
        values = [float(box.findtext(k) or "nan") for k in ("xmin", "ymin", "xmax", "ymax")]
        if values[2] > values[0] and values[3] > values[1]:
            boxes.append((values[0], values[1], values[2], values[3]))
    return boxes


def convert_robertlucian(raw_dir: Path, out_dir: Path) -> dict[str, int]:
    """Both splits of the data set (its own train/valid folders merged, then split by video)."""
    rows: dict[str, list[dict[str, str]]] = {"scenes": [], "scenes-train": []}
    for side in rows:
        shutil.rmtree(out_dir / side, ignore_errors=True)
        (out_dir / side / "images").mkdir(parents=True)
    for annotation in sorted((raw_dir / "dataset").glob("*/annots/*.xml")):
        image = annotation.parent.parent / "images" / (annotation.stem + ".jpg")
        if not image.is_file():
            continue
        video = annotation.stem.split("#")[0]
        side = "scenes-train" if video in TRAIN_VIDEOS else "scenes"
        name = annotation.stem.replace(".mp4#t=", "_t") + ".jpg"  # no '#' in file names
        shutil.copyfile(image, out_dir / side / "images" / name)
        for x1, y1, x2, y2 in voc_boxes(annotation):
            corners = ((x1, y1), (x2, y1), (x2, y2), (x1, y2))
            rows[side].append({"file": f"images/{name}", "plate": "", "country": "RO",
                               "source": "RobertLucian/license-plate-dataset",
                               **{f"{axis}{i}": f"{value:.1f}" for i, point in enumerate(corners, start=1)
                                  for axis, value in zip("xy", point)}})
    counts = {}
    for side, side_rows in rows.items():
        with (out_dir / side / "labels.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(side_rows)
        counts[side] = len(side_rows)
    return counts


SOURCES = {"RobertLucian__license-plate-dataset": convert_robertlucian}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", choices=sorted(SOURCES))
    parser.add_argument("raw_dir", type=Path, metavar="RAW_DIR", help="the extracted download (LICENSE, dataset/)")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="gets scenes/ and scenes-train/")
    args = parser.parse_args(argv)
    if not (args.raw_dir / "dataset").is_dir():
        print(f"{args.raw_dir}: no dataset/ folder (extract the repository's dataset/ there)", file=sys.stderr)
        return 2
    counts = SOURCES[args.source](args.raw_dir, args.out_dir)
    print(", ".join(f"{side} {n} plates" for side, n in counts.items()) + f" -> {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
