"""The OCR QA page on an evaluation of real generated, degraded plate images."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

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


def test_condition_and_confusion_tables_are_the_csv_files(page: AppTest, ocr_dir: Path) -> None:
    by_condition = page.dataframe[0].value
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
