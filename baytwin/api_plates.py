"""``baytwin.read_plates``: plate images in, one row per image out, as ``baytwin ocr read`` reads them.

The reading is the command's own (``baytwin.commands.ocr.read_image``): a crop is read as a plate; a
whole frame is read in the bay's region of interest, or, without one, every plate in view is listed
with its box and none accepted (the most confident plate in a camera's view may be the next bay's).
A file that cannot be read is a row with its one-line error, never an exception, so a folder with one
broken file still gives every other read.

Pictures already in memory (NumPy arrays, RGB) are written as lossless PNG files into a temporary
folder and read like any file: the command's reading starts from a file, and one path for both keeps
a notebook's reads those of the command, pixel for pixel.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

Image = Union[str, Path, np.ndarray]
COLUMNS = ("file", "bay", "kind", "plate", "confidence", "status", "bbox", "why", "plates", "error")


def read_plates(images: Image | Sequence[Image], *, model: str | Path | None = None,
                model_config: str | Path | None = None, detector: str | Path | None = None,
                gate: float | None = None, roi: Any = None, site: str | Path | None = None,
                camera: str | None = None, kind: str = "auto") -> pd.DataFrame:
    """Read the plates in image files, folders (every image in them) or RGB arrays.

    One row per image (per bay with ``site``): ``file`` (the path, or ``array[i]``), ``bay``, ``kind``
    (crop or scene), ``plate`` (the read, normalized), ``confidence``, ``status`` (the gate's decision:
    accepted, review or unreadable), ``bbox`` (x1, y1, x2, y2), ``why`` (why a read was held back),
    ``plates`` (a frame read without a region of interest: every plate in view, each with its plate,
    confidence, status and bbox) and ``error`` (why a file could not be read; the other columns empty).

    ``model``: a recognizer (ONNX; its config beside it, or ``model_config``) instead of the bundled one;
    ``detector``: a learned plate detector (ONNX); ``gate``: the confidence at which a read is accepted.
    ``roi``: the bay's region of interest in the frames' pixels ([(x, y), ...] or "x1,y1,x2,y2,...").
    ``site``: a live site file, each bay of its ``camera`` read in its own region, with the site's reader.
    ``kind``: auto, crop or scene, as ``--kind``.
    """
    from baytwin.api_imports import needing

    with needing("baytwin.read_plates"):
        import cv2  # noqa: F401
        import onnxruntime  # noqa: F401
        from PIL import Image as _pillow  # noqa: F401
    from baytwin.commands.ocr import read_image

    if kind not in ("auto", "crop", "scene"):
        raise ValueError(f"kind: use auto, crop or scene (got {kind!r})")
    if roi is not None and site is not None:
        raise ValueError("give the bay's region with roi or take the bays' from site, not both")
    if kind == "crop" and (roi is not None or site is not None):
        raise ValueError("roi and site locate plates in whole frames; they do not go with kind='crop'")
    if camera is not None and site is None:
        raise ValueError("camera goes with site")
    reader, rois = _reader_and_rois(model, model_config, detector, gate, roi, site, camera)
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="baytwin-read-") as temporary:
        for label, path in _sources(images, Path(temporary)):
            if isinstance(path, str):  # an array that is no picture: its reason
                records.append({"file": label, "error": path})
                continue
            for record in read_image(path, reader, kind, rois):
                records.append({**record, "file": label})
    return _frame(records)


def _sources(images: Image | Sequence[Image], temporary: Path) -> list[tuple[str, Path | str]]:
    """(label, file to read) for every image; folders expanded as the command expands them, arrays saved
    as PNG (or, for an array that is no picture, the reason in place of the file)."""
    from baytwin.commands.ocr import _image_paths

    given = [images] if isinstance(images, (str, Path, np.ndarray)) else list(images)
    out: list[tuple[str, Path | str]] = []
    for index, image in enumerate(given):
        if isinstance(image, np.ndarray):
            label = f"array[{index}]"
            out.append((label, _saved(image, temporary / f"array-{index:05d}.png")))
        elif isinstance(image, (str, Path)):
            out.extend((str(p), p) for p in _image_paths([Path(image)]))
        else:
            out.append((f"item[{index}]", f"not an image: a path or an RGB array, not {type(image).__name__}"))
    return out


def _saved(pixels: np.ndarray, target: Path) -> Path | str:
    """An RGB (or grey, or RGBA) uint8 array as a lossless PNG file; the reason if it is no such picture."""
    import cv2

    if pixels.dtype != np.uint8:
        return f"expected uint8 pixels, got {pixels.dtype}"
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)) or 0 in pixels.shape:
        return f"expected an HxW or HxWx3 picture, got an array of shape {pixels.shape}"
    bgr = pixels if pixels.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(target), bgr):
        return "could not be saved for reading"
    return target


def _reader_and_rois(model: str | Path | None, model_config: str | Path | None, detector: str | Path | None,
                     gate: float | None, roi: Any, site: str | Path | None, camera: str | None
                     ) -> tuple[Any, dict[str | None, Any]]:
    """The plate reader asked for, and the regions to read (bay -> ROI; none: crops, or every plate)."""
    from baytwin.core.ocr.detector import DetectorProblem
    from baytwin.core.ocr.gate import ConfidenceGate
    from baytwin.core.ocr.pipeline import PlateReader
    from baytwin.core.ocr.recognizer import ModelProblem

    try:
        recognizer = _recognizer(model, model_config)
        found = _detector(detector)
        if site is not None:
            from baytwin.live.reader import site_reader

            loaded, rois = _site_rois(Path(site), camera)
            return site_reader(loaded, recognizer, gate, found), rois
        chosen = None if gate is None else ConfidenceGate(accept_at=gate, review_from=min(0.5, gate))
        reader = PlateReader(recognizer=recognizer, detector=found, gate=chosen)
    except (ModelProblem, DetectorProblem) as err:
        raise ValueError(str(err)) from None
    return reader, ({None: as_roi(roi)} if roi is not None else {})


def _recognizer(model: str | Path | None, model_config: str | Path | None) -> Any:
    from baytwin.core.ocr.recognizer import Recognizer

    if model_config is not None and model is None:
        raise ValueError("model_config goes with model")
    if model is None:
        return None
    path = Path(model)
    if not path.is_file():
        raise ValueError(f"model {path}: no such file")
    config = Path(model_config) if model_config is not None else path.with_suffix(".yaml")
    if not config.is_file():
        raise ValueError(f"model {path}: its config {config} does not exist (give it with model_config)")
    return Recognizer(path, config)


def _detector(detector: str | Path | None) -> Any:
    """None (the reader's default, the bundled learned detector), ``classical``, or an ONNX file's detector."""
    from baytwin.core.ocr.detector import chosen_detector

    return None if detector is None else chosen_detector(detector)


def as_roi(roi: Any) -> Any:
    """A region of interest from an Roi, "x1,y1,x2,y2,..." (as ``--roi``), [(x, y), ...] or [x1, y1, ...]."""
    from baytwin.core.ocr.roi import Roi

    if isinstance(roi, Roi):
        return roi
    try:
        if isinstance(roi, str):
            numbers = [float(v) for v in roi.replace(" ", "").split(",") if v != ""]
        else:
            numbers = [float(c) for point in roi for c in (point if isinstance(point, (Sequence, np.ndarray))
                                                            else [point])]
    except (TypeError, ValueError):
        raise ValueError(f"roi {roi!r}: not a list of x, y points in the frame's pixels") from None
    if len(numbers) % 2 or len(numbers) < 6:
        raise ValueError(f"roi {roi!r}: needs at least 3 points as x, y pairs in the frame's pixels")
    try:
        return Roi(tuple(zip(numbers[0::2], numbers[1::2])))
    except ValueError as err:
        raise ValueError(f"roi {roi!r}: {err}") from None


def _site_rois(path: Path, camera: str | None) -> tuple[Any, dict[str | None, Any]]:
    """The site and the region of each bay its camera watches (the site's file says which)."""
    from baytwin.core.ocr.roi import Roi
    from baytwin.live.site import load_site

    loaded = load_site(path)
    cameras = list(loaded.spec.cameras)
    if not cameras:
        raise ValueError(f"site {path}: the site has no cameras, so no bays to read")
    if camera is None:
        if len(cameras) > 1:
            raise ValueError(f"site {path}: name the camera the frames come from with camera= ({', '.join(cameras)})")
        camera = cameras[0]
    if camera not in loaded.spec.cameras:
        raise ValueError(f"camera {camera!r}: not a camera of {path} (it has: {', '.join(cameras)})")
    return loaded, {bay: Roi(tuple(polygon)) for bay, polygon in loaded.spec.cameras[camera].bays.items()}


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as a table with every column, whatever each image gave (boxes as tuples)."""
    rows = []
    for record in records:
        row = {column: record.get(column) for column in COLUMNS}
        if row["bbox"] is not None:
            row["bbox"] = tuple(row["bbox"])
        if row["plates"] is not None:
            row["plates"] = [{**p, "bbox": tuple(p["bbox"]) if p.get("bbox") else None} for p in row["plates"]]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["confidence"] = frame["confidence"].astype("float64")
    return frame
