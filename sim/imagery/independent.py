"""An independent plate-crop renderer, for evaluation only.

The plate recognizer is trained on images from the project's own renderers.
A reading figure measured on images from those same renderers says how well
the recognizer fits them, not how well it reads plates it has never seen. This
module is a second renderer written apart from the training ones: its own
plate designs, layout, fonts (the held-out families in ``fonts/heldout/``,
which training never draws with), camera geometry and degradations, sharing
no code with them. Figures measured on what it writes therefore measure
generalization. Nothing here may be used to make training data.

``generate_independent`` writes ``images/NNNNNN.png`` and a ``labels.csv``
for ``baytwin ocr eval``: ``file, plate, font, design, severity`` (the
strongest degradation applied, 0 when clean) and one ``ind_<degradation>``
column per degradation (0 = not applied, else the strength 1-4). Sample ``i``
is drawn from ``np.random.default_rng([seed, i])`` alone, so a set is
byte-identical however it is split over processes.

Severity: 0 is clean; 1 (mild) and 2 (moderate) leave every character legible
to a person; 3 and 4 are harsher and may not.
"""

from __future__ import annotations

import csv
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HELD_OUT_FONT_DIR = Path(__file__).with_name("fonts") / "heldout"
HELD_OUT_FONTS: tuple[str, ...] = ("B612-Bold.otf", "Go-Bold.ttf", "Go-Mono-Bold.ttf", "RobotoCondensed-Bold.ttf",
                                   "ClearSans-Bold.ttf")

#: Degradations, in the order they are applied (scene, then optics, then sensor, then compression).
DEGRADATIONS: tuple[str, ...] = ("shadow", "dirt", "rain", "dim", "overexposed", "blur", "motion", "noise", "jpeg")
#: labels.csv degradation columns, in the order they are written.
DEGRADATION_COLUMNS: tuple[str, ...] = ("ind_blur", "ind_motion", "ind_noise", "ind_jpeg", "ind_dim",
                                        "ind_overexposed", "ind_shadow", "ind_rain", "ind_dirt")
LABEL_COLUMNS: tuple[str, ...] = ("file", "plate", "font", "design", "severity", *DEGRADATION_COLUMNS)
DESIGNS: tuple[str, ...] = ("white", "yellow", "grey", "light_blue", "light_green", "dark", "banded", "two_line")

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

#: Crops above this many samples are rendered in a pool of (at most two) worker processes.
POOL_THRESHOLD = 500
MAX_WORKERS = 2

#: Character cap height on the unwarped plate, in pixels; everything on the plate scales with it.
RENDER_CAP = 64
#: The warp is drawn at this many times the final size, then averaged down (no aliasing).
SUPERSAMPLE = 4
#: Smallest cap height of any plate character in the written crop, in pixels.
MIN_CHAR_PX = 10.0
CROP_HEIGHT = (20, 60)

_WORDS = ("SUNSHINE STATE", "GARDEN STATE", "LAND OF LAKES", "EMPIRE STATE", "GREAT LAKES", "OCEAN STATE",
          "GOLDEN COAST", "NORTH PROVINCE", "VALLEY OF FIRE", "PRAIRIE LAND", "DRIVE SAFELY", "EXPLORE MORE",
          "WESTFORD", "LAKEVIEW COUNTY", "RIVERSIDE", "NORTHLAND", "PINE HILLS", "EST. 1889", "HARBOUR CITY",
          "www.example.gov", "visit-norland.org", "MOUNTAIN STATE", "WINTER ISLES", "FREEDOM", "HEARTLAND",
          "BAY COUNTY", "Greenmoor", "Old Dominion", "Land of Rivers", "CAPITAL REGION")


# --- plate text ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlateText:
    """What a plate says: one or two lines, each a list of character groups and the separators between them."""

    lines: tuple[tuple[str, ...], ...]
    separators: tuple[tuple[str, ...], ...]  # per line, one per gap between groups: " ", "-", "" or "emblem"

    @property
    def label(self) -> str:
        return "".join("".join(groups) for groups in self.lines)


def _pick(rng: np.random.Generator, chars: str, k: int) -> str:
    return "".join(chars[int(j)] for j in rng.integers(0, len(chars), size=k))


def _groups_random(rng: np.random.Generator) -> list[str]:
    length = int(rng.integers(2, 9))
    text = _pick(rng, ALPHABET, length)
    if length >= 5 and rng.random() < 0.5:
        cut = int(rng.integers(2, length - 1))
        return [text[:cut], text[cut:]]
    return [text]


def _groups_pattern(rng: np.random.Generator) -> list[str]:
    kind = int(rng.integers(0, 7))
    if kind == 0:  # 7ABC123
        return [_pick(rng, DIGITS, 1) + _pick(rng, LETTERS, 3) + _pick(rng, DIGITS, 3)]
    if kind == 1:  # AB-123-CD
        return [_pick(rng, LETTERS, 2), _pick(rng, DIGITS, 3), _pick(rng, LETTERS, 2)]
    if kind == 2:  # ABC 1234 / ABC 123
        return [_pick(rng, LETTERS, 3), _pick(rng, DIGITS, int(rng.integers(3, 5)))]
    if kind == 3:  # B MW 1234: district, letters, number (at most 8 in all)
        district = _pick(rng, LETTERS, int(rng.integers(1, 4)))
        letters = _pick(rng, LETTERS, int(rng.integers(1, 3)))
        room = 8 - len(district) - len(letters)
        digits = _pick(rng, DIGITS, int(rng.integers(1, min(4, room) + 1)))
        return [district, letters, digits]
    if kind == 4:  # 12 AB 34
        return [_pick(rng, DIGITS, 2), _pick(rng, LETTERS, 2), _pick(rng, DIGITS, 2)]
    if kind == 5:  # AB12 CDE
        return [_pick(rng, LETTERS, 2) + _pick(rng, DIGITS, 2), _pick(rng, LETTERS, 3)]
    return [_pick(rng, DIGITS, 3), _pick(rng, LETTERS, 3)]  # 123 ABC


def _separators(rng: np.random.Generator, gaps: int, emblem_ok: bool) -> tuple[str, ...]:
    style = str(rng.choice([" ", "-", ""], p=[0.55, 0.3, 0.15]))
    seps = [style] * gaps
    if gaps and emblem_ok and rng.random() < 0.2:
        seps[int(rng.integers(0, gaps))] = "emblem"
    return tuple(seps)


def random_plate_text(rng: np.random.Generator, two_line: bool) -> PlateText:
    """A plate's text: 2-8 characters of A-Z0-9, random or in a realistic-looking pattern."""
    if two_line:
        top = _pick(rng, str(rng.choice([LETTERS, ALPHABET, DIGITS], p=[0.5, 0.3, 0.2])), int(rng.integers(2, 4)))
        bottom_len = int(rng.integers(max(3, len(top)), 9 - len(top)))
        if rng.random() < 0.5:
            bottom = _pick(rng, ALPHABET, bottom_len)
        else:
            bottom = _pick(rng, DIGITS, bottom_len // 2) + _pick(rng, LETTERS, bottom_len - bottom_len // 2)
        lines: tuple[tuple[str, ...], ...] = ((top,), (bottom,))
        return PlateText(lines, ((), ()))
    groups = _groups_random(rng) if rng.random() < 0.4 else _groups_pattern(rng)
    return PlateText((tuple(groups),), (_separators(rng, len(groups) - 1, emblem_ok=True),))


# --- plate design ----------------------------------------------------------------------------------------------

RGB = tuple[int, int, int]


@dataclass(slots=True)
class Design:
    name: str
    background: RGB
    ink: RGB
    accent: RGB
    border: bool
    rounded: float  # corner radius as a share of the cap height
    header: str | None
    footer: str | None
    band: RGB | None
    band_letters: str
    band_ring: bool
    emblem_shape: str  # circle | shield
    emblem_colour: RGB
    tracking: float  # extra space between characters, share of the cap height
    stroke: int  # Pillow stroke width, 0-2
    squeeze: float  # horizontal scale of the whole plate


def _jitter(rng: np.random.Generator, colour: Sequence[int], spread: int) -> RGB:
    r, g, b = (int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in colour)
    return r, g, b


def _luma(colour: Sequence[int]) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


_EMBLEM_COLOURS: tuple[RGB, ...] = ((200, 30, 35), (20, 60, 170), (230, 170, 20), (20, 110, 60))


def random_design(rng: np.random.Generator, two_line: bool) -> Design:
    """A plate design: background and ink colours, border, header/footer words, band, emblem, type settings."""
    scheme = str(rng.choice(["white", "yellow", "grey", "light_blue", "light_green", "dark"],
                            p=[0.3, 0.18, 0.12, 0.12, 0.1, 0.18]))
    dark_inks = [(15, 15, 15), (30, 30, 40), (10, 25, 90), (110, 15, 20), (10, 60, 30)]
    if scheme == "white":
        background, ink = _jitter(rng, (246, 246, 244), 8), _jitter(rng, dark_inks[int(rng.integers(0, 5))], 10)
    elif scheme == "yellow":
        background, ink = _jitter(rng, (250, 208, 30), 12), _jitter(rng, (18, 18, 18), 10)
    elif scheme == "grey":
        background, ink = _jitter(rng, (212, 214, 214), 10), _jitter(rng, dark_inks[int(rng.integers(0, 3))], 10)
    elif scheme == "light_blue":
        background, ink = _jitter(rng, (196, 224, 248), 10), _jitter(rng, (12, 30, 80), 12)
    elif scheme == "light_green":
        background, ink = _jitter(rng, (206, 240, 204), 10), _jitter(rng, dark_inks[int(rng.integers(0, 5))], 10)
    else:
        background = _jitter(rng, [(18, 32, 96), (16, 16, 18), (12, 72, 40)][int(rng.integers(0, 3))], 8)
        ink = _jitter(rng, [(245, 245, 245), (250, 240, 200)][int(rng.integers(0, 2))], 6)
    accent = _jitter(rng, [(200, 30, 35), (20, 60, 170), (20, 110, 60), ink][int(rng.integers(0, 4))], 10)
    if scheme == "dark":
        accent = ink
    has_band = not two_line and rng.random() < 0.22
    band = None
    if has_band:
        band = _jitter(rng, [(0, 51, 153), (0, 110, 60), (190, 25, 30), (20, 20, 20)][int(rng.integers(0, 4))], 8)
        if scheme == "dark" or abs(_luma(band) - _luma(background)) < 40:
            band = (0, 51, 153) if scheme != "dark" else (225, 225, 225)
    band_letters = _pick(rng, LETTERS, int(rng.integers(1, 4)))
    header = str(rng.choice(_WORDS)) if rng.random() < 0.35 else None
    footer = str(rng.choice(_WORDS)) if rng.random() < 0.25 else None
    if header and rng.random() < 0.4:
        header = header.upper()
    name = "two_line" if two_line else "banded" if band else scheme
    return Design(
        name=name, background=background, ink=ink, accent=accent,
        border=bool(rng.random() < 0.5), rounded=float(rng.uniform(0.0, 0.25)),
        header=header, footer=footer, band=band, band_letters=band_letters, band_ring=bool(rng.random() < 0.5),
        emblem_shape=str(rng.choice(["circle", "shield"])),
        emblem_colour=_jitter(rng, _EMBLEM_COLOURS[int(rng.integers(0, 4))], 10),
        tracking=float(rng.uniform(-0.02, 0.16)), stroke=int(rng.integers(0, 3)),
        squeeze=float(rng.uniform(0.86, 1.12)),
    )


# --- drawing the plate -----------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=32)
def _cap_per_point(path: str) -> float:
    """Cap height of the font per point of size (measured on H at a large size)."""
    font = _font(path, 200)
    left, top, right, bottom = font.getbbox("H", anchor="ls")
    return -top / 200.0


def _font_for_cap(path: str, cap: float) -> ImageFont.FreeTypeFont:
    return _font(path, max(4, round(cap / _cap_per_point(path))))


@dataclass(slots=True)
class _Line:
    groups: tuple[str, ...]
    separators: tuple[str, ...]
    cap: float
    width: float = 0.0


def _line_items(line: _Line, font: ImageFont.FreeTypeFont, design: Design, rng: np.random.Generator
                ) -> list[tuple[str, str, float]]:
    """(kind, char, width) for every item of a line: characters, spaces, dashes, emblems."""
    items: list[tuple[str, str, float]] = []
    cap = line.cap
    track = design.tracking * cap + design.stroke
    for g, group in enumerate(line.groups):
        if g:
            sep = line.separators[g - 1]
            if sep == " ":
                items.append(("gap", "", cap * float(rng.uniform(0.3, 0.65))))
            elif sep == "-":
                items.append(("dash", "", cap * float(rng.uniform(0.45, 0.65))))
            elif sep == "emblem":
                items.append(("emblem", "", cap * float(rng.uniform(0.75, 0.95))))
            else:
                items.append(("gap", "", cap * 0.04))
        for k, ch in enumerate(group):
            advance = font.getlength(ch) + 2 * design.stroke
            items.append(("char", ch, advance + (track if k < len(group) - 1 else 0.0)))
    line.width = sum(w for _, _, w in items)
    return items


def _draw_emblem(draw: ImageDraw.ImageDraw, cx: float, cy: float, size: float, design: Design) -> None:
    r = size / 2
    if design.emblem_shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=design.emblem_colour, outline=design.ink,
                     width=max(1, round(size * 0.06)))
        draw.ellipse([cx - r * 0.45, cy - r * 0.45, cx + r * 0.45, cy + r * 0.45], fill=design.background)
    else:
        pts = [(cx - r * 0.8, cy - r), (cx + r * 0.8, cy - r), (cx + r * 0.8, cy + r * 0.1), (cx, cy + r),
               (cx - r * 0.8, cy + r * 0.1)]
        draw.polygon(pts, fill=design.emblem_colour, outline=design.ink, width=max(1, round(size * 0.06)))
        draw.line([(cx, cy - r * 0.7), (cx, cy + r * 0.6)], fill=design.background, width=max(1, round(size * 0.08)))


def _draw_small_text(draw: ImageDraw.ImageDraw, text: str, font_path: str, cap: float, centre_x: float,
                     baseline: float, max_width: float, fill: RGB) -> None:
    font = _font_for_cap(font_path, cap)
    width = font.getlength(text)
    if width > max_width:  # shrink to fit the plate rather than run off it
        font = _font_for_cap(font_path, cap * max_width / width)
        width = font.getlength(text)
    draw.text((centre_x - width / 2, baseline), text, font=font, fill=fill, anchor="ls")


def render_plate(text: PlateText, design: Design, font_path: str, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """The flat plate as RGB, its mask (255 on the plate) and the smallest character cap height, in pixels."""
    cap = float(RENDER_CAP)
    two = len(text.lines) == 2
    caps = [cap * float(rng.uniform(0.6, 0.85)), cap] if two else [cap]
    lines = [_Line(groups, seps, c) for groups, seps, c in zip(text.lines, text.separators, caps)]
    fonts = [_font_for_cap(font_path, ln.cap) for ln in lines]
    items = [_line_items(ln, f, design, rng) for ln, f in zip(lines, fonts)]

    border_w = max(2, round(cap * float(rng.uniform(0.03, 0.06)))) if design.border else 0
    border_inset = cap * float(rng.uniform(0.03, 0.08)) if design.border else 0.0
    frame = border_inset + border_w
    small_cap = cap * float(rng.uniform(0.16, 0.22))
    side_pad = frame + cap * float(rng.uniform(0.18, 0.45))
    band_w = cap * float(rng.uniform(0.55, 0.75)) if design.band else 0.0
    content_w = max(ln.width for ln in lines)
    width = band_w + side_pad * 2 + content_w

    top = frame + cap * float(rng.uniform(0.1, 0.22))
    header_base = footer_base = 0.0
    if design.header:
        header_base = top + small_cap
        top = header_base + cap * float(rng.uniform(0.1, 0.18))
    line_gap = cap * float(rng.uniform(0.14, 0.26))
    baselines = []
    y = top
    for ln in lines:
        y += ln.cap
        baselines.append(y)
        y += line_gap
    y -= line_gap
    y += cap * float(rng.uniform(0.1, 0.22))
    if design.footer:
        footer_base = y + cap * 0.06 + small_cap
        y = footer_base + cap * 0.08
    height = y + frame

    w, h = math.ceil(width), math.ceil(height)
    image = Image.new("RGB", (w, h), design.background)
    draw = ImageDraw.Draw(image)
    radius = design.rounded * cap
    if design.band:
        draw.rectangle([0, 0, band_w, h], fill=design.band)
        letters = design.band_letters
        lcap = band_w * (0.45 if len(letters) == 1 else 0.36 if len(letters) == 2 else 0.27)
        _draw_small_text(draw, letters, font_path, lcap, band_w / 2, h - frame - h * 0.12, band_w * 0.86,
                         (245, 245, 245) if _luma(design.band) < 140 else (20, 20, 20))
        if design.band_ring:
            cx, cy, rr = band_w / 2, h * 0.32, band_w * 0.26
            for k in range(10):
                a = 2 * math.pi * k / 10
                px, py = cx + rr * math.cos(a), cy + rr * math.sin(a)
                draw.ellipse([px - rr * 0.12, py - rr * 0.12, px + rr * 0.12, py + rr * 0.12], fill=(240, 200, 20))
    if design.border:
        draw.rounded_rectangle([border_inset, border_inset, w - 1 - border_inset, h - 1 - border_inset],
                               radius=max(0.0, radius - border_inset), outline=design.ink, width=border_w)
    text_left = band_w + side_pad
    centre = text_left + content_w / 2
    if design.header:
        _draw_small_text(draw, design.header, font_path, small_cap, centre, header_base, content_w, design.accent)
    if design.footer:
        _draw_small_text(draw, design.footer, font_path, small_cap * 0.9, centre, footer_base, content_w, design.accent)
    for ln, font, its, base in zip(lines, fonts, items, baselines):
        x = centre - ln.width / 2
        for kind, ch, adv in its:
            if kind == "char":
                draw.text((x + design.stroke, base), ch, font=font, fill=design.ink, anchor="ls",
                          stroke_width=design.stroke, stroke_fill=design.ink)
            elif kind == "dash":
                dh = max(2.0, ln.cap * 0.1)
                draw.rectangle([x + adv * 0.2, base - ln.cap / 2 - dh / 2, x + adv * 0.8, base - ln.cap / 2 + dh / 2],
                               fill=design.ink)
            elif kind == "emblem":
                _draw_emblem(draw, x + adv / 2, base - ln.cap / 2, min(adv * 0.8, ln.cap * 0.6), design)
            x += adv
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=radius, fill=255)

    rgb = np.asarray(image, dtype=np.float32)
    # a plate is never evenly lit: a gentle gradient in a random direction
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = float(rng.uniform(0, 2 * math.pi))
    ramp = (gx / w - 0.5) * math.cos(angle) + (gy / h - 0.5) * math.sin(angle)
    rgb *= (1.0 + float(rng.uniform(0.0, 0.12)) * ramp)[..., None]
    plate = np.clip(rgb, 0, 255).astype(np.uint8)
    squeeze = design.squeeze
    plate = cv2.resize(plate, (max(2, round(w * squeeze)), h), interpolation=cv2.INTER_AREA)
    mask_np = cv2.resize(np.asarray(mask), (plate.shape[1], h), interpolation=cv2.INTER_AREA)
    return plate, mask_np, min(caps)


# --- camera ----------------------------------------------------------------------------------------------------

_CAR_COLOURS: tuple[RGB, ...] = ((235, 235, 232), (180, 182, 186), (120, 122, 126), (28, 28, 30), (150, 20, 24),
                                 (25, 45, 110), (60, 80, 60), (200, 170, 120), (90, 30, 40), (210, 110, 20))


def _car_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    base = np.array(_jitter(rng, _CAR_COLOURS[int(rng.integers(0, len(_CAR_COLOURS)))], 10), dtype=np.float32)
    gy, gx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 1.0 + float(rng.uniform(-0.25, 0.15)) * (gy / max(1, height) - 0.5) \
        + float(rng.uniform(-0.1, 0.1)) * (gx / max(1, width) - 0.5)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), max(1.0, height / 12))
    texture *= 6.0 / max(1e-6, float(texture.std()))
    image = base[None, None, :] * shade[..., None] + texture[..., None]
    if rng.random() < 0.5:  # a bumper crease or recess edge across the car
        y = int(rng.integers(0, height))
        thick = max(1, int(height * float(rng.uniform(0.01, 0.04))))
        image[y:y + thick] *= float(rng.uniform(0.55, 0.8))
    return np.clip(image, 0, 255)


@dataclass(slots=True)
class Crop:
    image: np.ndarray  # RGB uint8
    plate_mask: np.ndarray  # float32 0-1, where the plate is in the crop
    char_px: float  # smallest character cap height in the crop, pixels


def _margin_share(rng: np.random.Generator) -> float:
    """Extra room around the plate on one axis, as a share of its size: mostly up to 30 %, sometimes tight."""
    return float(rng.uniform(0.0, 0.3)) if rng.random() < 0.75 else float(rng.uniform(0.0, 0.05))


def photograph(plate: np.ndarray, mask: np.ndarray, min_cap: float, rng: np.random.Generator) -> Crop:
    """The plate seen by a camera: rotated, in perspective, on a car, cropped with margins, 20-60 px high."""
    h0, w0 = plate.shape[:2]
    src = np.array([[0, 0], [w0, 0], [w0, h0], [0, h0]], dtype=np.float64)
    pts = src - [w0 / 2, h0 / 2]
    yaw, pitch = float(rng.uniform(-0.1, 0.1)), float(rng.uniform(-0.06, 0.06))
    pts[:, 1] *= 1 + yaw * np.sign(pts[:, 0])  # one side nearer the camera: taller
    pts[:, 0] *= 1 - pitch * np.sign(pts[:, 1])  # camera above or below: trapezoid
    pts += rng.uniform(-1, 1, size=(4, 2)) * h0 * float(rng.uniform(0.0, 0.05))
    theta = math.radians(float(rng.uniform(-6, 6)))
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    pts = pts @ rot.T
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    box_w, box_h = hi - lo
    extra_x, extra_y = (_margin_share(rng) for _ in range(2))
    share_x, share_y = float(rng.uniform(0.25, 0.75)), float(rng.uniform(0.25, 0.75))
    min_px = rng.integers(1, 4, size=4)  # left, top, right, bottom
    units_h = box_h * (1 + extra_y)
    crop_h = int(rng.integers(CROP_HEIGHT[0], CROP_HEIGHT[1] + 1))
    # the smallest character must keep MIN_CHAR_PX (perspective can shrink it by the yaw and jitter)
    needed = MIN_CHAR_PX / (min_cap * 0.85) * units_h + min_px[1] + min_px[3]
    crop_h = int(np.clip(max(crop_h, math.ceil(needed)), CROP_HEIGHT[0], CROP_HEIGHT[1]))
    scale = (crop_h - min_px[1] - min_px[3]) / units_h
    crop_w = max(8, round(box_w * (1 + extra_x) * scale + min_px[0] + min_px[2]))
    offset = np.array([extra_x * box_w * share_x, extra_y * box_h * share_y])
    dst = ((pts - lo + offset) * scale + [min_px[0], min_px[1]]) * SUPERSAMPLE
    big_w, big_h = crop_w * SUPERSAMPLE, crop_h * SUPERSAMPLE
    matrix = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    warped = cv2.warpPerspective(plate, matrix, (big_w, big_h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    alpha = cv2.warpPerspective(mask, matrix, (big_w, big_h), flags=cv2.INTER_LINEAR, borderValue=0)
    alpha_f = alpha.astype(np.float32)[..., None] / 255.0
    background = _car_background(rng, big_w, big_h)
    if rng.random() < 0.6:  # the plate sits in a recess: a soft dark rim around it
        rim = cv2.GaussianBlur(alpha.astype(np.float32) / 255.0, (0, 0), SUPERSAMPLE * float(rng.uniform(0.6, 1.6)))
        background *= (1 - 0.45 * np.clip(rim * 1.6, 0, 1))[..., None]
    composed = warped.astype(np.float32) * alpha_f + background * (1 - alpha_f)
    image = cv2.resize(composed, (crop_w, crop_h), interpolation=cv2.INTER_AREA)
    plate_mask = cv2.resize(alpha_f[..., 0], (crop_w, crop_h), interpolation=cv2.INTER_AREA)
    char_px = min_cap * scale * (1 - abs(yaw))
    return Crop(np.clip(np.rint(image), 0, 255).astype(np.uint8), plate_mask, char_px)


# --- degradations ----------------------------------------------------------------------------------------------
# Each takes the RGB crop, the strength 1-4, the rng and the crop's geometry, and returns the new crop.
# Strengths 1 and 2 keep every character legible; nothing here covers a whole character at those strengths.


def _as_u8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _blur(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    sigma = crop.char_px * [0.045, 0.075, 0.11, 0.15][level - 1] * float(rng.uniform(0.85, 1.15))
    return cv2.GaussianBlur(img, (0, 0), max(0.3, sigma))


def _motion(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    length = max(2.0, crop.char_px * [0.12, 0.2, 0.3, 0.42][level - 1] * float(rng.uniform(0.85, 1.15)))
    angle = math.radians(float(rng.normal(0, 25)) if rng.random() < 0.7 else float(rng.uniform(0, 180)))
    size = int(math.ceil(length)) | 1
    size = max(size, 3)
    kernel = np.zeros((size * 8, size * 8), np.float32)
    c = size * 4 - 0.5
    dx, dy = math.cos(angle) * length * 4, math.sin(angle) * length * 4
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, thickness=4)
    kernel = cv2.resize(kernel, (size, size), interpolation=cv2.INTER_AREA)
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT)


def _noise(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    sigma = [6.0, 12.0, 20.0, 30.0][level - 1] * float(rng.uniform(0.85, 1.15))
    luma = rng.normal(0, sigma, img.shape[:2]).astype(np.float32)[..., None]
    chroma = rng.normal(0, sigma * 0.35, img.shape).astype(np.float32)
    return _as_u8(img.astype(np.float32) + luma + chroma)


def _jpeg(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    quality = int([55, 38, 20, 10][level - 1] + rng.integers(-3, 4))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid image
        return img
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _dim(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    f = img.astype(np.float32)
    if rng.random() < 0.5:  # dusk: everything darker
        gain = [0.55, 0.42, 0.27, 0.17][level - 1] * float(rng.uniform(0.9, 1.1))
        return _as_u8(f * gain + 4)
    contrast = [0.55, 0.42, 0.27, 0.17][level - 1] * float(rng.uniform(0.9, 1.1))  # haze: grey, flat
    middle = float(rng.uniform(95, 160))
    return _as_u8(middle + (f - f.mean()) * contrast)


def _overexposed(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    gain = [1.45, 1.75, 2.1, 2.6][level - 1] * float(rng.uniform(0.95, 1.05))
    lift = [15.0, 30.0, 50.0, 70.0][level - 1]
    f = img.astype(np.float32) * gain + lift
    glow = cv2.GaussianBlur(np.clip(f - 255, 0, None), (0, 0), max(0.5, crop.char_px * 0.08))
    return _as_u8(f + glow * [0.15, 0.25, 0.4, 0.6][level - 1])


def _shadow(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    h, w = img.shape[:2]
    # a straight shadow edge across the crop (a pole, a wall, the car's own body)
    angle = float(rng.uniform(0, math.pi))
    nx, ny = math.cos(angle), math.sin(angle)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = (gx - w / 2) * nx + (gy - h / 2) * ny
    reach = abs(w / 2 * nx) + abs(h / 2 * ny)
    cut = float(rng.uniform(-0.6, 0.6)) * reach
    band = rng.random() < 0.5
    if band:  # a band rather than a half-plane
        width = float(rng.uniform(0.2, 0.5)) * 2 * reach
        inside = np.abs(dist - cut) < width / 2
    else:
        inside = dist > cut
    soft = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), max(0.5, crop.char_px * float(rng.uniform(0.05, 0.3))))
    depth = 1 - [0.65, 0.5, 0.36, 0.24][level - 1] * float(rng.uniform(0.95, 1.05))
    tint = np.array([1.0, 1.0, 1.08], np.float32)  # shade is a little blue
    shade = 1 - depth * soft[..., None]
    return _as_u8(img.astype(np.float32) * shade * np.where(soft[..., None] > 0.5, tint, 1.0))


def _rain(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    h, w = img.shape[:2]
    scale = 4
    layer = np.zeros((h * scale, w * scale), np.float32)
    count = int(w * h / 60 * [0.5, 0.9, 1.5, 2.3][level - 1]) + 2
    slant = float(rng.uniform(-0.35, 0.35))
    for _ in range(count):
        x, y = rng.uniform(0, w * scale), rng.uniform(0, h * scale)
        length = crop.char_px * scale * float(rng.uniform(0.25, 0.7))
        x2, y2 = x + slant * length, y + length
        cv2.line(layer, (int(x), int(y)), (int(x2), int(y2)), float(rng.uniform(0.5, 1.0)), thickness=scale,
                 lineType=cv2.LINE_AA)
    streaks = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA)
    alpha = np.clip(streaks * [0.35, 0.5, 0.65, 0.8][level - 1], 0, 1)[..., None]
    colour = np.array([215, 220, 228], np.float32)
    f = img.astype(np.float32)
    haze = [0.04, 0.08, 0.14, 0.2][level - 1]  # wet air and a wet lens: a little washed out
    f = f * (1 - haze) + colour * haze
    return _as_u8(f * (1 - alpha) + colour * alpha)


def _dirt(img: np.ndarray, level: int, rng: np.random.Generator, crop: Crop) -> np.ndarray:
    h, w = img.shape[:2]
    scale = 4
    layer = np.zeros((h * scale, w * scale), np.float32)
    ys, xs = np.nonzero(crop.plate_mask > 0.9)
    if len(xs) == 0:
        return img
    count = [3, 5, 8, 12][level - 1] + int(rng.integers(0, 3))
    largest = crop.char_px * [0.08, 0.12, 0.18, 0.26][level - 1]
    for _ in range(count):
        k = int(rng.integers(0, len(xs)))
        cx, cy = (xs[k] + float(rng.uniform(-0.5, 0.5))) * scale, (ys[k] + float(rng.uniform(-0.5, 0.5))) * scale
        rx = largest * scale * float(rng.uniform(0.4, 1.0))
        ry = rx * float(rng.uniform(0.5, 1.0))
        cv2.ellipse(layer, (int(cx), int(cy)), (max(1, int(rx)), max(1, int(ry))), float(rng.uniform(0, 180)), 0, 360,
                    float(rng.uniform(0.55, 0.9)), thickness=-1, lineType=cv2.LINE_AA)
    spots = cv2.resize(cv2.GaussianBlur(layer, (0, 0), scale * 0.6), (w, h), interpolation=cv2.INTER_AREA)
    alpha = (np.clip(spots, 0, 1) * crop.plate_mask)[..., None]
    colour = np.array(_jitter(rng, [(95, 75, 50), (120, 110, 95), (70, 60, 45)][int(rng.integers(0, 3))], 10),
                      np.float32)
    return _as_u8(img.astype(np.float32) * (1 - alpha) + colour * alpha)


_APPLY: dict[str, Callable[[np.ndarray, int, np.random.Generator, Crop], np.ndarray]] = {
    "blur": _blur, "motion": _motion, "noise": _noise, "jpeg": _jpeg, "dim": _dim, "overexposed": _overexposed,
    "shadow": _shadow, "rain": _rain, "dirt": _dirt,
}
_EXCLUSIVE = ({"dim", "overexposed"}, {"blur", "motion"})


def choose_degradations(rng: np.random.Generator, severity: int | None) -> dict[str, int]:
    """Which degradations a sample gets and how strong: 0-2 of them (1-2 at a fixed severity of 1 or more)."""
    if severity == 0:
        return {}
    if severity is None:
        count = int(rng.choice([0, 1, 2], p=[0.3, 0.45, 0.25]))
    else:
        count = int(rng.choice([1, 2], p=[0.6, 0.4]))
    chosen: list[str] = []
    for name in rng.permutation(len(DEGRADATIONS)):
        if len(chosen) == count:
            break
        candidate = DEGRADATIONS[int(name)]
        if not any(candidate in pair and (pair - {candidate}) & set(chosen) for pair in _EXCLUSIVE):
            chosen.append(candidate)
    levels = {name: (int(rng.integers(1, 3)) if severity is None else severity) for name in chosen}
    return {name: levels[name] for name in DEGRADATIONS if name in levels}  # application order


def degrade(crop: Crop, plan: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    image = crop.image
    for name in DEGRADATIONS:
        if name in plan:
            image = _APPLY[name](image, plan[name], rng, crop)
    return image


# --- the data set ----------------------------------------------------------------------------------------------


def _default_fonts() -> list[Path]:
    return [HELD_OUT_FONT_DIR / name for name in HELD_OUT_FONTS]


@dataclass(frozen=True, slots=True)
class Sample:
    image: np.ndarray  # BGR uint8, as written
    plate: str
    font: str
    design: str
    severity: int
    degradations: dict[str, int]


def render_sample(index: int, seed: int, fonts: Sequence[Path], severity: int | None) -> Sample:
    """Sample ``index`` of the set with ``seed``: drawn from ``np.random.default_rng([seed, index])`` alone."""
    rng = np.random.default_rng([seed, index])
    two_line = bool(rng.random() < 0.15)
    text = random_plate_text(rng, two_line)
    design = random_design(rng, two_line)
    font_path = fonts[int(rng.integers(0, len(fonts)))]
    plate, mask, min_cap = render_plate(text, design, str(font_path), rng)
    crop = photograph(plate, mask, min_cap, rng)
    plan = choose_degradations(rng, severity)
    image = degrade(crop, plan, rng)
    return Sample(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), text.label, font_path.stem, design.name,
                  max(plan.values(), default=0), plan)


def _write(job: tuple[Path, int, int, tuple[str, ...], int | None]) -> dict[str, str | int]:
    out, index, seed, fonts, severity = job
    sample = render_sample(index, seed, [Path(f) for f in fonts], severity)
    name = f"images/{index:06d}.png"
    if not cv2.imwrite(str(out / name), sample.image):
        raise OSError(f"cannot write {out / name}")
    row: dict[str, str | int] = {"file": name, "plate": sample.plate, "font": sample.font, "design": sample.design,
                                 "severity": sample.severity}
    for column in DEGRADATION_COLUMNS:
        row[column] = sample.degradations.get(column.removeprefix("ind_"), 0)
    return row


def _init_worker() -> None:
    cv2.setNumThreads(1)


def generate_independent(out: Path, n: int, seed: int = 0, fonts: Sequence[Path] | None = None,
                         severity: int | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write n plate crops under out/images/ and out/labels.csv; return the labels path.
    ``fonts`` defaults to the held-out families in ``HELD_OUT_FONT_DIR``.
    ``severity`` None gives each crop 0-2 degradations at mild or moderate
    strength (1-2), 0 clean crops only, 1-4 one or two degradations at that
    fixed strength. ``progress(done, n)`` is called as crops are written.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    if severity is not None and not 0 <= severity <= 4:
        raise ValueError(f"severity must be None or 0-4, not {severity}")
    font_paths = [Path(f) for f in (fonts if fonts is not None else _default_fonts())]
    if not font_paths:
        raise ValueError("no fonts to draw with")
    for path in font_paths:
        if not path.is_file():
            raise FileNotFoundError(f"font {path} does not exist")
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    jobs = [(out, i, seed, tuple(str(p) for p in font_paths), severity) for i in range(n)]
    rows: list[dict[str, str | int]] = []
    if n > POOL_THRESHOLD:
        workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1))
        with multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
            for row in pool.imap(_write, jobs, chunksize=16):
                rows.append(row)
                if progress:
                    progress(len(rows), n)
    else:
        for job in jobs:
            rows.append(_write(job))
            if progress:
                progress(len(rows), n)
    labels = out / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(LABEL_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return labels
