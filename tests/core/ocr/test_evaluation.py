"""Measuring the reader on labelled images: the figures QA decides from, and bad input that loses nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from baytwin.core.ocr.eval_report import write_report
from baytwin.core.ocr.evaluation import LabelsProblem, char_accuracy, condition_table, confusions, evaluate, load_labels
from baytwin.core.ocr.gate import ConfidenceGate
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.sim.imagery.dataset import generate


@pytest.fixture(scope="module")
def crop_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crops")
    generate(out, 24, seed=11, random_degradations=True, frames=3)
    return out


def test_character_accuracy_counts_edits_against_the_truth() -> None:
    assert char_accuracy("AB12CDE", "AB12CDE") == 1.0
    assert char_accuracy("AB12CDE", "AB12CD") == pytest.approx(6 / 7)  # one missed
    assert char_accuracy("AB12CDE", "A812CDE") == pytest.approx(6 / 7)  # one swapped
    assert char_accuracy("AB12CDE", None) == 0.0
    assert char_accuracy("AB", "XYZWV") == 0.0


def test_confusions_pair_the_true_and_read_characters(crop_set: Path) -> None:
    images = load_labels(crop_set / "labels.csv")
    evaluation = evaluate(crop_set, images)
    for item in evaluation.reads:  # make two known mistakes
        if item.image.plate == evaluation.reads[0].image.plate:
            item.read = "0" + item.image.plate[1:] if item.image.plate[0] != "0" else "O" + item.image.plate[1:]
    pairs = confusions(evaluation.reads)
    first = evaluation.reads[0].image.plate[0]
    assert pairs[(first, "0" if first != "0" else "O")] >= 3  # the vehicle's three frames


def test_report_has_every_figure_and_file(crop_set: Path, tmp_path: Path) -> None:
    evaluation = evaluate(crop_set, load_labels(crop_set / "labels.csv"))
    report = write_report(evaluation, tmp_path)
    for name in ("report.json", "by_condition.csv", "reads.csv", "confusions.csv", "accuracy_by_condition.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert json.loads((tmp_path / "report.json").read_text()) == report
    assert report["images"] == 24 and report["errors"] == []
    reads = list(csv.DictReader((tmp_path / "reads.csv").open()))
    truth_right = sum(r["read"] == r["truth"] for r in reads) / len(reads)
    assert report["exact_plate_accuracy"] == pytest.approx(truth_right, abs=1e-4)
    assert report["voting"]["vehicles"] == 8
    assert report["speed"]["crops"] == 24 and report["speed"]["crops_per_second"] > 0
    cells = {(r["condition"], r["severity"]) for r in report["by_condition"]}
    with (crop_set / "labels.csv").open() as f:
        applied = {(k, int(v)) for row in csv.DictReader(f) for k, v in row.items()
                   if k in ("rain", "fog", "noise", "jpeg") and v != "0"}
    assert applied <= cells
    wrong = sum(r["read"] != r["truth"] for r in reads)
    assert len(list((tmp_path / "misreads").glob("*.png"))) == wrong


def test_each_condition_reports_how_its_vehicles_read_once_their_frames_are_voted(crop_set: Path) -> None:
    evaluation = evaluate(crop_set, load_labels(crop_set / "labels.csv"))
    voted_right = {v for v, vehicle in evaluation.voted.items() if vehicle.correct}
    for row in condition_table(evaluation):
        vehicles = {r.image.vehicle for r in evaluation.reads
                    if (row["condition"], row["severity"]) in r.image.conditions}
        assert row["voted_vehicles"] == len(vehicles)  # three frames each, all voted
        assert row["voted_accuracy"] == pytest.approx(len(vehicles & voted_right) / len(vehicles), abs=1e-4)


def test_wrong_reads_that_pass_the_gate_are_counted_as_dangerous(crop_set: Path) -> None:
    images = load_labels(crop_set / "labels.csv")
    lax = PlateReader(gate=ConfidenceGate(accept_at=0.0, review_from=0.0))
    evaluation = evaluate(crop_set, images, lax)
    wrong = [r for r in evaluation.reads if not r.correct and r.read]
    from baytwin.core.ocr.evaluation import summarize

    assert summarize(evaluation)["dangerous_reads"] == len(wrong)
    strict = evaluate(crop_set, images, PlateReader(gate=ConfidenceGate(accept_at=1.0, review_from=0.5)))
    assert summarize(strict)["dangerous_reads"] == 0


def test_a_corrupt_or_missing_image_is_an_error_row_and_the_rest_is_read(crop_set: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader((crop_set / "labels.csv").open()))
    (tmp_path / "images").mkdir()
    for row in rows[:3]:
        (tmp_path / row["file"]).write_bytes((crop_set / row["file"]).read_bytes())
    (tmp_path / rows[1]["file"]).write_bytes(b"not an image")
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:4])  # the fourth file is missing
    evaluation = evaluate(tmp_path, load_labels(tmp_path / "labels.csv"))
    errors = {r.image.file: r.error for r in evaluation.reads if r.error}
    assert errors == {rows[1]["file"]: "not a readable image", rows[3]["file"]: "no such file"}
    assert sum(r.error is None for r in evaluation.reads) == 2


@pytest.mark.parametrize(("content", "message"), [
    ("file,format\na.png,uk\n", "column 'plate' is missing"),
    ("file,plate,rain\na.png,AB12CDE,7\n", "row 2, column 'rain': 7 is not a severity 0-4"),
    ("file,plate,rain\na.png,AB12CDE,heavy\n", "row 2, column 'rain': 'heavy' is not a severity 0-4"),
    ("file,plate,roi\na.png,AB12CDE,[[1\n", "row 2, column 'roi'"),
    ("file,plate\na.png,\n", "row 2: 'file' and 'plate' must not be empty"),
    ("file,plate\na.png,--\n", "row 2, column 'plate': '--' has no letters or digits"),
])
def test_bad_labels_name_the_file_row_and_column(tmp_path: Path, content: str, message: str) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(content)
    with pytest.raises(LabelsProblem, match=r"labels\.csv: .*" + message.replace("[", r"\[").replace("(", r"\(")):
        load_labels(labels)


def test_plates_labelled_with_spaces_dashes_or_small_letters_are_scored_as_the_reader_writes_them(
        crop_set: Path, tmp_path: Path) -> None:
    with (crop_set / "labels.csv").open() as f:
        rows = list(csv.DictReader(f))
    for row in rows:  # "AB12CDE" written as a person might: "ab 12-cde"
        plate = row["plate"]
        row["plate"] = f"{plate[:2].lower()} {plate[2:4]}-{plate[4:].lower()}"
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    written = load_labels(tmp_path / "labels.csv")
    clean = load_labels(crop_set / "labels.csv")
    assert [i.plate for i in written] == [i.plate for i in clean]
    reader = PlateReader()
    assert [r.correct for r in evaluate(crop_set, written, reader).reads] == \
        [r.correct for r in evaluate(crop_set, clean, reader).reads]


def test_missing_labels_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LabelsProblem, match="no such labels file"):
        load_labels(tmp_path / "labels.csv")


@pytest.fixture(scope="module")
def scene_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenes")
    generate(out, 12, scenes=True, seed=7)
    return out


def test_frames_are_also_scored_without_their_roi_where_the_neighbours_plate_is_dangerous(scene_set: Path) -> None:
    from baytwin.core.ocr.evaluation import summarize

    evaluation = evaluate(scene_set, load_labels(scene_set / "labels.csv"))
    whole = summarize(evaluation)["without_roi"]
    assert isinstance(whole, dict)
    with (scene_set / "labels.csv").open() as f:
        neighbours = sum(bool(row["neighbour_plate"]) for row in csv.DictReader(f))
    assert whole["frames"] == 12 and whole["frames_with_neighbour"] == neighbours > 0
    assert whole["accepted_share"] == 0.0  # without an ROI nothing is accepted
    items = [r.whole_frame for r in evaluation.reads]
    neighbour_accepted = sum(w.gate_status == "accepted" and w.read == r.image.neighbour_plate
                             for r, w in zip(evaluation.reads, items))
    assert whole["neighbour_dangerous_rate"] == pytest.approx(neighbour_accepted / 12, abs=1e-4)
    assert whole["dangerous_read_rate"] >= whole["neighbour_dangerous_rate"]
    # measured on these 12 frames: the neighbour's plate is the most confident in 2 and would have been accepted
    assert neighbour_accepted >= 1
    assert whole["with_roi"]["dangerous_read_rate"] == 0.0


def test_font_and_design_are_descriptions_with_figures_of_their_own(crop_set: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader((crop_set / "labels.csv").open()))
    for i, row in enumerate(rows):
        row["font"] = "Go Mono" if i % 2 else "B612"
        row["design"] = "uk_rear" if i % 3 else "eu_band"
        row["country"], row["severity"] = ("AR" if i % 4 else "BR"), "0"  # real sets name the country
    with (tmp_path / "labels.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "images").symlink_to(crop_set / "images")
    images = load_labels(tmp_path / "labels.csv")
    assert all(not {"font", "design", "country", "severity"} & set(im.severities) for im in images)
    report = write_report(evaluate(tmp_path, images), tmp_path / "report")
    fonts = {row["font"]: row for row in report["by_font"]}  # type: ignore[union-attr]
    assert set(fonts) == {"B612", "Go Mono"} and sum(r["images"] for r in fonts.values()) == 24
    assert set(fonts["B612"]) == {"font", "images", "exact_plate_accuracy", "accepted_share", "dangerous_read_rate"}
    assert {row["design"] for row in report["by_design"]} == {"uk_rear", "eu_band"}  # type: ignore[union-attr]
    written = list(csv.DictReader((tmp_path / "report" / "by_font.csv").open()))
    assert {r["font"] for r in written} == {"B612", "Go Mono"}
    assert (tmp_path / "report" / "by_design.csv").is_file()
    assert {row["country"] for row in report["by_country"]} == {"AR", "BR"}  # type: ignore[union-attr]
    assert "by_font" not in write_report(evaluate(crop_set, load_labels(crop_set / "labels.csv")), tmp_path / "plain")


def test_ind_columns_are_conditions_like_any_degradation(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,plate,font,ind_ink_bleed,ind_stencil\na.png,AB12CDE,B612,2,0\nb.png,AB12CDF,B612,0,0\n")
    first, second = load_labels(labels)
    assert first.severities == {"ind_ink_bleed": 2} and first.conditions == [("ind_ink_bleed", 2)]
    assert second.conditions == [("clean", 0)] and first.font == "B612"
    labels.write_text("file,plate,ind_ink_bleed\na.png,AB12CDE,5\n")
    with pytest.raises(LabelsProblem, match="column 'ind_ink_bleed': 5 is not a severity 0-4"):
        load_labels(labels)


def test_an_image_claiming_a_huge_size_is_an_error_row(crop_set: Path, tmp_path: Path) -> None:
    from .images import write_huge_header_png

    row = next(csv.DictReader((crop_set / "labels.csv").open()))
    (tmp_path / "images").mkdir()
    (tmp_path / row["file"]).write_bytes((crop_set / row["file"]).read_bytes())
    write_huge_header_png(tmp_path / "images" / "huge.png")
    (tmp_path / "labels.csv").write_text(f"file,plate\n{row['file']},{row['plate']}\nimages/huge.png,AB12CDE\n")
    evaluation = evaluate(tmp_path, load_labels(tmp_path / "labels.csv"))
    assert [r.error for r in evaluation.reads] == [None, "image too large (100000x100000 px)"]


def test_frames_with_labelled_corners_also_say_what_the_reader_alone_reads_there(scene_set: Path, crop_set: Path) -> None:
    from baytwin.core.ocr.evaluation import summarize

    evaluation = evaluate(scene_set, load_labels(scene_set / "labels.csv"))
    report = summarize(evaluation)
    cut = report["at_labelled_corners"]
    assert isinstance(cut, dict) and cut["plates"] == 12
    right = sum(r.at_corners is not None and r.at_corners[0] == r.image.plate for r in evaluation.reads)
    assert cut["exact_plate_accuracy"] == pytest.approx(right / 12, abs=1e-4)
    # measured on these 12 frames: 11 read right at the labelled corners, 9 end to end
    assert right >= 10 and cut["exact_plate_accuracy"] >= report["exact_plate_accuracy"]  # type: ignore[operator]
    assert cut["dangerous_read_rate"] == 0.0
    assert "at_labelled_corners" not in summarize(evaluate(crop_set, load_labels(crop_set / "labels.csv")))


def test_a_corner_that_is_not_a_number_names_its_row(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("file,plate,x1,y1,x2,y2,x3,y3,x4,y4\na.png,AB12CDE,1,2,3,4,5,6,7,x\n")
    with pytest.raises(LabelsProblem, match=r"labels.csv: row 2: plate corners x1..y4 must be numbers"):
        load_labels(tmp_path / "labels.csv")
