"""From a rough plate box to an upright plate crop.

A bay camera sees plates tilted and foreshortened. Cutting the axis-aligned
box out of the frame hands the recognizer a slanted plate drowned in car
body; the recognizer was trained on plates that fill the crop with a small
margin. So a candidate box is refined to the plate's own quadrilateral (the
light plate background against the darker car, or the band of character
strokes when the car is as light as the plate), and the crop is the plate
warped upright with a small margin of its surroundings.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Border kept around the plate in a rectified crop, as a fraction of the plate height.
CROP_MARGIN = 0.2
_MIN_ASPECT, _MAX_ASPECT = 1.8, 7.5


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (float32 4x2)."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    by_x = pts[np.argsort(pts[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def refine_quad(gray: np.ndarray, box: tuple[int, int, int, int], strokes: np.ndarray | None = None) -> np.ndarray | None:
    """The plate's corners (frame pixels, TL TR BR BL) near ``box``, or None if nothing plate-shaped is there.

    ``strokes`` is the rotated rectangle of the character-stroke blob that
    produced the box (``cv2.boxPoints`` order), used when the plate does not
    stand out from the car by brightness.
    """
    x1, y1, x2, y2 = box
    h, w = gray.shape[:2]
    bw, bh = x2 - x1, y2 - y1
    ex1, ey1 = max(0, x1 - bw // 4), max(0, y1 - bh // 2)
    ex2, ey2 = min(w, x2 + bw // 4), min(h, y2 + bh // 2)
    region = gray[ey1:ey2, ex1:ex2]
    if region.size == 0:
        return None
    centre = np.array([(x1 + x2) / 2 - ex1, (y1 + y2) / 2 - ey1], dtype=np.float32)
    quad = _bright_plate(region, centre, bw)
    if quad is None and strokes is not None:
        quad = _grow_strokes(np.asarray(strokes, np.float32) - [ex1, ey1])
    if quad is None:
        return None
    return order_corners(quad + np.array([ex1, ey1], dtype=np.float32))


def _bright_plate(region: np.ndarray, centre: np.ndarray, box_width: int) -> np.ndarray | None:
    """The light, plate-shaped component that holds the box's centre.

    Thresholds from Otsu's upwards are tried, so a plate on a light car
    separates from the body at some level; a component that touches the
    region's edge is the car, not the plate.
    """
    blurred = cv2.GaussianBlur(region, (3, 3), 0)
    otsu, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # close the dark character strokes inside the plate so the background is one component
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, box_width // 12) | 1, 3))
    rows, cols = region.shape[:2]
    best, best_score = None, 0.0
    for level in (otsu, otsu + 20, otsu + 40, otsu + 60):
        if level >= 250:
            break
        mask = cv2.morphologyEx((blurred > level).astype(np.uint8) * 255, cv2.MORPH_CLOSE, kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for label in range(1, count):
            x, y, cw, ch, area = stats[label]
            if not (x <= centre[0] <= x + cw and y <= centre[1] <= y + ch):
                continue
            if x == 0 or y == 0 or x + cw >= cols or y + ch >= rows:
                continue
            if cw < 0.5 * box_width or cw > 1.6 * box_width:
                continue
            points = np.column_stack(np.nonzero(labels == label)[::-1]).astype(np.float32)
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(points)
            long, short = max(rw, rh), min(rw, rh)
            if short < 5 or not _MIN_ASPECT <= long / short <= _MAX_ASPECT:
                continue
            fill = area / max(1.0, rw * rh)
            if fill < 0.6:  # not a filled rectangle
                continue
            score = fill * area
            if score > best_score:
                best, best_score = (points, cv2.boxPoints(((cx, cy), (rw, rh), angle))), float(score)
        if best is not None:  # its four sides are fitted once, for the component chosen
            return fitted_quad(*best)
    return None


#: How much better (intersection over union with the plate's hull) four sides must hold a plate than its
#: smallest rotated rectangle does before the crop follows them: a plate seen well off its axis gains 0.1
#: or more; a square-on plate whose light part is notched by a coloured band gains nothing.
QUAD_GAIN = 0.04


def fitted_quad(points: np.ndarray, rectangle: np.ndarray) -> np.ndarray:
    """The quadrilateral that holds ``points`` (a plate's pixels) along its four longest straight sides,
    so a plate seen from off its axis, a trapezoid or a parallelogram in the frame, is warped upright
    with its characters upright too. ``rectangle`` (their smallest rotated rectangle) where the sides
    do not close into a convex quadrilateral that holds the hull clearly better than the rectangle does
    (:data:`QUAD_GAIN`): a plate with rounded or clipped corners is still held by its sides, a blob or a
    plate seen square-on keeps its rectangle."""
    hull = cv2.convexHull(points.astype(np.float32))
    hull_area = float(cv2.contourArea(hull))
    if hull_area <= 0:
        return rectangle
    outline = cv2.approxPolyDP(hull, 0.015 * cv2.arcLength(hull, True), True).reshape(-1, 2).astype(np.float64)
    if len(outline) < 4:
        return rectangle
    edges = [(outline[i], outline[(i + 1) % len(outline)]) for i in range(len(outline))]
    longest = sorted(sorted(range(len(edges)), key=lambda i: -np.linalg.norm(edges[i][1] - edges[i][0]))[:4])
    corners = []
    for a, b in zip(longest, longest[1:] + longest[:1]):
        corner = _crossing(edges[a], edges[b])
        if corner is None:
            return rectangle
        corners.append(corner)
    quad = np.array(corners, dtype=np.float32)
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return rectangle
    overlap, _ = cv2.intersectConvexConvex(quad.reshape(-1, 1, 2), hull.reshape(-1, 1, 2).astype(np.float32))
    quad_fit = overlap / (float(cv2.contourArea(quad)) + hull_area - overlap)
    rectangle_fit = hull_area / max(float(cv2.contourArea(rectangle.astype(np.float32))), hull_area)
    return quad if quad_fit >= rectangle_fit + QUAD_GAIN else rectangle


def _crossing(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    """Where the lines through two edges cross; None where they meet at under 30 degrees (two sides of a
    plate meet near square; nearly parallel edges are one side in two pieces)."""
    (p, p2), (q, q2) = first, second
    r, s = p2 - p, q2 - q
    cross = r[0] * s[1] - r[1] * s[0]
    lengths = float(np.linalg.norm(r) * np.linalg.norm(s))
    if lengths == 0 or abs(cross) / lengths < np.sin(np.radians(30)):
        return None
    t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / cross
    return p + t * r


def _grow_strokes(strokes: np.ndarray) -> np.ndarray:
    """The characters' band grown to a plate: a little wider, about 1.6 times as tall."""
    quad = order_corners(strokes)
    centre = quad.mean(axis=0)
    along = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    across = (quad[3] - quad[0] + quad[2] - quad[1]) / 2
    along *= 1.08
    across *= 1.6
    return np.array([centre - along / 2 - across / 2, centre + along / 2 - across / 2,
                     centre + along / 2 + across / 2, centre - along / 2 + across / 2], dtype=np.float32)


def rectified_crop(frame: np.ndarray, corners: np.ndarray, margin: float = CROP_MARGIN) -> np.ndarray:
    """The plate warped upright at its own resolution, with ``margin`` (of its height) around it."""
    quad = order_corners(corners)
    width = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    height = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    width, height = max(width, 8.0), max(height, 4.0)
    pad = margin * height
    out_w, out_h = int(round(width + 2 * pad)), int(round(height + 2 * pad))
    target = np.array([[pad, pad], [pad + width, pad], [pad + width, pad + height], [pad, pad + height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(frame, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


#: The steepest lean of a crop's characters that :func:`upright_characters` takes out, as horizontal shift
#: per unit of height (0.36: about 20 degrees), and the steps it tries; a lean under ``MIN_SLANT`` is left.
MAX_SLANT, SLANT_STEP, MIN_SLANT = 0.36, 0.04, 0.04
#: The height the lean is measured at: enough for strokes, cheap to search.
SLANT_HEIGHT = 32
#: Only a crop at least this many times as wide as high is searched for a lean. A squarer one is a two-line
#: or a motorcycle plate, whose lines, of different widths and offset, can stack their strokes into columns
#: at a slant that is not there: on the 2,600 calibration crops, the lean taken out of crops squarer than
#: 1.5:1 read 3 of 464 fewer right, of those between 1.5:1 and 2:1 as many, of wider ones 2 of 1,766 more.
MIN_SLANT_ASPECT = 1.5


def upright_characters(crop: np.ndarray) -> np.ndarray:
    """The crop with the lean of its characters taken out.

    Corners that are a little off (a side of the plate's outline lost in a coloured band, a frame or a
    light car) warp a plate into a parallelogram: its characters come out leaning like italics, and the
    reader, which learned upright characters, reads them less surely or not at all. The lean is the shear
    at which the characters' vertical strokes stand most upright, where the horizontal gradient summed
    down each column is most concentrated (the deskew of italic print). A crop already upright, too
    small to tell, or squarer than a one-line plate (:data:`MIN_SLANT_ASPECT`) is returned as it is."""
    h, w = crop.shape[:2]
    if h < 8 or w < 16 or w < MIN_SLANT_ASPECT * h:
        return crop
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    width = max(16, int(round(w * SLANT_HEIGHT / h)))
    small = cv2.resize(grey, (width, SLANT_HEIGHT), interpolation=cv2.INTER_AREA).astype(np.float32)
    strokes = np.abs(cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3))

    def concentration(slant: float) -> float:  # how much the stroke edges pile into columns at this shear
        sheared = cv2.warpAffine(strokes, _shear(slant, SLANT_HEIGHT), (width, SLANT_HEIGHT), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)
        columns = sheared.sum(axis=0)
        return float(np.dot(columns, columns))

    steps = int(round(MAX_SLANT / SLANT_STEP))
    best, lean = concentration(0.0), 0.0  # upright wins ties: a blank crop is left as it is
    for slant in SLANT_STEP * np.arange(-steps, steps + 1):
        score = concentration(float(slant)) if slant else best
        if score > best:
            best, lean = score, float(slant)
    if abs(lean) < MIN_SLANT - 1e-6:
        return crop
    return cv2.warpAffine(crop, _shear(lean, h), (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _shear(slant: float, height: float) -> np.ndarray:
    """The affine map moving each row sideways by ``slant`` times its distance from the middle row."""
    return np.array([[1.0, slant, -slant * height / 2], [0.0, 1.0, 0.0]], dtype=np.float32)
