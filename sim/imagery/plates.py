"""Synthetic plate crops: a plate text drawn the way its country prints it.

A crop is what a plate detector hands the OCR: the plate with a little of the
car around it, slightly rotated and tilted, never perfectly framed. Every crop
comes with the plate's four corners, so detector and OCR can both be scored.

Styles follow real plates closely enough that an OCR trained here meets the
same clutter it will meet on the road:

* ``uk_front`` / ``uk_rear``: white or yellow, 520x111 mm, black characters
  79 mm high, optional side band (GB with EU stars, GB or UK with the Union
  flag, the green flash of zero-emission vehicles), dealer line, 3D letters.
* ``eu`` (fr, nl): 520x110 mm, the blue EU band with a ring of stars and the
  country letters; France adds a regional band on the right, the Netherlands
  print on yellow.
* ``us`` (us_ca): 12x6 in, the state's name on top, a slogan at the bottom,
  registration stickers in the top corners, often a dealer frame that hides
  part of both.

Within a style, fonts (DejaVu only, from ``fonts/``), character width and
spacing, borders, colours, raised characters, screws and wear (fading,
scratches, grime) vary.

Speed matters (training sets are ~100k crops): each glyph is rendered once per
font at a large size and cached; a plate only resizes and pastes glyphs, and
all drawing works on small arrays.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from baytwin.core.plates import PlateFormat, generate_plate, load_formats, sanitize

FONT_DIR = Path(__file__).with_name("fonts")
#: Font keys -> files in FONT_DIR. Fonts never come from system paths, so a
#: data set is the same on every machine.
FONT_FILES: dict[str, str] = {
    "sans": "DejaVuSans-Bold.ttf",
    "condensed": "DejaVuSansCondensed-Bold.ttf",
    "mono": "DejaVuSansMono-Bold.ttf",
    "serif": "DejaVuSerif-Bold.ttf",
}

Colour = tuple[float, float, float]

BLACK: Colour = (18, 18, 20)
UK_WHITE: Colour = (246, 246, 242)
UK_YELLOW: Colour = (252, 206, 18)
NL_YELLOW: Colour = (250, 196, 10)
EU_BLUE: Colour = (0, 51, 153)
EU_STAR: Colour = (255, 204, 0)
GREEN_FLASH: Colour = (0, 158, 84)
FLAG_BLUE: Colour = (1, 33, 105)
FLAG_RED: Colour = (200, 16, 46)
WHITE: Colour = (250, 250, 250)
US_NAVY: Colour = (22, 34, 96)
US_RED: Colour = (196, 30, 44)

# Car paint for the margin around a crop (and the car body in scenes).
CAR_COLOURS: tuple[Colour, ...] = (
    (235, 235, 232), (20, 20, 22), (160, 163, 168), (95, 98, 104), (28, 48, 105),
    (150, 20, 25), (40, 70, 50), (190, 190, 185), (60, 30, 25), (210, 205, 190),
)

_MASTER_CAP_PX = 160  # glyphs are rendered once at this cap height, then only shrunk
_CORNER_RADIUS_MM = {"uk_front": 5.0, "uk_rear": 5.0, "eu": 5.0, "us": 9.0}


# --------------------------------------------------------------------------
# Public types and styles
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StyleSpec:
    """Physical layout of one plate style, in millimetres as regulations give it."""

    size_mm: tuple[float, float]  # width, height
    char_height_mm: float
    char_width_mm: float  # a typical wide character ("A", "8")
    spacing_mm: float  # between characters of a group
    group_gap_mm: float  # extra room where the display text has a space
    text_centre_mm: float  # vertical centre of the characters, from the top
    fonts: tuple[str, ...]  # plausible fonts, most likely first
    font_weights: tuple[float, ...]


STYLES: dict[str, StyleSpec] = {
    "uk_front": StyleSpec((520, 111), 79, 50, 11, 33, 55.5, ("condensed", "sans", "mono"), (0.6, 0.25, 0.15)),
    "uk_rear": StyleSpec((520, 111), 79, 50, 11, 33, 55.5, ("condensed", "sans", "mono"), (0.6, 0.25, 0.15)),
    "eu": StyleSpec((520, 110), 72, 41, 5, 8, 55, ("condensed", "mono", "sans", "serif"), (0.5, 0.25, 0.15, 0.1)),
    "us": StyleSpec((305, 152), 63, 32, 5, 0, 82, ("condensed", "mono", "sans", "serif"), (0.5, 0.3, 0.1, 0.1)),
}


@dataclass(frozen=True, slots=True)
class EuCountry:
    """What an EU plate of one country looks like beyond the common band."""

    letters: str  # distinguishing sign in the blue band
    background: Colour
    regional_band: bool  # France: department number and region logo on the right
    border_probability: float


EU_COUNTRIES: dict[str, EuCountry] = {
    "FR": EuCountry("F", WHITE, regional_band=True, border_probability=0.35),
    "NL": EuCountry("NL", NL_YELLOW, regional_band=False, border_probability=0.8),
}


@dataclass(frozen=True, slots=True)
class UsState:
    """The printed state name and the slogans seen at the bottom of its plates."""

    name: str
    slogans: tuple[str, ...]


US_STATES: dict[str, UsState] = {
    "us_ca": UsState("California", ("dmv.ca.gov", "DMV.CA.GOV", "dmv.ca.gov", "")),
}

# Fictional dealers: real plates carry their names and they confuse OCR.
DEALERS_UK = ("WESTGATE MOTORS", "HILLSIDE CARS LTD", "NORTHWAY AUTOS", "RIVERSIDE MOTOR GROUP", "PARKS OF BRIGHTON")
DEALERS_US = ("SUNSET HONDA", "VALLEY FORD", "PACIFIC TOYOTA", "BAYSIDE NISSAN", "GOLDEN STATE AUTO", "CITRUS KIA")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
FR_DEPARTMENTS = ("75", "69", "13", "33", "59", "31", "44", "67", "2A", "06", "92", "974", "35", "38", "29")


@dataclass(frozen=True, slots=True)
class PlateFace:
    """A plate on its own, before it is put anywhere.

    ``rgba`` is uint8 HxWx4; alpha cuts the rounded corners. The plate's
    corners are the image's corners ``(0,0), (W,0), (W,H), (0,H)``.
    """

    rgba: np.ndarray
    text: str  # compact, e.g. "AB12CDE"
    format: str
    style: str
    glyphs: np.ndarray  # float32 Nx4x2: each character's box as a quad (as ``corners``), in text order

    @property
    def corners(self) -> np.ndarray:
        """Top-left, top-right, bottom-right, bottom-left, in pixels (float32 4x2)."""
        h, w = self.rgba.shape[:2]
        return np.float32([[0, 0], [w, 0], [w, h], [0, h]])


@dataclass(frozen=True, slots=True)
class PlateImage:
    """A plate crop: RGB uint8 image and where the plate is in it."""

    image: np.ndarray  # HxWx3 uint8, RGB
    corners: np.ndarray  # float32 4x2: top-left, top-right, bottom-right, bottom-left
    text: str  # compact, e.g. "AB12CDE"
    format: str
    style: str
    glyphs: np.ndarray  # float32 Nx4x2: each character's box in the image, in text order


def styles_for(fmt: PlateFormat | str) -> tuple[str, ...]:
    """The plate styles a format is printed in (uk: front and rear, fr/nl: eu, us_ca: us).

    A new format needs its country in EU_COUNTRIES or its name in US_STATES
    (or GB); anything else raises ValueError rather than drawing a plate no
    country issues.
    """
    fmt = as_format(fmt)
    if fmt.country == "GB":
        return ("uk_front", "uk_rear")
    if fmt.country in EU_COUNTRIES:
        return ("eu",)
    if fmt.name in US_STATES:
        return ("us",)
    raise ValueError(f"no plate style for format {fmt.name!r} ({fmt.country}); add one in {__name__}")


def as_format(fmt: PlateFormat | str) -> PlateFormat:
    """``fmt`` itself, or the format of that name from core/plate_formats.yaml."""
    if isinstance(fmt, PlateFormat):
        return fmt
    formats = load_formats()
    if fmt not in formats:
        raise ValueError(f"unknown plate format {fmt!r}; known: {', '.join(formats)}")
    return formats[fmt]


def random_plate_text(fmt: PlateFormat | str, rng: np.random.Generator) -> str:
    """A valid random plate of ``fmt`` (compact), drawn from ``rng`` via core.plates.generate_plate."""
    return generate_plate(as_format(fmt), random.Random(int(rng.integers(2**63))))


def aspect_ratio(style: str) -> float:
    """Width / height of a plate of ``style`` (e.g. 520/111 for uk)."""
    w, h = STYLES[style].size_mm
    return w / h


# --------------------------------------------------------------------------
# Rendering: the plate on its own, then the crop around it
# --------------------------------------------------------------------------


def render_plate_face(
    text: str,
    fmt: PlateFormat | str,
    rng: np.random.Generator,
    style: str | None = None,
    *,
    px_per_mm: float = 0.6,
) -> PlateFace:
    """Draw the plate ``text`` of ``fmt`` at ``px_per_mm`` resolution, with a random look.

    ``style`` defaults to a random one of :func:`styles_for` (uk: front or
    rear). Raises ValueError if ``text`` is not a plate of ``fmt``.
    """
    fmt = as_format(fmt)
    display = fmt.display_text(text)
    allowed = styles_for(fmt)
    if style is None:
        style = allowed[int(rng.integers(len(allowed)))]
    elif style not in allowed:
        raise ValueError(f"style {style!r} is not used for {fmt.name} plates (use one of {allowed})")
    canvas = _Canvas.blank(STYLES[style], px_per_mm)
    _PAINTERS[style](canvas, display, fmt, rng)
    _wear(canvas, rng)
    rgba = canvas.to_rgba(_CORNER_RADIUS_MM[style] * float(rng.uniform(0.5, 1.3)))
    return PlateFace(rgba, sanitize(text), fmt.name, style, _quads(canvas.glyph_boxes))


def render_plate(
    text: str,
    fmt: PlateFormat | str,
    rng: np.random.Generator,
    style: str | None = None,
    *,
    char_height_px: float | None = None,
    margin: float | None = None,
    jitter: bool = True,
) -> PlateImage:
    """A detector-style crop of the plate ``text``: the plate, a margin of car, a little tilt.

    ``char_height_px`` sets the resolution (default: random 30-60 px, the
    range a bay camera gives after the detector's resize). ``margin`` is the
    border of car around the plate as a fraction of the plate height (default:
    random 0.08-0.4 per side, as a detector frames loosely). ``jitter`` adds
    the small rotation and perspective of a real crop; without it the plate
    is axis-aligned.
    """
    fmt = as_format(fmt)
    styles = styles_for(fmt)
    style = style or styles[int(rng.integers(len(styles)))]
    spec = STYLES[style]
    if char_height_px is None:
        char_height_px = float(rng.uniform(30, 60))
    face = render_plate_face(text, fmt, rng, style, px_per_mm=char_height_px / spec.char_height_mm)
    image, corners, to_crop = _frame_crop(face, rng, margin, jitter)
    glyphs = cv2.perspectiveTransform(face.glyphs.reshape(-1, 1, 2), to_crop).reshape(-1, 4, 2)
    return PlateImage(image, corners, face.text, face.format, face.style, glyphs.astype(np.float32))


def _quads(boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """(x0, y0, x1, y1) boxes as Nx4x2 quads: top-left, top-right, bottom-right, bottom-left."""
    return np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]] for x0, y0, x1, y1 in boxes]).reshape(-1, 4, 2)


def paste_warped(dst: np.ndarray, rgba: np.ndarray, homography: np.ndarray) -> None:
    """Draw the RGBA texture into ``dst`` (float32 HxWx3, edited in place) through ``homography``.

    Only the bounding box of the warped texture is touched, so pasting a
    small plate into a 1080p frame costs what the plate costs. The texture is
    padded with a transparent rim of its own edge colour first, so edges are
    anti-aliased without a dark fringe.
    """
    padded = np.pad(rgba, ((1, 1), (1, 1), (0, 0)), mode="edge")
    padded[0, :, 3] = padded[-1, :, 3] = 0
    padded[:, 0, 3] = padded[:, -1, 3] = 0
    shift_in = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1]], np.float64)  # padded -> original pixels
    h, w = padded.shape[:2]
    homography = np.asarray(homography, np.float64) @ np.linalg.inv(shift_in)
    outline = cv2.perspectiveTransform(np.float32([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]]), homography)[:, 0]
    x0, y0 = np.maximum(np.floor(outline.min(axis=0)).astype(int) - 1, 0)
    x1 = min(int(np.ceil(outline[:, 0].max())) + 2, dst.shape[1])
    y1 = min(int(np.ceil(outline[:, 1].max())) + 2, dst.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    to_box = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ homography
    warped = cv2.warpPerspective(padded, to_box, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR)
    alpha = as_rgb(warped[..., 3].astype(np.float32) * (1 / 255))
    region = dst[y0:y1, x0:x1]
    change = warped[..., :3].astype(np.float32) - region
    change *= alpha
    region += change


def noise_field(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Zero-mean, unit-variance noise (float32 HxW), a random window of one cached tile.

    Drawing fresh Gaussian noise for every plate and frame is the slowest
    part of texturing; a window at a random offset of a fixed tile is as
    good to the eye and costs a slice.
    """
    tile = _noise_tile()
    size = tile.shape[0]
    oy, ox = (int(v) for v in rng.integers(0, size, 2))
    if height + oy <= size and width + ox <= size:
        return tile[oy : oy + height, ox : ox + width]
    rows = (oy + np.arange(height)) % size
    cols = (ox + np.arange(width)) % size
    return tile[np.ix_(rows, cols)]


def as_rgb(plane: np.ndarray) -> np.ndarray:
    """A float32 HxW plane repeated to HxWx3, to blend pixel images without numpy's slow
    broadcasting over the last axis."""
    return cv2.cvtColor(np.ascontiguousarray(plane, np.float32), cv2.COLOR_GRAY2RGB)


def car_colour(rng: np.random.Generator) -> Colour:
    """A common car paint colour, slightly varied."""
    return _jitter(CAR_COLOURS[int(rng.integers(len(CAR_COLOURS)))], rng, 10)


# --------------------------------------------------------------------------
# Canvas and text primitives
# --------------------------------------------------------------------------


@dataclass(slots=True)
class _Canvas:
    """The plate being drawn: float RGB so blends do not band, and its millimetre scale."""

    rgb: np.ndarray  # float32 3xHxW, 0..255; planar, as numpy blends planes ~10x faster than pixels
    px_per_mm: float
    spec: StyleSpec
    glyph_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)  # characters drawn, (x0, y0, x1, y1)

    @classmethod
    def blank(cls, spec: StyleSpec, px_per_mm: float) -> _Canvas:
        w_mm, h_mm = spec.size_mm
        w, h = max(round(w_mm * px_per_mm), 8), max(round(h_mm * px_per_mm), 4)
        return cls(np.zeros((3, h, w), np.float32), px_per_mm, spec)

    @property
    def height(self) -> int:
        return self.rgb.shape[1]

    @property
    def width(self) -> int:
        return self.rgb.shape[2]

    def px(self, mm: float) -> int:
        """Millimetres on the plate to whole pixels."""
        return round(mm * self.px_per_mm)

    def fill(self, colour: Colour, rect_mm: tuple[float, float, float, float] | None = None) -> None:
        """Fill the plate, or the rectangle (x0, y0, x1, y1) in mm, with a flat colour."""
        planes = np.asarray(colour, np.float32)[:, None, None]
        if rect_mm is None:
            self.rgb[:] = planes
            return
        x0, y0, x1, y1 = (self.px(v) for v in rect_mm)
        self.rgb[:, max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = planes

    def paint(self, mask: np.ndarray, colour: Colour, x: int = 0, y: int = 0, opacity: float = 1.0) -> None:
        """Blend ``colour`` through ``mask`` (float 0..1, or uint8 0..255) placed at pixel (x, y)."""
        if mask.dtype == np.uint8:
            mask = mask.astype(np.float32) * (1 / 255)
        h, w = mask.shape
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, self.width), min(y + h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        m = mask[y0 - y : y1 - y, x0 - x : x1 - x]
        if opacity != 1.0:
            m = m * opacity
        region = self.rgb[:, y0:y1, x0:x1]
        change = np.asarray(colour, np.float32)[:, None, None] - region
        change *= m
        region += change

    def draw(self, colour: Colour, shape: Callable[[np.ndarray], object], opacity: float = 1.0) -> None:
        """Paint whatever ``shape(mask)`` draws (cv2 calls with colour 255, LINE_AA) in ``colour``."""
        mask = np.zeros((self.height, self.width), np.uint8)
        shape(mask)
        x, y, w, h = cv2.boundingRect(mask)  # blend only where something was drawn
        if w and h:
            self.paint(mask[y : y + h, x : x + w], colour, x, y, opacity)

    def text(self, text: str, font: str, colour: Colour, centre_mm: tuple[float, float], height_mm: float,
             max_width_mm: float | None = None, shear: float = 0.0) -> None:
        """Write a short text line (band letters, slogans, dealer names) centred at ``centre_mm``."""
        height = max(self.px(height_mm), 3)
        ink = text_ink(font, text, shear)
        width = max(round(ink.shape[1] * height / ink.shape[0]), 1)
        if max_width_mm is not None:
            width = min(width, max(self.px(max_width_mm), 1))
        mask = cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA)
        cx, cy = self.px(centre_mm[0]), self.px(centre_mm[1])
        self.paint(mask, colour, cx - width // 2, cy - height // 2)

    def to_rgba(self, corner_radius_mm: float) -> np.ndarray:
        """The plate as uint8 RGBA, alpha cutting rounded corners."""
        alpha = _rounded_mask(self.height, self.width, max(self.px(corner_radius_mm), 1))
        rgba = np.empty((self.height, self.width, 4), np.uint8)
        rgba[..., :3] = np.clip(self.rgb, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        rgba[..., 3] = alpha
        return rgba


@lru_cache(maxsize=64)
def _rounded_mask(height: int, width: int, radius: int) -> np.ndarray:
    """Opaque rounded rectangle filling the image, anti-aliased (cached: plates repeat sizes)."""
    radius = min(radius, height // 2, width // 2)
    mask = np.zeros((height, width), np.uint8)
    cv2.rectangle(mask, (radius, 0), (width - 1 - radius, height - 1), 255, -1)
    cv2.rectangle(mask, (0, radius), (width - 1, height - 1 - radius), 255, -1)
    for cx, cy in ((radius, radius), (width - 1 - radius, radius), (radius, height - 1 - radius),
                   (width - 1 - radius, height - 1 - radius)):
        cv2.circle(mask, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    mask.flags.writeable = False
    return mask


@cache
def _font(key: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[key]), size)


@cache
def _master_size(key: str) -> int:
    """Font size at which the cap height ("H") is _MASTER_CAP_PX pixels."""
    _, top, _, bottom = _font(key, 100).getbbox("H")
    return round(100 * _MASTER_CAP_PX / (bottom - top))


@cache
def _glyph(key: str, char: str) -> tuple[np.ndarray, float]:
    """One character's ink (float32 0..1, cropped) at master cap height, and its top below the cap line.

    Rendered once per font and character; plates only shrink it. Keeping the
    offset from the cap line keeps round letters' overshoot, as real type has.
    """
    font = _font(key, _master_size(key))
    ink, top = _render_ink(font, char)
    cap_top = font.getbbox("H")[1]
    return ink, float(top - cap_top)


@lru_cache(maxsize=1024)
def text_ink(key: str, text: str, shear: float = 0.0) -> np.ndarray:
    """A text line's ink (float32 0..1, cropped to the ink, read-only) in font ``key`` of FONT_FILES.

    Rendered once at a large size and cached; callers resize it. ``shear``
    slants it to fake italics (there is no italic font in ``fonts/``).
    """
    ink, _ = _render_ink(_font(key, _master_size(key) // 2), text)
    if shear:
        h, w = ink.shape
        extra = int(abs(shear) * h) + 2
        m = np.float32([[1, -shear, shear * h if shear > 0 else 0], [0, 1, 0]])
        ink = cv2.warpAffine(ink, m, (w + extra, h), flags=cv2.INTER_LINEAR)
        ink = _crop_ink(ink)[0]
    ink.flags.writeable = False
    return ink


def _render_ink(font: ImageFont.FreeTypeFont, text: str) -> tuple[np.ndarray, int]:
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (right - left + 8, bottom - top + 8))
    ImageDraw.Draw(image).text((4 - left, 4 - top), text, font=font, fill=255)
    ink, y0 = _crop_ink(np.asarray(image, np.float32) * (1 / 255))
    return ink, top - 4 + y0


def _crop_ink(ink: np.ndarray) -> tuple[np.ndarray, int]:
    rows = np.flatnonzero(ink.max(axis=1) > 0.02)
    cols = np.flatnonzero(ink.max(axis=0) > 0.02)
    return np.ascontiguousarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]), int(rows[0])


@cache
def _mean_aspect(key: str) -> float:
    """Average ink width / cap height of plate characters in a font, to hit a style's character width."""
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ023456789"
    return float(np.mean([_glyph(key, c)[0].shape[1] for c in chars])) / _MASTER_CAP_PX


@lru_cache(maxsize=1)
def _noise_tile() -> np.ndarray:
    """1024x1024 unit Gaussian noise from a fixed seed, so textures are reproducible."""
    tile = np.random.default_rng(20240601).standard_normal((1024, 1024), dtype=np.float32)
    tile.flags.writeable = False
    return tile


def _jitter(colour: Colour, rng: np.random.Generator, amount: float) -> Colour:
    """``colour`` moved by up to ``amount`` per channel: paint, sheeting and print vary."""
    shifted = np.clip(np.asarray(colour, np.float32) + rng.uniform(-amount, amount, 3), 0, 255)
    return tuple(float(v) for v in shifted)  # type: ignore[return-value]


def _choose(rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...]) -> str:
    p = np.asarray(weights, np.float64)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


# --------------------------------------------------------------------------
# Characters
# --------------------------------------------------------------------------


def _place_characters(
    c: _Canvas,
    display: str,
    rng: np.random.Generator,
    x_range_mm: tuple[float, float],
    colour: Colour,
    *,
    raised: bool = False,
    height_scale: float = 1.0,
) -> None:
    """Lay out ``display`` (spaces and dashes included) centred in ``x_range_mm`` and paint it.

    Character width follows the style's nominal width whatever the font, as
    plate fonts are drawn to a fixed size; spacing, width, weight and a small
    offset vary. If the text would not fit, it is squeezed, as a plate maker
    squeezes a long registration.
    """
    spec = c.spec
    font = _choose(rng, spec.fonts, spec.font_weights)
    height = max(c.px(spec.char_height_mm * height_scale * rng.uniform(0.94, 1.03)), 4)
    scale = height / _MASTER_CAP_PX
    stretch = (spec.char_width_mm / spec.char_height_mm) / _mean_aspect(font) * rng.uniform(0.88, 1.08)
    spacing = spec.spacing_mm * c.px_per_mm * rng.uniform(0.6, 1.4)
    gap = spec.group_gap_mm * c.px_per_mm * rng.uniform(0.7, 1.2)
    dash_w = 0.45 * spec.char_width_mm * c.px_per_mm

    widths = [_char_width(ch, font, scale, stretch, dash_w) for ch in display]
    gaps = [gap if ch == " " else spacing for ch in display[1:]]
    available = (x_range_mm[1] - x_range_mm[0]) * c.px_per_mm * 0.98
    natural = sum(widths) + sum(gaps)
    squeeze = min(1.0, available / natural) if natural > 0 else 1.0
    x = x_range_mm[0] * c.px_per_mm + (available / 0.98 - natural * squeeze) / 2
    x += rng.uniform(-0.02, 0.02) * available
    cap_top = spec.text_centre_mm * c.px_per_mm - height / 2 + rng.uniform(-0.03, 0.03) * height

    mask = np.zeros((c.height, c.width), np.float32)
    for i, ch in enumerate(display):
        w = widths[i] * squeeze
        if ch == "-":
            _paste_max(mask, _dash(w, height), round(x), round(cap_top + height * 0.45))
        elif ch != " ":
            ink, offset = _glyph(font, ch)
            # Plate type sits on one baseline: DejaVu's descending J and Q are pulled up to cap height.
            glyph_h = min(ink.shape[0], _MASTER_CAP_PX * 1.03) * scale
            offset = min(max(offset, -0.02 * _MASTER_CAP_PX), 0.02 * _MASTER_CAP_PX)
            glyph = cv2.resize(ink, (max(round(w), 1), max(round(glyph_h), 1)),
                               interpolation=cv2.INTER_AREA)
            top = round(cap_top + offset * scale)
            _paste_max(mask, glyph, round(x), top)
            c.glyph_boxes.append((round(x), top, round(x) + glyph.shape[1], top + glyph.shape[0]))
        if i < len(gaps):
            x += w + gaps[i] * squeeze
    mask = np.clip(mask, 0, 1) ** float(rng.uniform(0.7, 1.4))  # heavier or lighter stroke
    if raised:
        _emboss(c, mask, rng)
    c.paint(mask, colour)


def _char_width(ch: str, font: str, scale: float, stretch: float, dash_w: float) -> float:
    if ch == " ":
        return 0.0
    if ch == "-":
        return dash_w
    return _glyph(font, ch)[0].shape[1] * scale * stretch


def _dash(width: float, char_height: int) -> np.ndarray:
    h = max(round(char_height * 0.11), 1)
    return np.ones((h, max(round(width), 1)), np.float32)


def _paste_max(dst: np.ndarray, src: np.ndarray, x: int, y: int) -> None:
    h, w = src.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, dst.shape[1]), min(y + h, dst.shape[0])
    if x0 < x1 and y0 < y1:
        np.maximum(dst[y0:y1, x0:x1], src[y0 - y : y1 - y, x0 - x : x1 - x], out=dst[y0:y1, x0:x1])


def _emboss(c: _Canvas, mask: np.ndarray, rng: np.random.Generator) -> None:
    """Shadow below-right and a highlight above-left of raised (pressed or 3D gel) characters."""
    d = max(1, round(c.height * 0.012))
    shadow = np.zeros_like(mask)
    shadow[d:, d:] = mask[:-d, :-d]
    c.paint(shadow, (0, 0, 0), opacity=float(rng.uniform(0.25, 0.5)))
    highlight = np.zeros_like(mask)
    highlight[:-d, :-d] = mask[d:, d:]
    c.paint(highlight, (255, 255, 255), opacity=float(rng.uniform(0.2, 0.5)))


# --------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------


def _paint_uk(c: _Canvas, display: str, fmt: PlateFormat, rng: np.random.Generator, rear: bool) -> None:
    """UK plate: BS AU 145e layout, optional side band, border, dealer line and screws."""
    w_mm, h_mm = c.spec.size_mm
    c.fill(_jitter(UK_YELLOW if rear else UK_WHITE, rng, 6))
    band = _choose(rng, ("none", "green", "uk", "gb_flag", "gb_eu"), (0.45, 0.2, 0.15, 0.08, 0.12))
    left = _uk_band(c, band, rng) if band != "none" else 0.0
    if rng.random() < 0.3:
        _border(c, rng, BLACK)
    if rng.random() < 0.4:
        dealer = DEALERS_UK[int(rng.integers(len(DEALERS_UK)))]
        c.text(dealer, "sans", (60, 60, 60), ((left + w_mm) / 2, h_mm - 5.5), 4.5)
    _place_characters(c, display, rng, (left + 11, w_mm - 11), _jitter(BLACK, rng, 8), raised=rng.random() < 0.35)
    if rng.random() < 0.35:
        _screws(c, rng, (left + 40, w_mm - 40), h_mm / 2)


def _uk_band(c: _Canvas, kind: str, rng: np.random.Generator) -> float:
    """The left band: green flash, or blue with a national identifier. Returns its width in mm."""
    h_mm = c.spec.size_mm[1]
    width = float(rng.uniform(40, 50))
    if kind == "green":
        c.fill(_jitter(GREEN_FLASH, rng, 10), (0, 0, width * 0.7, h_mm))
        return width * 0.7
    c.fill(_jitter(EU_BLUE, rng, 8), (0, 0, width, h_mm))
    if kind == "gb_eu":
        _eu_stars(c, width / 2, 32, 13)
    else:
        _union_flag(c, (width * 0.12, 12, width * 0.88, 12 + width * 0.76 / 2))
    c.text("UK" if kind == "uk" else "GB", "sans", WHITE, (width / 2, h_mm - 28), 22, max_width_mm=width * 0.8)
    return width


def _paint_eu(c: _Canvas, display: str, fmt: PlateFormat, rng: np.random.Generator) -> None:
    """EU plate: blue band with stars and country letters; France adds its regional band."""
    country = EU_COUNTRIES[fmt.country]
    w_mm, h_mm = c.spec.size_mm
    c.fill(_jitter(country.background, rng, 6))
    band = float(rng.uniform(40, 46))
    c.fill(_jitter(EU_BLUE, rng, 8), (0, 0, band, h_mm))
    _eu_stars(c, band / 2, h_mm * 0.33, band * 0.3)
    c.text(country.letters, "sans", WHITE, (band / 2, h_mm * 0.76), 22, max_width_mm=band * 0.8)
    right = w_mm
    if country.regional_band:
        right = w_mm - band
        _french_region(c, right, band, rng)
    if rng.random() < country.border_probability:
        _border(c, rng, BLACK)
    _place_characters(c, display, rng, (band + 4, right - 4), _jitter(BLACK, rng, 8), raised=rng.random() < 0.15)
    if rng.random() < 0.3:
        _screws(c, rng, (band + 45, right - 45), h_mm / 2)


def _french_region(c: _Canvas, x0: float, width: float, rng: np.random.Generator) -> None:
    """France's right band: a region logo (here an abstract badge) over the department number."""
    h_mm = c.spec.size_mm[1]
    c.fill(_jitter(EU_BLUE, rng, 8), (x0, 0, x0 + width, h_mm))
    cx, cy, r = c.px(x0 + width / 2), c.px(h_mm * 0.32), max(c.px(width * 0.3), 2)
    logo = _jitter(((255, 255, 255), (230, 40, 40), (250, 200, 0), (40, 160, 80))[int(rng.integers(4))], rng, 10)
    if rng.random() < 0.5:
        c.draw(logo, lambda m: cv2.circle(m, (cx, cy), r, 255, -1, cv2.LINE_AA))
    else:
        c.draw(logo, lambda m: cv2.rectangle(m, (cx - r, cy - r), (cx + r, cy + r), 255, -1, cv2.LINE_AA))
    accent = _jitter((200, 30, 40) if logo[0] > 240 and logo[1] > 240 else (255, 255, 255), rng, 10)
    c.draw(accent, lambda m: cv2.line(m, (cx - r, cy + r // 2), (cx + r, cy - r // 2), 255, max(r // 3, 1), cv2.LINE_AA))
    dept = FR_DEPARTMENTS[int(rng.integers(len(FR_DEPARTMENTS)))]
    c.text(dept, "sans", WHITE, (x0 + width / 2, h_mm * 0.76), 20, max_width_mm=width * 0.8)


def _paint_us(c: _Canvas, display: str, fmt: PlateFormat, rng: np.random.Generator) -> None:
    """US plate (California): state name, slogan, embossed characters, stickers, bolt holes, dealer frame."""
    state = US_STATES[fmt.name]
    w_mm, h_mm = c.spec.size_mm
    c.fill(_jitter((244, 245, 248), rng, 6))
    _vertical_tint(c, rng)
    red = _jitter(US_RED, rng, 15)
    c.text(state.name, "serif", red, (w_mm / 2 + rng.uniform(-5, 5), 22), 21, shear=0.22)
    slogan = state.slogans[int(rng.integers(len(state.slogans)))]
    if slogan:
        c.text(slogan, "sans", red if rng.random() < 0.6 else _jitter(US_NAVY, rng, 10), (w_mm / 2, h_mm - 13), 8)
    for x in (w_mm / 2 - 89, w_mm / 2 + 89):
        for y in ((12, h_mm - 12) if rng.random() < 0.5 else (12,)):
            c.draw((70, 70, 75), lambda m, x=x, y=y: cv2.ellipse(
                m, (c.px(x), c.px(y)), (max(c.px(5), 1), max(c.px(3), 1)), 0, 0, 360, 255, -1, cv2.LINE_AA))
    _place_characters(c, display, rng, (14, w_mm - 14), _jitter(US_NAVY, rng, 12), raised=True)
    _stickers(c, rng)
    if rng.random() < 0.6:
        _dealer_frame(c, rng)


def _stickers(c: _Canvas, rng: np.random.Generator) -> None:
    """Registration stickers: month at top left, year at top right, each not always there."""
    w_mm = c.spec.size_mm[0]
    colours = ((240, 120, 30), (40, 140, 60), (230, 60, 120), (30, 110, 200), (240, 210, 40), (120, 60, 160))
    spots = []
    if rng.random() < 0.6:
        spots.append((10, _MONTHS[int(rng.integers(12))]))
    if rng.random() < 0.85:
        spots.append((w_mm - 10 - 30, f"{int(rng.integers(20, 30))}"))
    for x, label in spots:
        y = float(rng.uniform(6, 10))
        colour = _jitter(colours[int(rng.integers(len(colours)))], rng, 12)
        c.fill(colour, (x, y, x + 30, y + 22))
        c.text(label, "sans", (20, 20, 20), (x + 15, y + 11), 11, max_width_mm=24)


def _dealer_frame(c: _Canvas, rng: np.random.Generator) -> None:
    """A dealer's plastic or chrome frame, hiding part of the state name and the slogan."""
    w_mm, h_mm = c.spec.size_mm
    chrome = rng.random() < 0.35
    colour = _jitter((175, 178, 182) if chrome else (22, 22, 24), rng, 10)
    top, bottom, side = float(rng.uniform(5, 17)), float(rng.uniform(12, 24)), float(rng.uniform(3, 8))
    c.fill(colour, (0, 0, w_mm, top))
    c.fill(colour, (0, h_mm - bottom, w_mm, h_mm))
    c.fill(colour, (0, 0, side, h_mm))
    c.fill(colour, (w_mm - side, 0, w_mm, h_mm))
    ink = (25, 25, 25) if chrome else (235, 235, 235)
    dealer = DEALERS_US[int(rng.integers(len(DEALERS_US)))]
    c.text(dealer, "sans", ink, (w_mm / 2, h_mm - bottom / 2), min(bottom * 0.5, 9), max_width_mm=w_mm * 0.7)
    if chrome:  # a highlight along the inner edge sells the metal
        c.fill((235, 235, 238), (side, top - 1.2, w_mm - side, top))


def _eu_stars(c: _Canvas, cx_mm: float, cy_mm: float, radius_mm: float) -> None:
    """Twelve small five-pointed stars on a ring, as on the EU band."""
    star_r = radius_mm * 0.2
    outline = []
    for k in range(12):
        a = 2 * np.pi * k / 12
        sx, sy = cx_mm + radius_mm * np.cos(a), cy_mm + radius_mm * np.sin(a)
        pts = [(sx + (star_r if j % 2 == 0 else star_r * 0.45) * np.sin(np.pi * j / 5),
                sy - (star_r if j % 2 == 0 else star_r * 0.45) * np.cos(np.pi * j / 5)) for j in range(10)]
        outline.append((np.array(pts) * c.px_per_mm * 16).astype(np.int32))
    c.draw(EU_STAR, lambda m: cv2.fillPoly(m, outline, 255, cv2.LINE_AA, shift=4))


def _union_flag(c: _Canvas, rect_mm: tuple[float, float, float, float]) -> None:
    """A small Union flag: blue field, white and red saltires, white and red crosses."""
    x0, y0, x1, y1 = (c.px(v) for v in rect_mm)
    if x1 - x0 < 4 or y1 - y0 < 2:
        return
    c.fill(FLAG_BLUE, rect_mm)
    xm, ym = (x0 + x1) // 2, (y0 + y1) // 2
    diagonals = (((x0, y0), (x1, y1)), ((x0, y1), (x1, y0)))
    upright = (((xm, y0), (xm, y1)), ((x0, ym), (x1, ym)))

    def lines(segments: tuple, thickness: int) -> Callable[[np.ndarray], None]:
        def draw(mask: np.ndarray) -> None:
            for a, b in segments:
                cv2.line(mask, a, b, 255, max(thickness, 1), cv2.LINE_AA)
        return draw

    t = max((y1 - y0) // 5, 1)
    c.draw(WHITE, lines(diagonals, t))
    c.draw(FLAG_RED, lines(diagonals, t // 2))
    c.draw(WHITE, lines(upright, int(t * 1.7)))
    c.draw(FLAG_RED, lines(upright, t))


def _border(c: _Canvas, rng: np.random.Generator, colour: Colour) -> None:
    """A thin printed border inset from the edge (optional on UK and French plates, usual on Dutch)."""
    inset = c.px(float(rng.uniform(2, 5)))
    thick = max(c.px(float(rng.uniform(1.5, 3.5))), 1)
    c.draw(colour, lambda m: cv2.rectangle(m, (inset, inset), (c.width - 1 - inset, c.height - 1 - inset),
                                           255, thick, cv2.LINE_AA))


def _screws(c: _Canvas, rng: np.random.Generator, xs_mm: tuple[float, float], y_mm: float) -> None:
    """Two screw heads or caps (white, yellow, chrome): they sit near characters and fool OCR."""
    colour = _jitter(((235, 235, 235), (240, 200, 30), (170, 170, 175), (30, 30, 30))[int(rng.integers(4))], rng, 10)
    r = max(c.px(float(rng.uniform(3.5, 6))), 1)
    for x in xs_mm:
        cx, cy = c.px(x + rng.uniform(-8, 8)), c.px(y_mm + rng.uniform(-25, 25))
        c.draw((0, 0, 0), lambda m, cx=cx, cy=cy: cv2.circle(m, (cx + 1, cy + 1), r, 255, -1, cv2.LINE_AA), 0.4)
        c.draw(colour, lambda m, cx=cx, cy=cy: cv2.circle(m, (cx, cy), r, 255, -1, cv2.LINE_AA))


def _vertical_tint(c: _Canvas, rng: np.random.Generator) -> None:
    """A faint top-to-bottom colour wash, as on printed US backgrounds."""
    ramp = np.linspace(0, 1, c.height, dtype=np.float32)[:, None] * float(rng.uniform(0.0, 0.4))
    tint = np.asarray(_jitter((230, 236, 250), rng, 10), np.float32)[:, None, None]
    c.rgb += (tint - c.rgb) * ramp


# --------------------------------------------------------------------------
# Wear and the crop around the plate
# --------------------------------------------------------------------------


def _wear(c: _Canvas, rng: np.random.Generator) -> None:
    """Age: sheen of the reflective sheeting, fading, scratches, grime and specks.

    The level is drawn per plate and is usually low, as most plates on the
    road are in fair condition.
    """
    level = float(rng.beta(1.3, 5.0))
    h, w = c.height, c.width
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * float(rng.uniform(-0.08, 0.08))
    gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None] * float(rng.uniform(-0.06, 0.06))
    c.rgb *= 1 + gx + gy
    fade = level * float(rng.uniform(0.1, 0.45))
    if fade > 0.02:
        grey = c.rgb.mean(axis=0)
        c.rgb += ((grey * 0.6 + 90) - c.rgb) * fade
    scratches = int(rng.poisson(level * 10))
    if scratches:
        _scratches(c, rng, scratches)
    if level > 0.15:
        grime = np.linspace(0, 1, h, dtype=np.float32)[:, None] ** 2 * (level * float(rng.uniform(0.2, 0.7)))
        c.rgb += (np.float32([95, 80, 60])[:, None, None] - c.rgb) * grime
    specks = int(rng.poisson(level * 40))
    if specks:
        pts = np.stack([rng.integers(0, w, specks), rng.integers(0, h, specks)], axis=1)
        c.draw((70, 60, 50), lambda m: [cv2.circle(m, (int(x), int(y)), 1, 255, -1) for x, y in pts], 0.5)
    c.rgb += noise_field(rng, h, w) * float(rng.uniform(1.5, 4.0))


def _scratches(c: _Canvas, rng: np.random.Generator, count: int) -> None:
    """Thin light (paint scraped to the sheeting) or dark (dirt in the groove) lines."""
    h, w = c.height, c.width
    mask = np.zeros((h, w), np.uint8)
    for _ in range(count):
        p0 = (int(rng.integers(w)), int(rng.integers(h)))
        length, angle = rng.uniform(0.05, 0.5) * w, rng.uniform(-0.5, 0.5)
        p1 = (int(p0[0] + length * np.cos(angle)), int(p0[1] + length * np.sin(angle)))
        cv2.line(mask, p0, p1, int(rng.integers(50, 160)), 1, cv2.LINE_AA)
    c.paint(mask, (235, 235, 235) if rng.random() < 0.6 else (60, 60, 60))


def _frame_crop(face: PlateFace, rng: np.random.Generator, margin: float | None,
                jitter: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put the plate on a patch of car, framed as a detector would: (image, corners, face-to-image homography)."""
    h, w = face.rgba.shape[:2]
    quad = face.corners - np.float32([w / 2, h / 2])
    if jitter:
        angle = np.deg2rad(float(np.clip(rng.normal(0, 1.5), -4, 4)))
        rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        quad = quad @ rot.T + rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * h
    sides = (np.full(4, margin) if margin is not None else rng.uniform(0.08, 0.4, 4)) * h
    quad = quad - quad.min(axis=0) + np.float32([sides[0], sides[1]])
    size_w = int(np.ceil(quad[:, 0].max() + sides[2]))
    size_h = int(np.ceil(quad[:, 1].max() + sides[3]))
    image = _car_patch(rng, size_h, size_w)
    if rng.random() < 0.5:  # a black plastic holder around the plate
        rim = quad + (quad - quad.mean(axis=0)) * np.float32([0.03 * h / w * 2, 0.06])
        holder = np.zeros((size_h, size_w), np.uint8)
        cv2.fillConvexPoly(holder, (rim * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
        change = np.float32(_jitter((25, 25, 27), rng, 8)) - image
        change *= as_rgb(holder.astype(np.float32) * (1 / 255))
        image += change
    homography = cv2.getPerspectiveTransform(face.corners, quad.astype(np.float32))
    paste_warped(image, face.rgba, homography)
    _camera_look(image, rng)
    return np.clip(image, 0, 255).astype(np.uint8), quad.astype(np.float32), homography


def _car_patch(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Bumper around the plate: paint with the shading of a curved panel and a crease or two."""
    paint = np.asarray(car_colour(rng), np.float32)
    rows = np.linspace(-1, 1, height, dtype=np.float32)
    shade = 1 + float(rng.uniform(-0.15, 0.15)) * rows - float(rng.uniform(0, 0.25)) * rows**2
    image = np.broadcast_to(paint * shade[:, None, None], (height, width, 3)).copy()
    for _ in range(int(rng.integers(0, 3))):  # bumper creases, grille slats
        y = int(rng.integers(height))
        thick = int(rng.integers(1, max(height // 12, 2) + 1))
        image[y : y + thick] *= float(rng.uniform(0.4, 0.8))
    image += as_rgb(noise_field(rng, height, width) * 3)
    return image


def _camera_look(image: np.ndarray, rng: np.random.Generator) -> None:
    """Exposure, white balance and the slight softness of a real camera (in place)."""
    gains = rng.uniform(0.95, 1.05, 3) * rng.uniform(0.8, 1.15)
    cv2.multiply(image, (*gains.tolist(), 1.0), dst=image)
    sigma = float(rng.uniform(0.3, 0.8))
    cv2.GaussianBlur(image, (0, 0), sigma, dst=image)


_PAINTERS: dict[str, Callable[[_Canvas, str, PlateFormat, np.random.Generator], None]] = {
    "uk_front": lambda c, d, f, r: _paint_uk(c, d, f, r, rear=False),
    "uk_rear": lambda c, d, f, r: _paint_uk(c, d, f, r, rear=True),
    "eu": _paint_eu,
    "us": _paint_us,
}
