"""A read the gate would accept, checked against grey views that keep the crop's colour contrast.

The reader sees grey. A character that differs from what it stands on only in hue (a dark blue
digit on a dark blue band, a dark green letter on a green stripe, as regional bands and flags print
them) loses its contrast in ordinary grey, and the reader then reads the plate without it, sure of
what it does see: on plates whose last character stood on such a band, the general reader accepted
the other characters alone (``LG6Y8`` read ``LG6Y`` at 0.98). No confidence can flag a character
the model cannot see, so before a read of a colour crop is accepted, the crop is turned into grey
up to three other ways and read again:

- contrast-preserving decolourization (OpenCV's ``decolor``, after Lu, Xu and Jia, 2012), which
  keeps a colour edge as a grey edge;
- the two colour-opponent axes of CIE L*a*b*, green–red (a*) and blue–yellow (b*), each stretched
  to the full grey range: the hue differences that lightness throws away (an axis with no printed
  colour on it, :data:`PRINTED_HUE_RANGE`, is left out).

Where a view reads the same characters *and more* (the read is a proper subsequence of the view's
text), with at least even odds (:data:`VIEW_SURE`), the read is held just below the acceptance
threshold: it goes to review with the crop, where a person sees the colour. That is the trace a
character invisible in grey leaves. A view that reads fewer or other characters is no evidence
against the read: the views are worse pictures of the plate than the grey crop (decolourization
washes faded crops out, an opponent axis loses every character printed in black), and holding
on them sent right reads to review without catching wrong ones.

Only reads the gate would accept are checked, and only colour crops (a grey crop, an infrared
camera's, has no hue to lose), so the cost falls on the reads a site acts on at once. That cost is
decolourization's and the views' reads, so decolourization searches on a smaller picture
(:func:`contrast_preserving_grey`) and a batch's crops are decolourized on every core at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from baytwin.core.ocr.voting import CropReader, FrameRead

#: How sure a view must be of its longer text to hold a read back: even odds. On the calibration
#: crops (world renderer, every font and design; none of the evaluation sets), with the bundled
#: reader, the views that read more than a wrong accepted read were 0.59 and 0.89 sure of it, and the
#: three views held 2 of the 3 wrong accepted reads and 1 of 378 right ones. Independent of the
#: gate's thresholds, so that calibrating a threshold sees the same holds as a site reading at it.
VIEW_SURE = 0.5
#: Channels that differ by no more than this anywhere make a grey crop, whatever its channel count.
GREY_TOLERANCE = 3
#: How many times smaller than the model's input decolourization searches its mapping. On the 1,809 reads
#: the check saw on the calibration crops and the evaluation sets, searching at half the size held every
#: read the full-size search held and 3 more (2 of them wrong), at a third of its cost (2.8 ms a crop against
#: 8.5). A third of the size cost 1.5 ms but let one wrong read of a held-out `split` plate through.
SEARCH_SHRINK = 2
#: The least span of an opponent axis (CIE L*a*b* a* or b*, 0-255) that printed colour makes. Where a view
#: held a read (calibration crops and evaluation sets: 25 holds), the axis spanned 52 levels or more; an axis
#: spanning less than half that holds only the sensor's and the compression's noise, which stretched to the
#: full range shows the reader speckle, not characters. Most real camera crops span about 11 on both axes, so
#: their reads are checked against the decolourized view alone.
PRINTED_HUE_RANGE = 24


def is_colour(crop: np.ndarray) -> bool:
    """Whether the crop has hue to lose: three channels that are not all the same grey."""
    if crop.ndim != 3 or crop.shape[2] != 3:
        return False
    # the largest spread of a pixel's channels is the largest difference of two of them; OpenCV finds each
    # pair's in one pass, where numpy's max and min along the channels took a millisecond a crop
    r, g, b = cv2.split(np.ascontiguousarray(crop))
    spread = max(cv2.norm(r, g, cv2.NORM_INF), cv2.norm(g, b, cv2.NORM_INF), cv2.norm(r, b, cv2.NORM_INF))
    return bool(spread > GREY_TOLERANCE)


def contrast_preserving_grey(crop: np.ndarray, fit: tuple[int, int]) -> np.ndarray:
    """The RGB crop in grey that keeps colour edges as grey edges, as an RGB image (three equal channels), no
    larger than ``fit`` (width, height): the model's input. The reader squeezes every crop to its input anyway.

    Decolourization maps each pixel's colour through a second-degree polynomial of its red, green and blue,
    whose coefficients it searches over the image's colour differences; the search is what costs (about 9 ms
    a crop at the model's input, several times the model's own time). So the search runs on the crop
    brought down :data:`SEARCH_SHRINK` times, and the polynomial it found (recovered by least squares from
    that small grey, which it fits exactly) maps the crop at the model's input."""
    small = _at_most(crop, fit)
    h, w = small.shape[:2]
    searched = cv2.resize(small, (max(8, round(w / SEARCH_SHRINK)), max(8, round(h / SEARCH_SHRINK))),
                          interpolation=cv2.INTER_AREA)
    grey, _ = cv2.decolor(np.ascontiguousarray(searched[..., ::-1]))  # decolor takes BGR
    terms = _colour_terms(searched)
    # least squares by its 10x10 normal equations: LAPACK's solve over every pixel started BLAS threads on top
    # of the threads that decolourize a batch and onnxruntime's, and under load took 60 ms a crop instead of 0.3
    coefficients = np.linalg.lstsq(terms.T @ terms, terms.T @ grey.reshape(-1).astype(np.float64), rcond=None)[0]
    mapped = np.clip(np.rint(_colour_terms(small) @ coefficients), 0, 255).astype(np.uint8).reshape(h, w)
    return cv2.cvtColor(mapped, cv2.COLOR_GRAY2RGB)


def _colour_terms(image: np.ndarray) -> np.ndarray:
    """Each pixel's terms of a second-degree polynomial of its colour (0..1), and a constant: (pixels, 10)."""
    r, g, b = (image.reshape(-1, 3).astype(np.float64) / 255).T
    return np.stack([r, g, b, r * g, r * b, g * b, r * r, g * g, b * b, np.ones_like(r)], axis=1)


def opponent_views(crop: np.ndarray, fit: tuple[int, int]) -> list[np.ndarray]:
    """The crop's green–red and blue–yellow axes (CIE L*a*b* a* and b*), each stretched to 0-255, as RGB
    images no larger than ``fit``: a character that differs from its band in hue alone stands out on one.
    An axis spanning fewer than :data:`PRINTED_HUE_RANGE` levels gives no view: it holds no printed colour."""
    lab = cv2.cvtColor(_at_most(crop, fit), cv2.COLOR_RGB2LAB)
    views = []
    for axis in (1, 2):
        if int(np.ptp(lab[..., axis])) < PRINTED_HUE_RANGE:
            continue
        stretched = cv2.normalize(lab[..., axis], None, 0, 255, cv2.NORM_MINMAX)
        views.append(cv2.cvtColor(stretched.astype(np.uint8), cv2.COLOR_GRAY2RGB))
    return views


def colour_views(crop: np.ndarray, fit: tuple[int, int]) -> list[np.ndarray]:
    """The grey views a colour crop's read is checked against: decolourized, then the opponent axes that hold
    printed colour (the crop brought down to ``fit`` once, for all of them)."""
    small = _at_most(crop, fit)
    return [contrast_preserving_grey(small, fit), *opponent_views(small, fit)]


def views_of_each(crops: Sequence[np.ndarray], fit: tuple[int, int]) -> list[list[np.ndarray]]:
    """:func:`colour_views` of each crop, in order, made on every core: OpenCV lets go of the interpreter
    while it decolourizes, and one crop's views need nothing of another's."""
    workers = min(len(crops), os.cpu_count() or 1)
    if workers < 2:
        return [colour_views(crop, fit) for crop in crops]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda crop: colour_views(crop, fit), crops))


def _at_most(crop: np.ndarray, fit: tuple[int, int]) -> np.ndarray:
    h, w = crop.shape[:2]
    scale = min(fit[0] / w, fit[1] / h)
    if scale >= 1:
        return crop
    return cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def reads_more(read: str, view: str) -> bool:
    """Whether ``view`` holds every character of ``read``, in order, and at least one more."""
    rest = iter(view)
    return len(view) > len(read) and all(ch in rest for ch in read)


def hold_colour_disagreements(reader: CropReader, crops: Sequence[np.ndarray], reads: Sequence[FrameRead],
                              accept_at: float, model_input: tuple[int, int]) -> list[FrameRead]:
    """``reads`` with every read at or above ``accept_at`` of a colour crop held just below it where one of its
    :func:`colour_views` reads more characters than it, at :data:`VIEW_SURE` or more."""
    checked = [i for i, read in enumerate(reads) if read.text and read.confidence >= accept_at and is_colour(crops[i])]
    if not checked:
        return list(reads)
    views = views_of_each([crops[i] for i in checked], model_input)
    view_reads = iter(reader.read([view for per_crop in views for view in per_crop]))
    out = list(reads)
    for i, per_crop in zip(checked, views):
        seen = [next(view_reads) for _ in per_crop]
        if any(v.confidence >= VIEW_SURE and reads_more(reads[i].text, v.text) for v in seen):
            out[i] = reads[i].held_below(accept_at)
    return out
