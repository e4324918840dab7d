"""The OCR QA page on an evaluation of real generated, degraded plate images."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from scipy.stats import binomtest

from tests.dashboards.conftest import PAGES

PAGE = PAGES / "3_OCR_QA.py"


@pytest.fixture
def page(dashboard_env: Path) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="evaluation").value == "ocr/mixed"
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_headline_and_voting_figures_are_the_reports(page: AppTest, ocr_dir: Path) -> None:
    report = json.loads((ocr_dir / "report.json").read_text())
    shown = metrics(page)
    assert shown["Images"] == str(report["images"])
    assert shown["Exact plate"] == f"{report['exact_plate_accuracy']:.1%}"
    assert shown["Characters"] == f"{report['char_accuracy']:.1%}"
    assert shown["Dangerous reads"] == str(report["dangerous_reads"])
    voting = report["voting"]
    assert voting["vehicles"] == 12  # 36 images, 3 frames per vehicle
    assert shown["Vehicles"] == "12"
    assert shown["Single frame"] == f"{voting['single_frame_accuracy']:.1%}"
    assert shown["Voted"] == f"{voting['voted_accuracy']:.1%}"
    assert shown["Voting gain"] == f"{voting['gain'] * 100:+.1f} points"
    assert shown["Accepted, voted"] == f"{voting['voted_accepted_share']:.1%}"
    assert shown["Dangerous, single frame"] == f"{voting['single_frame_dangerous_rate']:.1%}"
    reader = report["reader"]  # which model measured these figures
    assert any(f"Read with {reader['model']} (sha256 {reader['sha256']}" in c.value for c in page.caption)


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if set(columns) <= set(frame.value.columns))


def test_condition_and_confusion_tables_are_the_csv_files(page: AppTest, ocr_dir: Path) -> None:
    by_condition = table_with(page, "condition", "exact_plate_accuracy")
    expected = pd.read_csv(ocr_dir / "by_condition.csv")
    assert list(by_condition.condition) == list(expected.condition)
    assert by_condition.exact_plate_accuracy.tolist() == pytest.approx(expected.exact_plate_accuracy.tolist())
    confusions = pd.read_csv(ocr_dir / "confusions.csv", dtype=str, keep_default_na=False)
    if len(confusions):
        shown = page.dataframe[-1].value
        assert sorted(zip(shown.truth, shown.read, shown["count"].astype(int))) == \
            sorted(zip(confusions.truth, confusions.read, confusions["count"].astype(int)))


def test_gallery_shows_every_misread_crop_with_truth_and_read(page: AppTest, ocr_dir: Path) -> None:
    crops = sorted((ocr_dir / "misreads").glob("*.png"))
    assert crops, "the degraded set should have misreads"
    captions = sorted(caption for image in page.get("image") for caption in image.captions)
    expected = []
    for crop in crops:
        truth, read = crop.stem.split("_")[1], crop.stem.split("_read_")[1].rsplit("_", 1)[0]
        expected.append(f"truth {truth} · read {'—' if read == 'none' else read}")
    assert len(captions) == len(crops)
    assert [c.rsplit(" · ", 1)[0] for c in captions] == sorted(expected)


def test_dangerous_reads_are_the_wrong_accepted_ones(page: AppTest, ocr_dir: Path) -> None:
    reads = pd.read_csv(ocr_dir / "reads.csv", dtype={"truth": str, "read": str})
    dangerous = reads[(reads.status == "accepted") & ~reads.correct]
    report = json.loads((ocr_dir / "report.json").read_text())
    assert len(dangerous) == report["dangerous_reads"]
    if dangerous.empty:
        assert "No wrong read passed the confidence gate." in [s.value for s in page.success]
    else:
        assert any(set(df.value.get("file", [])) == set(dangerous.file) for df in page.dataframe)
    page.checkbox(key="dangerous_only").check().run()
    assert sum(len(image.captions) for image in page.get("image")) == len(dangerous)


def test_the_heatmap_can_show_accuracy_after_voting(page: AppTest, ocr_dir: Path) -> None:
    measure = page.selectbox(key="grid_metric")
    assert "voted_accuracy" in measure.options  # the set has 3 frames per vehicle
    measure.set_value("voted_accuracy").run()
    assert not page.exception, page.exception
    expected = pd.read_csv(ocr_dir / "by_condition.csv")
    assert expected.voted_accuracy.notna().all() and (expected.voted_vehicles > 0).all()


def wilson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return ci.low, ci.high


def test_dangerous_reads_come_with_the_upper_bound_qa_can_sign(page: AppTest, ocr_dir: Path) -> None:
    report = json.loads((ocr_dir / "report.json").read_text())
    k, n = report["dangerous_reads"], report["images"]
    low, high = wilson(k, n)
    text = " ".join(m.value for m in page.markdown)
    digits = 2 if high < 0.1 else 1
    assert f"**Dangerous reads:** {k} of {n} = {k / n:.{digits}%} (95 % CI {low * 100:.{digits}f}–" \
           f"{high * 100:.{digits}f} %)" in text
    assert high > 0.05  # 36 images cannot promise fewer than one dangerous read in twenty


def test_every_headline_rate_has_its_wilson_interval(page: AppTest, ocr_dir: Path) -> None:
    report = json.loads((ocr_dir / "report.json").read_text())
    row = table_with(page, "exact plate 95% CI low").iloc[0]
    low, high = wilson(round(report["exact_plate_accuracy"] * report["images"]), report["images"])
    assert row["images"] == report["images"]
    assert row["exact plate 95% CI low"] == f"{low:.1%}" and row["exact plate 95% CI high"] == f"{high:.1%}"


def test_two_evaluations_and_the_baseline_side_by_side(page: AppTest, ocr_dir: Path, world_ocr_dir: Path) -> None:
    page.selectbox(key="other").set_value("ocr/world").run()
    assert not page.exception, page.exception
    side = table_with(page, "evaluation", "reader")
    world = json.loads((world_ocr_dir / "report.json").read_text())
    readers = list(zip(side.evaluation, side.reader))
    assert readers[:2] == [("ocr/mixed", "model"), ("ocr/world", "model")]
    if world.get("baseline"):
        assert ("ocr/world", f"baseline: {world['baseline']['name']}") in readers
        baseline_row = side[side.reader.str.startswith("baseline")].iloc[0]
        assert baseline_row["exact plate"] == f"{world['baseline']['exact_plate_accuracy']:.1%}"
    both = table_with(page, "value ocr/mixed", "value ocr/world")
    mixed = pd.read_csv(ocr_dir / "by_condition.csv")
    clean = both[(both.condition == "clean") & (both.severity == 0)].iloc[0]
    expected = mixed[(mixed.condition == "clean") & (mixed.severity == 0)].iloc[0]
    assert clean["n ocr/mixed"] == expected.images
    assert clean["value ocr/mixed"] == pytest.approx(expected.exact_plate_accuracy)


def test_rates_by_font_carry_counts_and_intervals(dashboard_env: Path, world_ocr_dir: Path) -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.selectbox(key="evaluation").set_value("ocr/world").run()
    assert not at.exception, at.exception
    assert at.radio(key="group").options[:2] == ["font", "design"]
    by_font = table_with(at, "font", "ci_low")
    expected = pd.read_csv(world_ocr_dir / "by_font.csv")
    assert list(by_font.font) == list(expected.font)
    for row, truth in zip(by_font.itertuples(), expected.itertuples()):
        low, high = wilson(round(truth.exact_plate_accuracy * truth.images), truth.images)
        assert (row.n, row.ci_low, row.ci_high) == (truth.images, pytest.approx(low), pytest.approx(high))


def test_the_gallery_filters_by_status_and_plate(page: AppTest, ocr_dir: Path) -> None:
    crops = sorted((ocr_dir / "misreads").glob("*.png"))
    truth = crops[0].stem.split("_")[1]
    page.text_input(key="gallery_text").set_value(truth[:4]).run()
    captions = [c for image in page.get("image") for c in image.captions]
    assert captions and all(truth[:4] in c for c in captions)
    page.multiselect(key="gallery_status").set_value([]).run()
    assert not page.get("image")
