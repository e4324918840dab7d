"""The world renderer draws any string in any training font, and never lets a held-out font or design in."""

from __future__ import annotations

from collections import Counter

import numpy as np
from PIL import ImageFont

from baytwin.sim.imagery.font_pool import held_out_families, held_out_fonts, training_fonts
from baytwin.sim.imagery.world_plates import CHARS, DESIGNS, HELD_OUT_DESIGNS, MAX_LENGTH, random_text, render_world_plate


def test_texts_are_any_letters_and_digits_of_every_length_from_one_to_ten() -> None:
    rng = np.random.default_rng(0)
    texts = [random_text(rng) for _ in range(3000)]
    assert all(set(t) <= set(CHARS) for t in texts)
    lengths = Counter(len(t) for t in texts)
    assert set(lengths) == set(range(1, MAX_LENGTH + 1))
    assert min(lengths.values()) >= 50  # no length so rare the reader learns to avoid it
    assert set("".join(texts)) == set(CHARS)


def test_no_training_font_belongs_to_a_held_out_family() -> None:
    fonts = training_fonts()
    assert fonts, "the bundled fonts at least are always there"
    assert not {f.family for f in fonts} & held_out_families()
    held_out_files = {f.file for f in held_out_fonts()}
    assert not {f.path.name for f in fonts if f.path} & held_out_files
    assert all("heldout" not in f.path.parts for f in fonts if f.path)


def test_held_out_fonts_ship_with_the_project_and_draw_every_character() -> None:
    for font in held_out_fonts():
        assert font.path is not None and font.path.is_file(), font.file
        face = ImageFont.truetype(str(font.path), 40)
        for ch in CHARS:
            box = face.getbbox(ch)
            assert box[2] > box[0] and box[3] > box[1], (font.family, ch)


def test_a_plate_is_the_same_for_the_same_seed_and_frames_its_corners() -> None:
    fonts = training_fonts()
    a = render_world_plate(np.random.default_rng(5), fonts)
    b = render_world_plate(np.random.default_rng(5), fonts)
    assert a.text == b.text and a.font == b.font and np.array_equal(a.image, b.image)
    h, w = a.image.shape[:2]
    assert a.image.dtype == np.uint8 and a.image.ndim == 3
    assert (a.corners[:, 0] > -0.1 * w).all() and (a.corners[:, 0] < 1.1 * w).all()


def test_training_draws_no_held_out_design_unless_asked() -> None:
    fonts = training_fonts()
    drawn = {render_world_plate(np.random.default_rng(seed), fonts).design for seed in range(200)}
    assert drawn and not drawn & set(HELD_OUT_DESIGNS)
    assert drawn == set(DESIGNS) - set(HELD_OUT_DESIGNS)
    asked = render_world_plate(np.random.default_rng(1), fonts, design=HELD_OUT_DESIGNS[0])
    assert asked.design == HELD_OUT_DESIGNS[0]


def test_a_stacked_plate_prints_its_text_on_two_lines() -> None:
    fonts = [f for f in training_fonts() if f.family == "DejaVu Sans"]
    plate = render_world_plate(np.random.default_rng(3), fonts, text="AB1234", design="stacked", plate_height_px=120)
    gray = plate.image.mean(axis=2)
    corners = plate.corners
    x0, x1 = int(corners[:, 0].min()) + 10, int(corners[:, 0].max()) - 10
    y0, y1 = int(corners[:, 1].min()) + 4, int(corners[:, 1].max()) - 4
    inside = gray[y0:y1, x0:x1]
    dark_rows = (inside < inside.mean() - 40).mean(axis=1) > 0.05
    runs = np.flatnonzero(np.diff(dark_rows.astype(int)) == 1)  # starts of bands of ink
    assert len(runs) + int(dark_rows[0]) >= 2
    assert 1 <= plate.top_line <= 4, "a stacked plate says how many characters its top line holds"


def test_a_plate_says_where_its_lines_split_and_one_line_plates_say_none() -> None:
    fonts = [f for f in training_fonts() if f.family == "DejaVu Sans"]
    plates = [render_world_plate(np.random.default_rng(seed), fonts) for seed in range(300)]
    two_line = [p for p in plates if p.top_line]
    assert 0 < len(two_line) < len(plates)
    assert all(0 < p.top_line < len(p.text) for p in two_line)
    assert all(p.top_line for p in plates if p.design == "stacked" and len(p.text) >= 2)


def test_a_held_out_set_names_each_crops_font_and_design_and_uses_no_training_font(tmp_path) -> None:
    import csv

    from baytwin.sim.imagery.dataset import WorldPlates, generate

    labels = generate(tmp_path, 12, degradations={"rain": 2}, seed=4, world=WorldPlates("held-out", "held-out"))
    rows = list(csv.DictReader(labels.open()))
    assert len(rows) == 12
    assert {r["font"] for r in rows} <= {f.family for f in held_out_fonts()}
    assert {r["design"] for r in rows} <= set(HELD_OUT_DESIGNS)
    assert all(r["rain"] == "2" and set(r["plate"]) <= set(CHARS) for r in rows)
    again = generate(tmp_path / "again", 12, degradations={"rain": 2}, seed=4, world=WorldPlates("held-out", "held-out"))
    assert (tmp_path / rows[3]["file"]).read_bytes() == (again.parent / rows[3]["file"]).read_bytes()


def test_a_letter_drawn_exactly_as_a_digit_is_labelled_as_the_digit_only_where_the_font_draws_them_alike() -> None:
    from baytwin.sim.imagery.world_plates import _glyph, readable_text, same_glyph

    fonts = {f.family: f for f in training_fonts() + held_out_fonts()}
    for family in ("DejaVu Sans", "DejaVu Sans Mono", "Go Mono", "B612"):  # bundled: on every machine
        font = fonts[family]
        assert font.path is not None
        assert readable_text("O0I1DQBSZG", font) == "O0I1DQBSZG", family  # they tell every pair apart
        # the dotted or slashed zero of a monospace font, and a zero narrower than the O, are not the O
        assert not same_glyph(_glyph(font.path, "O", 90, 0), _glyph(font.path, "0", 90, 0)), family
    glyph = _glyph(fonts["DejaVu Sans"].path, "0", 90, 0)  # type: ignore[arg-type]
    assert same_glyph(glyph, glyph.copy())
    assert not same_glyph(glyph, glyph[:, : glyph.shape[1] * 3 // 4])  # a narrower shape is another glyph
    routed = fonts.get("Routed Gothic")
    if routed is not None:  # installed with the training fonts: one glyph for O and 0, one for I and 1
        assert readable_text("OI0B", routed) == "010B"


def test_training_plates_carry_readable_labels_and_evaluation_plates_their_random_ones() -> None:
    from baytwin.sim.imagery.world_plates import identical_lookalikes

    fonts = [f for f in training_fonts() if f.path is not None and identical_lookalikes(f.path)]
    if not fonts:  # without the training fonts installed, no font here draws a letter as a digit
        fonts = training_fonts()
    for seed in range(40):
        text = "O0OI1I" * (1 + seed % 2)
        trained = render_world_plate(np.random.default_rng(seed), fonts, text=text, readable_labels=True)
        shown = render_world_plate(np.random.default_rng(seed), fonts, text=text)
        assert shown.text == text  # evaluation keeps the label it drew
        same = identical_lookalikes(next(f.path for f in fonts if f.family == trained.font))  # type: ignore[arg-type]
        assert trained.text == "".join(same.get(c, c) for c in text)
        assert (trained.font, trained.design) == (shown.font, shown.design)  # the same plate otherwise


def test_a_lookalike_pair_puts_two_members_of_one_group_into_the_plate_and_keeps_the_rest() -> None:
    from baytwin.core.lookalikes import LOOKALIKE_GROUPS
    from baytwin.sim.imagery.world_plates import with_lookalike_pair

    rng = np.random.default_rng(3)
    groups_seen = set()
    for _ in range(400):
        text = random_text(rng)
        paired = with_lookalike_pair(text, rng)
        if len(text) < 2:
            assert paired == text  # no room for a pair
            continue
        assert len(paired) == len(text) and set(paired) <= set(CHARS)
        changed = [i for i, (a, b) in enumerate(zip(text, paired)) if a != b]
        assert len(changed) <= 2  # two places rewritten (one may already have held its new character)
        group = next(g for g in LOOKALIKE_GROUPS if sum(c in g for c in set(paired)) >= 2)
        groups_seen.add(group)
    assert groups_seen == set(LOOKALIKE_GROUPS)  # every group is drawn


def test_training_plates_carry_lookalike_pairs_and_calibration_plates_do_not() -> None:
    from baytwin.core.lookalikes import LOOKALIKE_GROUPS
    from baytwin.sim.ocr_training import LOOKALIKE_PAIR_SHARE, WorldMix, world_sample_lines

    def has_pair(text: str) -> bool:
        return any(len(set(text) & set(group)) >= 2 for group in LOOKALIKE_GROUPS)

    fonts = training_fonts()[:3]
    seeds = range(1_000_000, 1_000_150)
    paired = sum(has_pair(world_sample_lines(s, 0.0, fonts, mix=WorldMix(lookalike_pairs=1.0, turned=0.0))[1]) for s in seeds)
    plain = sum(has_pair(world_sample_lines(s, 0.0, fonts)[1]) for s in seeds)
    assert paired >= 140 and plain < paired / 2  # readable labels may fold a pair into one digit, rarely
    assert 0 < LOOKALIKE_PAIR_SHARE < 1  # training mixes both kinds
    rng = np.random.default_rng(1_000_007)  # without pairs a seed draws the plate the renderer draws
    assert world_sample_lines(1_000_007, 0.0, fonts)[1] == render_world_plate(rng, fonts, readable_labels=True).text


def test_the_training_sets_share_of_lookalike_pairs_follows_its_setting() -> None:
    from baytwin.core.lookalikes import LOOKALIKE_GROUPS
    from baytwin.sim.ocr_training import WorldMix, _render_batch

    def pairs(share: float) -> int:
        seeds = list(range(2_000_000, 2_000_000 + 40 * 30, 40))  # slot 0 of SAMPLE_KINDS: world plates
        _, texts, _ = _render_batch(seeds, WorldMix(lookalike_pairs=share))
        return sum(any(len(set(t) & set(group)) >= 2 for group in LOOKALIKE_GROUPS) for t in texts)

    none, most = pairs(0.0), pairs(0.9)
    assert most >= none + 10, (none, most)


def _off_axis(corners: np.ndarray) -> bool:
    """Whether a plate's quad is seen well off its axis: rolled over 5 degrees, or one side 15 % shorter."""
    tl, tr, br, bl = np.asarray(corners, float)
    roll = abs(np.degrees(np.arctan2(tr[1] - tl[1], tr[0] - tl[0])))
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    return roll > 5 or min(left, right) / max(left, right) < 0.85


def test_a_turned_plate_is_seen_off_its_axis_and_cut_out_whole_by_its_upright_box() -> None:
    fonts = training_fonts()[:3]
    turned = [render_world_plate(np.random.default_rng(s), fonts, turned=True) for s in range(60)]
    straight = [render_world_plate(np.random.default_rng(s), fonts) for s in range(60)]
    assert sum(_off_axis(p.corners) for p in turned) >= 35
    assert sum(_off_axis(p.corners) for p in straight) <= 8
    for plate in turned:  # the crop is the box around the turned plate, give or take a tight crop's cut
        h, w = plate.image.shape[:2]
        low, high = plate.corners.min(axis=0), plate.corners.max(axis=0)
        slack = 0.06 * (high[1] - low[1])
        assert low[0] >= -slack and low[1] >= -slack and high[0] <= w + slack and high[1] <= h + slack
    assert [p.text for p in turned] == [p.text for p in straight]  # the same plates, only seen otherwise


def test_turned_plates_are_drawn_only_when_asked_for_and_keep_their_texts() -> None:
    from baytwin.sim.ocr_training import AS_DRAWN, WorldMix, world_sample_lines

    fonts = training_fonts()[:3]
    seeds = range(1_000_000, 1_000_040)
    plain = [world_sample_lines(s, 0.0, fonts) for s in seeds]
    unasked = [world_sample_lines(s, 0.0, fonts, mix=AS_DRAWN) for s in seeds]
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(plain, unasked))
    asked = [world_sample_lines(s, 0.0, fonts, mix=WorldMix(lookalike_pairs=0.0, turned=0.5)) for s in seeds]
    assert [a[1] for a in asked] == [a[1] for a in plain]  # the labels stay; only how the plates are seen changes
    assert sum(not np.array_equal(a[0], b[0]) for a, b in zip(plain, asked)) >= 30


def test_avoiding_ambiguous_glyphs_draws_neither_member_of_a_pair_the_font_draws_alike(monkeypatch) -> None:
    from baytwin.core.lookalikes import LOOKALIKE_GROUPS
    from baytwin.sim.imagery import world_plates
    from baytwin.sim.imagery.world_plates import unambiguous_text

    fonts = {f.family: f for f in training_fonts() + held_out_fonts()}
    rng = np.random.default_rng(5)
    for family in ("DejaVu Sans", "Go Mono", "B612"):  # bundled, and they tell every pair apart: nothing changes
        assert unambiguous_text("O0I1DQBSZG", fonts[family], rng) == "O0I1DQBSZG", family
    routed = fonts.get("Routed Gothic")
    if routed is not None:  # installed with the training fonts: O and 0, I and 1 drawn alike
        for _ in range(50):
            text = unambiguous_text("OI0B1X", routed, rng)
            assert len(text) == 6 and text[3] == "B" and text[5] == "X" and not set(text) & set("O0I1"), text
    # the rule itself, for a font that draws O as 0 and nothing else alike
    monkeypatch.setattr(world_plates, "identical_lookalikes", lambda path: {"O": "0"})
    zero_group = next(g for g in LOOKALIKE_GROUPS if "0" in g)
    seen = Counter()
    for _ in range(200):
        text = unambiguous_text("O0A1I", fonts["DejaVu Sans"], rng)
        assert text[2:] == "A1I"  # what the font tells apart stays
        assert text[0] not in zero_group and text[1] not in zero_group and set(text[:2]) <= set(CHARS)
        seen.update(text[:2])
    assert len(seen) >= 15  # any other character, not one stand-in


def test_lookalike_letters_draw_O_and_I_where_the_text_had_0_and_1_at_their_share() -> None:
    from baytwin.sim.imagery.world_plates import with_lookalike_letters

    rng = np.random.default_rng(11)
    texts = [random_text(rng) for _ in range(3000)]
    state = rng.bit_generator.state
    assert [with_lookalike_letters(t, 0.0, rng) for t in texts] == texts
    assert rng.bit_generator.state == state  # at share 0 nothing is drawn: older runs' plates stay as they were
    assert all(with_lookalike_letters(t, 1.0, rng) == t.replace("0", "O").replace("1", "I") for t in texts)
    before, after = Counter("".join(texts)), Counter("".join(with_lookalike_letters(t, 0.3, rng) for t in texts))
    assert before["0"] > 1.3 * before["O"]  # random registrations hold more zeros than Os
    assert 0.6 * before["0"] <= after["0"] <= 0.8 * before["0"]
    assert after["O"] - before["O"] == before["0"] - after["0"]
    assert after["0"] < 1.2 * after["O"]
    assert len("".join(texts)) == sum(after.values())


def test_training_settings_carry_the_lookalike_mix_to_every_world_sample() -> None:
    from baytwin.sim.ocr_training import TrainSettings, WorldMix, world_sample_lines

    settings = TrainSettings(mix=WorldMix(lookalike_letters=0.3, avoid_ambiguous=True))
    assert settings.mix == WorldMix(lookalike_letters=0.3, avoid_ambiguous=True)
    assert {"lookalike_letters": 0.3, "avoid_ambiguous": True}.items() <= settings.fingerprint().items()
    assert "lookalike_letters" not in TrainSettings().fingerprint()  # older run folders still continue
    fonts = training_fonts()[:3]
    seeds = range(3_000_000, 3_000_120)
    plain = Counter("".join(world_sample_lines(s, 0.0, fonts, mix=WorldMix(lookalike_pairs=0.0))[1] for s in seeds))
    lettered = Counter("".join(world_sample_lines(s, 0.0, fonts, mix=WorldMix(lookalike_pairs=0.0, lookalike_letters=1.0))[1]
                               for s in seeds))
    assert plain["0"] > 10 and lettered["0"] == 0 and lettered["O"] >= plain["O"] + plain["0"] - 2


def test_reshaped_ink_bends_and_thins_a_line_without_moving_or_erasing_its_characters() -> None:
    from baytwin.sim.imagery.world_plates import _line_mask, reshaped_ink

    font = next(f for f in held_out_fonts() if f.family == "Go")
    for seed in range(100):
        drawn = _line_mask("B8O0Q1", font, 64, 1.0, 0, np.random.default_rng(seed))
        bent = reshaped_ink(drawn, np.random.default_rng(seed))
        margin = (bent.shape[0] - drawn.shape[0]) // 2  # grown evenly, so that no bent ink falls off its edges
        assert 1 <= margin <= 8 and bent.shape == (drawn.shape[0] + 2 * margin, drawn.shape[1] + 2 * margin)
        line = np.pad(drawn, margin)
        assert not np.allclose(bent, line)
        assert 0.6 * line.sum() <= bent.sum() <= 1.2 * line.sum()  # thinner at most, never erased
        rows = np.arange(line.shape[0])[:, None]  # bent in place: the line keeps its height on the plate
        assert abs((bent * rows).sum() / bent.sum() - (line * rows).sum() / line.sum()) < 0.03 * 64
        # every character keeps its ink: each character-wide run of inked columns still holds much of it
        ink_cols = np.flatnonzero(line.max(axis=0) > 0.5)
        runs = [r for r in np.split(ink_cols, np.flatnonzero(np.diff(ink_cols) > 1) + 1) if len(r) >= 12]
        assert len(runs) >= 5
        for run in runs:
            around = slice(run[0] - margin, run[-1] + margin + 1)  # bent a few pixels either way
            assert bent[:, around].sum() > 0.4 * line[:, run].sum()


def test_reshaped_plates_are_drawn_only_when_asked_for_and_keep_their_texts() -> None:
    from baytwin.sim.ocr_training import AS_DRAWN, TrainSettings, WorldMix, world_sample_lines

    fonts = training_fonts()[:3]
    seeds = range(4_000_000, 4_000_040)
    plain = [world_sample_lines(s, 0.0, fonts, mix=AS_DRAWN) for s in seeds]
    unasked = [world_sample_lines(s, 0.0, fonts, mix=WorldMix(lookalike_pairs=0.0, turned=0.0, reshaped=0.0))
               for s in seeds]
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(plain, unasked))
    asked = [world_sample_lines(s, 0.0, fonts, mix=WorldMix(lookalike_pairs=0.0, reshaped=0.5)) for s in seeds]
    assert [a[1] for a in asked] == [a[1] for a in plain]  # the labels stay
    assert sum(not np.array_equal(a[0], b[0]) for a, b in zip(plain, asked)) >= 30
    assert TrainSettings(mix=WorldMix(reshaped=0.4)).fingerprint()["reshaped"] == 0.4
    assert "reshaped" not in TrainSettings().fingerprint()  # older run folders still continue


def test_reshaped_characters_stay_legible_to_a_reader_that_never_saw_them() -> None:
    """Reshaping teaches nothing if it turns characters into others: the bundled reader, trained before it
    existed, still reads most reshaped plates (it read 84 % of 200, against 91 % drawn as the fonts draw)."""
    from baytwin.core.ocr.pipeline import PlateReader
    from baytwin.core.ocr.recognizer import MODEL_DIR, Recognizer

    reader = PlateReader(Recognizer(MODEL_DIR / "general_reader.onnx", MODEL_DIR / "general_reader.yaml"))
    plates = [render_world_plate(np.random.default_rng(70_000 + s), held_out_fonts(), reshaped=True) for s in range(100)]
    reads = reader.read_crops([p.image for p in plates])
    assert np.mean([r.plate == p.text for r, p in zip(reads, plates)]) >= 0.72


def test_the_share_of_two_line_plates_follows_its_setting_and_the_default_draws_as_before() -> None:
    """Motorcycle and square plates stack their characters; ``--two-line-plates`` draws more of them for training."""
    from baytwin.sim.ocr_training import AS_DRAWN, TrainSettings, WorldMix, world_sample_lines

    fonts = training_fonts()[:3]
    seeds = range(5_000_000, 5_000_200)
    designs = ("plain", "gradient")  # no stacked design: every two-line plate here is the share's

    def drawn(mix: WorldMix) -> list[tuple[np.ndarray, str, int]]:
        return [world_sample_lines(s, 0.0, fonts, designs=designs, mix=mix) for s in seeds]

    default, stated, more = drawn(AS_DRAWN), drawn(WorldMix(lookalike_pairs=0.0, turned=0.0, two_line=0.15)), \
        drawn(WorldMix(lookalike_pairs=0.0, turned=0.0, two_line=0.6))
    assert all(np.array_equal(a[0], b[0]) and a[1:] == b[1:] for a, b in zip(default, stated))
    share = {name: sum(bool(top) for _, text, top in plates if len(text) >= 3) / sum(len(t) >= 3 for _, t, _ in plates)
             for name, plates in (("default", default), ("more", more))}
    assert 0.07 < share["default"] < 0.25 and 0.45 < share["more"] < 0.75, share
    assert all(0 < top < len(text) for _, text, top in more if top)
    assert TrainSettings(mix=WorldMix(two_line=0.4)).fingerprint()["two_line"] == 0.4
    assert "two_line" not in TrainSettings().fingerprint()  # older run folders still continue


def test_a_share_of_training_crops_is_cut_out_of_rendered_frames_as_a_site_cuts_them() -> None:
    from baytwin.sim.ocr_training import (DETECTOR_CUT_STREAM, TrainSettings, WorldMix, detector_cut_sample,
                                          training_sample)

    seeds = range(3_000_000, 3_000_400)
    cut = [s for s in seeds if np.random.default_rng([s, DETECTOR_CUT_STREAM]).random() < 0.1]
    assert 25 <= len(cut) <= 60  # about a tenth of the seeds
    image, text, top = training_sample(cut[0], WorldMix(detector_cuts=0.1))
    again, same = detector_cut_sample(cut[0])
    assert top == 0 and text == same and np.array_equal(image, again) and image.shape == (48, 160, 3)
    other = next(s for s in seeds if s not in cut)  # every other seed draws what it drew without the share
    assert all(np.array_equal(a, b) for a, b in zip(training_sample(other, WorldMix(detector_cuts=0.1))[:1],
                                                     training_sample(other)[:1]))
    assert TrainSettings(mix=WorldMix(detector_cuts=0.1)).fingerprint()["detector_cuts"] == 0.1
    assert "detector_cuts" not in TrainSettings().fingerprint()  # run folders written before it still continue
