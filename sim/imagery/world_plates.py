"""Plates as the world makes them: random strings, many typefaces, many designs.

The format renderer (``plates.py``) draws the plates of the formats a site
declares, as their countries print them. A reader trained only on those
learns the formats and their four fonts, not characters: on other type and
other plates it reads what it expects instead of what is there. This renderer
is the cure. It draws **any** string of letters and digits (1-10 characters,
one or two lines) in any font of the training pool, on plain, gradient,
graphic or photographic backgrounds, dark on light or light on dark, with
what real plates carry between and around their characters: emblems, header
and footer words, side bands, stickers, frames, bolts, embossing; then frames
the plate loosely or tightly, slightly turned, as a detector cuts it out.

Designs come in named groups (:data:`DESIGNS`); :data:`HELD_OUT_DESIGNS` are
never drawn for training, so evaluation can measure the reader on designs it
has not seen, as it does on held-out fonts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from baytwin.core.lookalikes import LOOKALIKE_GROUPS
from baytwin.sim.imagery.font_pool import PoolFont

CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LETTERS, DIGITS = CHARS[10:], CHARS[:10]
MAX_LENGTH = 10
#: Share of each length 1..10. Every length is drawn often enough to be learned, so the reader has
#: no reason to prefer the 6-7 characters most formats use.
LENGTH_SHARE = np.array([3, 4, 6, 9, 13, 15, 16, 14, 11, 9], dtype=float)
#: Design groups. Training draws from all but the held-out ones.
DESIGNS = ("plain", "gradient", "graphic", "photo", "banded", "dark", "framed", "stacked", "waves", "split")
HELD_OUT_DESIGNS = ("waves", "split")
#: The share of plates of three characters or more drawn on two lines (besides every ``stacked`` plate).
TWO_LINE_SHARE = 0.15

HEADER_WORDS = ("CALIFORNIA", "TEXAS", "FLORIDA", "NEW YORK", "OHIO", "ONTARIO", "QUEBEC", "VICTORIA", "NSW",
                "GEORGIA", "ARIZONA", "NEVADA", "ALBERTA", "OREGON", "UTAH", "MAINE", "IDAHO", "COLORADO",
                "Sunshine State", "Garden State", "The Lone Star State", "Great Lakes", "SPORTSMAN'S PARADISE",
                "EXPLORE", "PURE", "DRIVE", "DEALER", "TAXI", "COMMERCIAL", "DIPLOMAT", "TRAILER")
FOOTER_WORDS = ("dmv.gov", "www.drive.example", "EXPLORE MORE", "LAND OF LINCOLN", "Famous Potatoes",
                "LIVE FREE OR DIE", "FIRST IN FLIGHT", "Beautiful", "Wild and Free", "EST. 1903",
                "REGISTERED", "www.transport.gov", "VISIT US", "GO GREEN", "ELECTRIC", "PATRON")
LIGHT = ((248, 248, 244), (252, 208, 20), (236, 236, 226), (250, 244, 222), (214, 232, 250), (222, 244, 222),
         (250, 228, 228), (240, 240, 240), (255, 236, 160), (226, 226, 238))
DARK = ((16, 18, 22), (20, 34, 96), (12, 70, 40), (110, 16, 24), (60, 60, 66), (20, 60, 110))
INKS_ON_LIGHT = ((18, 18, 20), (20, 34, 110), (120, 14, 24), (10, 80, 40), (50, 50, 56), (20, 60, 140))
INKS_ON_DARK = ((250, 250, 250), (252, 208, 20), (210, 214, 220), (240, 240, 200))
CAR = ((235, 235, 232), (20, 20, 22), (160, 163, 168), (95, 98, 104), (28, 48, 105), (150, 20, 25),
       (40, 70, 50), (190, 190, 185), (60, 30, 25), (210, 205, 190))


@dataclass(frozen=True, slots=True)
class WorldPlate:
    """A rendered crop: RGB uint8 image, the plate's corners in it, the text read top line first."""

    image: np.ndarray
    corners: np.ndarray  # float32 4x2: top-left, top-right, bottom-right, bottom-left
    text: str
    font: str  # family
    design: str
    top_line: int = 0  # characters of ``text`` on a two-line plate's top line; 0 for a one-line plate


def random_text(rng: np.random.Generator) -> str:
    """1-10 characters: mostly any letters and digits, sometimes grouped like a registration."""
    length = int(rng.choice(MAX_LENGTH, p=LENGTH_SHARE / LENGTH_SHARE.sum())) + 1
    if rng.random() < 0.55 or length < 4:
        return "".join(rng.choice(list(CHARS), size=length))
    out = []  # runs of letters and digits, as most registrations are built
    while len(out) < length:
        pool = LETTERS if (len(out) // 3 + int(rng.integers(2))) % 2 else DIGITS
        out += list(rng.choice(list(pool), size=min(int(rng.integers(1, 5)), length - len(out))))
    return "".join(out)


def with_lookalike_pair(text: str, rng: np.random.Generator) -> str:
    """``text`` with two of its characters made two different members of one look-alike group (``O`` and
    ``0``, ``I`` and ``1``, ``B`` and ``8`` ...), at two random places.

    What tells ``O`` from ``0`` in a font is how the two differ side by side: the zero narrower, slashed or
    dotted. Random strings put both in one plate too seldom for a reader to learn that, and it learns a
    prior instead (it read Go Mono's ``O`` as its slashed ``0``). Training draws some plates this way."""
    if len(text) < 2:
        return text
    group = LOOKALIKE_GROUPS[int(rng.integers(len(LOOKALIKE_GROUPS)))]
    first, second = rng.choice(list(group), size=2, replace=False)
    i, j = rng.choice(len(text), size=2, replace=False)
    chars = list(text)
    chars[int(i)], chars[int(j)] = str(first), str(second)
    return "".join(chars)


def render_world_plate(rng: np.random.Generator, fonts: list[PoolFont], text: str | None = None,
                       design: str | None = None, designs: tuple[str, ...] | None = None,
                       plate_height_px: float | None = None, readable_labels: bool = False,
                       turned: bool = False, avoid_ambiguous: bool = False, reshaped: bool = False,
                       two_line_share: float = TWO_LINE_SHARE) -> WorldPlate:
    """One plate crop drawn with a random font of ``fonts`` and a design (``design``, or one of ``designs``).

    With ``readable_labels`` (training), a letter the font draws exactly as a digit is drawn and labelled as
    that digit (:func:`readable_text`); with ``avoid_ambiguous`` as well, neither is drawn in that font
    (:func:`unambiguous_text`). A ``turned`` plate is seen from off its axis (:func:`turned_corners`); a
    ``reshaped`` one has its characters bent and its strokes thinned or rounded (:func:`reshaped_ink`).
    ``two_line_share`` of the plates of three characters or more (and every ``stacked`` one) are drawn on two lines."""
    text = text if text is not None else random_text(rng)
    choices = designs if designs is not None else tuple(d for d in DESIGNS if d not in HELD_OUT_DESIGNS)
    design = design or str(choices[int(rng.integers(len(choices)))])
    font = fonts[int(rng.integers(len(fonts)))]
    if readable_labels:
        text = unambiguous_text(text, font, rng) if avoid_ambiguous else readable_text(text, font)
    face, top_line = _plate_face(text, design, font, rng, reshaped, two_line_share)
    image, corners = _frame(face, rng, plate_height_px, turned)
    return WorldPlate(image, corners, text, font.family, design, top_line)


#: (letter, digit) pairs a font may draw alike (Routed Gothic's O and 0, its I and 1): the look-alike
#: groups readers confuse, each led by its digit.
LOOKALIKE_DIGITS = tuple((letter, group[0]) for group in LOOKALIKE_GROUPS for letter in group[1:])


def readable_text(text: str, font: PoolFont) -> str:
    """``text`` with every letter that ``font`` draws exactly as a digit replaced by that digit.

    Where a font's O and 0 are one glyph, a random string drawn in it shows the same image under either
    label, and a reader trained on both learns to hedge between them in every font, including those that
    tell them apart. Drawn as the digit, the image and its label agree. Evaluation sets keep their
    random labels: there, an identical pair is the reader's problem to report, not to be spared."""
    same = identical_lookalikes(font.path) if font.path is not None else {}
    return "".join(same.get(ch, ch) for ch in text) if same else text


def unambiguous_text(text: str, font: PoolFont, rng: np.random.Generator) -> str:
    """``text`` with every character of a pair that ``font`` draws as one glyph (both its letter and its
    digit) replaced by a random character outside that pair's look-alike group.

    :func:`readable_text` labels such a glyph as the digit, which is true to the image but teaches a
    prior: in about one training font in ten a plain oval is always ``0``, and the reader then reads the
    plain ``O`` of fonts it has never seen as ``0`` too (most of its misreads on held-out fonts). Not
    drawing the pair in those fonts at all teaches neither."""
    same = identical_lookalikes(font.path) if font.path is not None else {}
    if not same:
        return text
    banned = {ch for pair in same.items() for ch in pair}
    out = []
    for ch in text:
        if ch in banned:
            group = next((g for g in LOOKALIKE_GROUPS if ch in g), ch)
            pool = [c for c in CHARS if c not in group and c not in banned]
            ch = pool[int(rng.integers(len(pool)))]
        out.append(ch)
    return "".join(out)


def with_lookalike_letters(text: str, share: float, rng: np.random.Generator) -> str:
    """``text`` with each ``0`` redrawn as ``O`` and each ``1`` as ``I`` with probability ``share``.

    Random strings and registrations put digits in runs of digits, so a training set labels ``0`` about
    twice as often as ``O``, nearly always among digits: a reader learns to read an oval among digits
    as the zero whatever its shape. Letters drawn where digits stand make the shape, not the neighbours,
    decide."""
    if not share:
        return text
    swap = {"0": "O", "1": "I"}
    return "".join(swap[ch] if ch in swap and rng.random() < share else ch for ch in text)


@lru_cache(maxsize=256)
def identical_lookalikes(path: Path) -> dict[str, str]:
    """Letter -> digit for the pairs of :data:`LOOKALIKE_DIGITS` that the font at ``path`` draws alike."""
    return {letter: digit for letter, digit in LOOKALIKE_DIGITS
            if same_glyph(_glyph(path, letter, 90, 0), _glyph(path, digit, 90, 0))}


def same_glyph(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two glyph masks are one shape: the same width at the same height (within 5 %) and, scaled to
    one box, differing in under 5 % of their ink. A dotted or slashed zero, or an O only a little wider than
    the 0, is not the same glyph."""
    height = 48
    widths = [max(2, round(g.shape[1] * height / max(g.shape[0], 1))) for g in (a, b)]
    if abs(np.log(widths[0] / widths[1])) >= 0.05:
        return False
    box = (max(widths), height)
    a_, b_ = (cv2.resize(g, box, interpolation=cv2.INTER_AREA) for g in (a, b))
    ink = max(float(a_.mean()), float(b_.mean()), 1e-6)
    return float(np.abs(a_ - b_).mean()) / ink < 0.05


# --- the plate face ----------------------------------------------------------------------------------


def _split_lines(text: str, rng: np.random.Generator, always: bool = False, share: float = TWO_LINE_SHARE) -> list[str]:
    """The plate's lines: one, or (``share`` of plates of 3+ characters, every ``stacked`` plate) two."""
    if len(text) < 2 or (len(text) < 3 and not always) or (not always and rng.random() > share):
        return [text]
    cut = int(rng.integers(1, min(len(text) - 1, 4) + 1))
    return [text[:cut], text[cut:]]


def _plate_face(text: str, design: str, font: PoolFont, rng: np.random.Generator,
                reshaped: bool = False, two_line_share: float = TWO_LINE_SHARE) -> tuple[np.ndarray, int]:
    """The plate's face and how many characters stand on its top line (0 for one line)."""
    lines = _split_lines(text, rng, always=design == "stacked", share=two_line_share)
    char_h = 64
    dark = design == "dark" or (design not in ("banded",) and rng.random() < 0.12)
    bg = np.array(DARK[int(rng.integers(len(DARK)))] if dark else LIGHT[int(rng.integers(len(LIGHT)))], np.float32)
    ink = np.array(INKS_ON_DARK[int(rng.integers(len(INKS_ON_DARK)))] if dark
                   else INKS_ON_LIGHT[int(rng.integers(len(INKS_ON_LIGHT)))], np.float32)
    stretch = float(rng.uniform(0.75, 1.2))
    bold = int(rng.choice(4, p=(0.45, 0.3, 0.17, 0.08)))
    masks = [_line_mask(line, font, char_h if i == len(lines) - 1 or len(lines) == 1 else int(char_h * rng.uniform(0.6, 1.0)),
                        stretch, bold, rng) for i, line in enumerate(lines)]
    if reshaped:  # drawn only when asked for: other plates stay as they were
        masks = [reshaped_ink(mask, rng) for mask in masks]
    band_w = int(char_h * rng.uniform(0.45, 0.7)) if design in ("banded", "split") or rng.random() < 0.1 else 0
    pad_x = int(char_h * rng.uniform(0.15, 0.6))
    header = design in ("graphic", "photo", "framed", "waves") or rng.random() < 0.3
    footer = design in ("framed", "photo") or rng.random() < 0.3
    pad_top = int(char_h * (rng.uniform(0.35, 0.55) if header else rng.uniform(0.1, 0.3)))
    pad_bottom = int(char_h * (rng.uniform(0.3, 0.5) if footer else rng.uniform(0.1, 0.3)))
    gap = int(char_h * rng.uniform(0.08, 0.2))
    width = max(m.shape[1] for m in masks) + 2 * pad_x + band_w
    height = sum(m.shape[0] for m in masks) + gap * (len(masks) - 1) + pad_top + pad_bottom
    width = max(width, int(height * 1.1))
    face = _background(design, bg, height, width, rng)
    if band_w:
        band = np.array(((0, 51, 153), (0, 120, 60), (190, 20, 30), (20, 20, 20))[int(rng.integers(4))], np.float32)
        face[:, :band_w] = band
        if rng.random() < 0.7:
            _small_text(face, "".join(rng.choice(list(LETTERS), size=int(rng.integers(1, 4)))), (0, height // 2, band_w, height),
                        (250, 250, 250), rng, max_h=int(char_h * 0.35))
        if rng.random() < 0.5:
            for k in range(12):  # a ring of dots, like the EU stars
                a = 2 * np.pi * k / 12
                cx, cy, r = band_w / 2 + np.cos(a) * band_w * 0.28, height * 0.3 + np.sin(a) * band_w * 0.28, max(1, band_w // 16)
                cv2.circle(face, (int(cx), int(cy)), r, (255, 204, 0), -1)
    if design == "split":  # a second colour on the right third, as regional bands print
        face[:, int(width * 0.86):] = np.array(((0, 51, 153), (200, 200, 200), (12, 70, 40))[int(rng.integers(3))], np.float32)
    y = pad_top
    for mask in masks:
        x = band_w + (width - band_w - mask.shape[1]) // 2
        _ink(face, mask, x, y, ink, rng)
        y += mask.shape[0] + gap
    if header:
        _small_text(face, str(rng.choice(HEADER_WORDS)), (band_w, 0, width, pad_top), tuple(ink * 0.8 + bg * 0.2), rng,
                    max_h=int(pad_top * 0.75))
    if footer:
        _small_text(face, str(rng.choice(FOOTER_WORDS)), (band_w, height - pad_bottom, width, height),
                    tuple(ink * 0.8 + bg * 0.2), rng, max_h=int(pad_bottom * 0.7))
    if rng.random() < 0.35:
        _stickers(face, rng, pad_top)
    if design == "framed" or rng.random() < 0.25:
        t = max(2, int(char_h * rng.uniform(0.04, 0.12)))
        colour = (20, 20, 22) if rng.random() < 0.5 else (175, 178, 184)
        cv2.rectangle(face, (0, 0), (width - 1, height - 1), colour, t)
    elif rng.random() < 0.6:
        t = max(1, int(char_h * 0.03))
        cv2.rectangle(face, (t * 2, t * 2), (width - 1 - t * 2, height - 1 - t * 2), tuple(float(v) for v in ink), t)
    if rng.random() < 0.4:
        for bx in (width * 0.2, width * 0.8):
            cv2.circle(face, (int(bx), int(pad_top * 0.45 + 2)), max(2, char_h // 14), (150, 150, 150), -1)
    face += rng.normal(0, rng.uniform(0, 6), face.shape[:2])[..., None].astype(np.float32)
    return np.clip(face, 0, 255).astype(np.uint8), len(lines[0]) if len(lines) == 2 else 0


def _background(design: str, bg: np.ndarray, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    face = np.empty((h, w, 3), np.float32)
    face[:] = bg
    if design == "gradient" or (design == "plain" and rng.random() < 0.2):
        other = np.clip(bg + rng.normal(0, 45, 3), 0, 255)
        t = np.linspace(0, 1, h if rng.random() < 0.6 else w, dtype=np.float32)
        ramp = t[:, None, None] if len(t) == h else t[None, :, None]
        face[:] = bg * (1 - ramp) + other * ramp
    elif design in ("graphic", "waves"):
        colour = np.clip(bg + rng.normal(0, 50, 3), 0, 255)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        if design == "waves":
            field = np.sin(xx / w * rng.uniform(4, 14) + np.sin(yy / h * 3) * 2) * 0.5 + 0.5
        else:  # soft silhouettes: hills, a skyline, a sun
            field = np.zeros((h, w), np.float32)
            for _ in range(int(rng.integers(1, 4))):
                cx, cy, r = rng.uniform(0, w), rng.uniform(h * 0.3, h * 1.2), rng.uniform(h * 0.3, h)
                field = np.maximum(field, (((xx - cx) ** 2 + (yy - cy) ** 2) < r * r).astype(np.float32))
            field = cv2.GaussianBlur(field, (0, 0), 2)
        strength = rng.uniform(0.25, 0.6)
        face += (colour - bg) * (field * strength)[..., None]
    elif design == "photo":
        noise = rng.normal(0, 1, (max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
        noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        face += noise * rng.uniform(15, 40)
    return face


@lru_cache(maxsize=512)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _line_mask(line: str, font: PoolFont, char_h: int, stretch: float, bold: int, rng: np.random.Generator) -> np.ndarray:
    """The line's ink as a float mask (0..1), characters ``char_h`` tall, with its separators."""
    assert font.path is not None
    pil_font = _font(font.path, int(char_h * 1.4))
    pieces: list[np.ndarray] = []
    gap = int(char_h * rng.uniform(0.02, 0.18))
    group_break = set(rng.choice(len(line), size=min(len(line) - 1, int(rng.integers(0, 3))), replace=False) + 1) if len(line) > 2 else set()
    separator = str(rng.choice(["space", "dash", "dot", "emblem"], p=(0.55, 0.2, 0.1, 0.15)))
    for i, ch in enumerate(line):
        if i in group_break:
            pieces.append(_separator(separator, char_h, rng))
        glyph = _glyph(font.path, ch, int(char_h * 1.4), bold)
        target_w = max(2, int(glyph.shape[1] * char_h / max(glyph.shape[0], 1) * stretch))
        pieces.append(cv2.resize(glyph, (target_w, char_h), interpolation=cv2.INTER_AREA))
        pieces.append(np.zeros((char_h, gap), np.float32))
    return np.concatenate(pieces[:-1], axis=1)


#: How far :func:`reshaped_ink` moves ink, as a share of the line's height: a few per cent bends a stroke
#: without turning one character into another.
RESHAPE_SHIFT = (0.015, 0.045)


def reshaped_ink(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A line's ink as a typeface the pool does not hold might draw it: strokes thinner (two lines in five)
    or corners rounded (one in four), and the whole line bent by a smooth random field of a few per cent of
    its height, so curves, bowls and terminals take shapes no training font has. The mask comes back a
    little larger, so that ink bent past its edges is kept.

    A reader that has seen a few dozen families learns their shapes; on type it has never seen (a plate
    font, a condensed face) it misreads the characters whose shapes differ. Bending and thinning the
    training fonts' ink fills the space between their shapes, as elastic distortion does for handwriting.
    Every change is small against a character, and a thinning or rounding that would take away more than
    a third of the ink is skipped, so no stroke is erased."""
    line_h = mask.shape[0]
    out = mask
    change = rng.random()
    if change < 0.4:
        size = 1 + 2 * max(1, round(line_h * rng.uniform(0.01, 0.025)))
        changed = cv2.erode(out, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    elif change < 0.65:
        soft = cv2.GaussianBlur(out, (0, 0), line_h * rng.uniform(0.02, 0.05))
        changed = np.clip((soft - 0.45) * 4 + 0.5, 0, 1).astype(np.float32)
    else:
        changed = out
    if changed.sum() >= 0.67 * out.sum():
        out = changed
    shift = line_h * rng.uniform(*RESHAPE_SHIFT)
    out = np.pad(out, int(np.ceil(2 * shift)) + 1)  # the field moves ink at most 2 x shift
    h, w = out.shape
    knots = (3, max(3, round(w / (line_h * 0.5)) + 1))  # the field's control points: one per half character
    field = np.clip(rng.normal(0, shift, (2, *knots)), -2 * shift, 2 * shift).astype(np.float32)
    dx = cv2.resize(field[0], (w, h), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(field[1], (w, h), interpolation=cv2.INTER_CUBIC)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(out, grid_x + dx, grid_y + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@lru_cache(maxsize=8192)
def _glyph(path: Path, ch: str, size: int, bold: int) -> np.ndarray:
    """A character's ink cropped to its box (float32 0..1); digits and capitals share a height."""
    font = _font(path, size)
    stroke = bold * max(1, size // 60)
    box = font.getbbox(ch, stroke_width=stroke)
    w, h = box[2] - box[0] + 4, box[3] - box[1] + 4
    image = Image.new("L", (max(w, 1), max(h, 1)), 0)
    ImageDraw.Draw(image).text((2 - box[0], 2 - box[1]), ch, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    ink = np.asarray(image, np.float32) / 255
    rows, cols = np.where(ink > 0.1)
    if len(rows) == 0:
        return np.zeros((4, 4), np.float32)
    return ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def _separator(kind: str, char_h: int, rng: np.random.Generator) -> np.ndarray:
    width = int(char_h * (rng.uniform(0.25, 0.6) if kind != "emblem" else rng.uniform(0.6, 0.9)))
    mask = np.zeros((char_h, max(width, 2)), np.float32)
    c = mask.shape[1] // 2
    if kind == "dash":
        mask[int(char_h * 0.45):int(char_h * 0.56), int(width * 0.2):int(width * 0.8)] = 1
    elif kind == "dot":
        cv2.circle(mask, (c, int(char_h * 0.5)), max(1, char_h // 14), 1.0, -1)
    elif kind == "emblem":  # a seal or shield between groups: not a character, and the reader must skip it
        r = int(width * 0.42)
        cv2.circle(mask, (c, char_h // 2), r, 1.0, max(1, char_h // 24))
        if rng.random() < 0.5:
            cv2.circle(mask, (c, char_h // 2), max(1, r // 2), 0.7, -1)
        else:
            pts = np.array([[c - r // 2, char_h // 2 - r // 2], [c + r // 2, char_h // 2 - r // 2], [c, char_h // 2 + r // 2]])
            cv2.fillPoly(mask, [pts.astype(np.int32)], 0.7)
    return mask


def _ink(face: np.ndarray, mask: np.ndarray, x: int, y: int, ink: np.ndarray, rng: np.random.Generator) -> None:
    h, w = mask.shape
    h, w = min(h, face.shape[0] - y), min(w, face.shape[1] - x)
    mask = mask[:h, :w]
    region = face[y:y + h, x:x + w]
    if rng.random() < 0.3:  # embossed: a highlight and a shadow beside each stroke
        shifted = np.roll(np.roll(mask, 2, axis=0), 2, axis=1)
        region -= (shifted * (1 - mask))[..., None] * 45
    if rng.random() < 0.08:  # stencil: the thin bridges some plate fonts leave
        for cut in rng.uniform(0.3, 0.7, int(rng.integers(1, 3))):
            mask[int(h * cut):int(h * cut) + max(1, h // 20)] *= 0.15
    region += (ink - region) * mask[..., None]


def _small_text(face: np.ndarray, text: str, box: tuple[int, int, int, int], colour: tuple, rng: np.random.Generator,
                max_h: int) -> None:
    """Header, footer or band words: small, often italic, never part of the registration."""
    x0, y0, x1, y1 = box
    if max_h < 5 or x1 - x0 < 10:
        return
    pil = Image.fromarray(np.clip(face[y0:y1, x0:x1], 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    size = max(6, int(max_h * 1.2))
    font = ImageFont.load_default(size=size)
    tw = draw.textlength(text, font=font)
    if tw > (x1 - x0) * 0.95:
        size = max(6, int(size * (x1 - x0) * 0.95 / tw))
        font = ImageFont.load_default(size=size)
        tw = draw.textlength(text, font=font)
    draw.text(((x1 - x0 - tw) / 2, (y1 - y0 - size) / 2), text, fill=tuple(int(c) for c in colour), font=font)
    face[y0:y1, x0:x1] = np.asarray(pil, np.float32)


def _stickers(face: np.ndarray, rng: np.random.Generator, top: int) -> None:
    h, w = face.shape[:2]
    size = max(6, int(h * rng.uniform(0.15, 0.25)))
    for x in ([int(w * 0.04)] if rng.random() < 0.5 else [int(w * 0.04), int(w - w * 0.04 - size)]):
        colour = rng.integers(40, 255, 3).astype(np.float32)
        face[2:2 + size, x:x + size] = colour


# --- framing the crop --------------------------------------------------------------------------------


#: How far a turned plate (``turned_corners``) is seen off its axis: its roll in degrees, how much shorter
#: its far side stands than its near one, how much narrower it looks, and how far its top edge slides
#: sideways against its bottom (share of its height). A phone or a street camera beside a parked car sees
#: plates like this; the bay camera in front of a bay does not.
TURN_ROLL_DEG = 12.0
TURN_FAR_SIDE = (0.72, 1.0)
TURN_NARROWER = (0.7, 1.0)
TURN_SLIDE = 0.3


def turned_corners(corners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plate's corners (TL TR BR BL) as seen from off its axis: rolled, its far side shorter, narrower,
    its top slid against its bottom."""
    quad = np.asarray(corners, np.float32).copy()
    centre = quad.mean(axis=0)
    quad -= centre
    quad[:, 0] *= rng.uniform(*TURN_NARROWER)
    far = rng.uniform(*TURN_FAR_SIDE)
    side = (1, 2) if rng.random() < 0.5 else (0, 3)  # the right edge or the left one is the far one
    quad[list(side), 1] *= far
    height = float(quad[3, 1] - quad[0, 1] + quad[2, 1] - quad[1, 1]) / 2
    slide = rng.uniform(-TURN_SLIDE, TURN_SLIDE) * height
    quad[:2, 0] += slide / 2
    quad[2:, 0] -= slide / 2
    angle = np.deg2rad(rng.uniform(-TURN_ROLL_DEG, TURN_ROLL_DEG))
    roll = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (quad @ roll.T + centre).astype(np.float32)


def _frame(face: np.ndarray, rng: np.random.Generator, plate_height_px: float | None,
           turned: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The plate on a patch of car, turned and foreshortened a little (much, when ``turned``), framed tightly
    or loosely. A turned plate's frame is the upright box around it: what a detector's box cuts out when
    the plate's corners cannot be found."""
    h, w = face.shape[:2]
    target_h = plate_height_px or float(rng.uniform(18, 90))
    scale = target_h / h
    margin_x = rng.uniform(-0.03, 0.35) * target_h
    margin_y = rng.uniform(-0.05, 0.45) * target_h
    out_w, out_h = int(w * scale + 2 * max(margin_x, 0)) + 2, int(target_h + 2 * max(margin_y, 0)) + 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    cx, cy = out_w / 2, out_h / 2
    half = np.float32([w * scale / 2, target_h / 2])
    corners = np.float32([[cx - half[0], cy - half[1]], [cx + half[0], cy - half[1]],
                          [cx + half[0], cy + half[1]], [cx - half[0], cy + half[1]]])
    angle = np.deg2rad(rng.normal(0, 2.5))
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (corners - [cx, cy]) @ rot.T + [cx, cy]
    corners += rng.normal(0, 0.03, (4, 2)).astype(np.float32) * target_h
    if turned:
        corners = turned_corners(corners, rng)
        low = corners.min(axis=0)
        corners += np.float32([max(margin_x, 0) + 1, max(margin_y, 0) + 1]) - low
        out_w = int(np.ceil(corners[:, 0].max() + max(margin_x, 0))) + 2
        out_h = int(np.ceil(corners[:, 1].max() + max(margin_y, 0))) + 2
    car = np.array(CAR[int(rng.integers(len(CAR)))], np.float32)
    canvas = np.empty((out_h, out_w, 3), np.float32)
    canvas[:] = car + rng.normal(0, 8, 3)
    homography = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    warped = cv2.warpPerspective(face, homography, (out_w, out_h), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    alpha = cv2.warpPerspective(np.ones((h, w), np.float32), homography, (out_w, out_h), flags=cv2.INTER_LINEAR)
    canvas = canvas * (1 - alpha[..., None]) + warped.astype(np.float32) * alpha[..., None]
    if rng.random() < 0.5:  # uneven light across the plate
        ramp = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.9, 1.15), out_w, dtype=np.float32)
        canvas *= ramp[None, :, None]
    return np.clip(canvas, 0, 255).astype(np.uint8), corners.astype(np.float32)
