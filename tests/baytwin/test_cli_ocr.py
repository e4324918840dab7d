"""``baytwin ocr generate``, ``read`` and ``eval`` as QA uses them."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from .test_cli import baytwin


def test_generate_writes_images_and_labels(tmp_path: Path) -> None:
    out = tmp_path / "set"
    result = baytwin("ocr", "generate", "--out", str(out), "--n", "4", "--format", "uk", "--degrade", "rain=2,mud=1",
                     "--seed", "5")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "labels.csv").open()))
    assert len(rows) == 4
    assert all(r["format"] == "uk" and r["rain"] == "2" and r["dirt"] == "1" for r in rows)
    assert all((out / r["file"]).is_file() for r in rows)


def test_generate_scenes_records_the_roi(tmp_path: Path) -> None:
    out = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(out), "--n", "2", "--scene").returncode == 0
    rows = list(csv.DictReader((out / "labels.csv").open()))
    assert rows[0]["roi"].startswith("[[")


def test_generate_scenes_from_the_street_and_refuses_a_viewpoint_without_scenes(tmp_path: Path) -> None:
    out = tmp_path / "street"
    assert baytwin("ocr", "generate", "--out", str(out), "--n", "2", "--scene", "--viewpoint", "street").returncode == 0
    assert len(list(csv.DictReader((out / "labels.csv").open()))) == 2
    for args, message in ((["--viewpoint", "street"], "--viewpoint is for --scene frames"),
                          (["--scene", "--viewpoint", "sky"], "--viewpoint 'sky': use bay or street")):
        result = baytwin("ocr", "generate", "--out", str(tmp_path / "x"), "--n", "1", *args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_unknown_degradation_or_severity_is_a_clear_error(tmp_path: Path) -> None:
    for bad, message in (("smog=2", "unknown degradation"), ("rain=7", "severity must be 0-4")):
        result = baytwin("ocr", "generate", "--out", str(tmp_path / "x"), "--degrade", bad)
        assert result.returncode == 2 and message in result.stderr


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    result = baytwin("ocr", "generate", "--out", str(tmp_path / "x"), "--format", "mars")
    assert result.returncode == 2 and "unknown plate format" in result.stderr


def test_read_prints_one_json_object_per_image_and_goes_on_past_a_bad_file(tmp_path: Path) -> None:
    out = tmp_path / "set"
    assert baytwin("ocr", "generate", "--out", str(out), "--n", "3", "--format", "uk").returncode == 0
    (out / "images" / "broken.png").write_bytes(b"\x89PNG not really")
    result = baytwin("ocr", "read", str(out / "images"), "--json")
    assert result.returncode == 1  # one file failed
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 4
    broken = [r for r in records if r["file"].endswith("broken.png")]
    assert broken == [{"file": str(out / "images" / "broken.png"), "error": "not a readable image"}]
    with (out / "labels.csv").open() as f:
        truth = {row["file"].split("/")[-1]: row["plate"] for row in csv.DictReader(f)}
    for record in records:
        if "error" not in record:
            assert set(record) == {"file", "kind", "plate", "confidence", "bbox", "status"} and record["kind"] == "crop"
            assert record["status"] in ("accepted", "review", "unreadable")
            if record["status"] == "accepted":
                assert record["plate"] == truth[Path(record["file"]).name]


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A bay-camera frame with the neighbour's car in view (its plate reads more confidently than the bay's own),
    the same frame scaled down to 640x360, and a plate crop."""
    import cv2
    import numpy as np

    from baytwin.sim.imagery.plates import render_plate
    from baytwin.sim.imagery.scenes import render_scene
    from tests.core.ocr.images import write_rgb

    folder = tmp_path_factory.mktemp("frames")
    scene = render_scene(np.random.default_rng(3), neighbour=True)
    assert scene.neighbour is not None
    write_rgb(folder / "frame.png", scene.image)
    write_rgb(folder / "small.png", cv2.resize(scene.image, (640, 360), interpolation=cv2.INTER_AREA))
    write_rgb(folder / "crop.png", render_plate("AB12CDE", "uk", np.random.default_rng(0)).image)
    neighbour_box = scene.neighbour.corners
    x1, y1 = neighbour_box.min(axis=0) - 30
    x2, y2 = neighbour_box.max(axis=0) + 30
    return {"folder": folder, "own": scene.plate.text, "neighbour": scene.neighbour.text,
            "roi": [[float(x), float(y)] for x, y in scene.roi],
            "neighbour_roi": [[float(x1), float(y1)], [float(x2), float(y1)], [float(x2), float(y2)], [float(x1), float(y2)]]}


def _records(result) -> dict[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    return {Path(r["file"]).name + (f"/{r['bay']}" if "bay" in r else ""): r
            for r in map(json.loads, result.stdout.splitlines())}


def test_a_whole_frame_without_roi_lists_every_plate_and_accepts_none(frames: dict) -> None:  # type: ignore[type-arg]
    folder = frames["folder"]
    result = baytwin("ocr", "read", str(folder / "frame.png"), str(folder / "small.png"), str(folder / "crop.png"), "--json")
    assert result.returncode == 0, result.stderr
    records = _records(result)
    frame = records["frame.png"]
    assert frame["kind"] == "scene" and frame["plate"] is None and frame["status"] == "review"
    assert frame["why"] == "no region of interest: every plate in view reported, none accepted"
    listed = {p["plate"]: p for p in frame["plates"]}
    assert {frames["own"], frames["neighbour"]} <= set(listed)  # the neighbour's reads more confidently here
    assert all(p["status"] != "accepted" and len(p["bbox"]) == 4 for p in listed.values())
    assert records["small.png"]["kind"] == "scene"  # a frame scaled down to 640x360 is still a frame
    assert records["crop.png"]["kind"] == "crop" and records["crop.png"]["plate"] == "AB12CDE"
    text = baytwin("ocr", "read", str(folder / "frame.png"))
    assert frames["neighbour"] in text.stdout and "none accepted" in text.stdout


def test_with_the_bay_roi_only_the_bay_plate_is_read(frames: dict) -> None:  # type: ignore[type-arg]
    roi = ",".join(f"{v:.1f}" for point in frames["roi"] for v in point)
    result = baytwin("ocr", "read", str(frames["folder"] / "frame.png"), "--roi", roi, "--json")
    assert result.returncode == 0, result.stderr
    (record,) = _records(result).values()
    assert record["plate"] == frames["own"] and "why" not in record and "plates" not in record


def test_with_a_site_each_bay_of_the_camera_is_read_in_its_own_roi(frames: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    from tests.live.conftest import write_site

    cameras = f"""cameras:
  pole:
    source: clip.mp4
    bays: {{B1: {json.dumps(frames["roi"])}, B2: {json.dumps(frames["neighbour_roi"])}}}"""
    site = write_site(tmp_path / "site", cameras=cameras)
    result = baytwin("ocr", "read", str(frames["folder"] / "frame.png"), "--site", str(site), "--camera", "pole", "--json")
    assert result.returncode == 0, result.stderr
    records = _records(result)
    assert records["frame.png/B1"]["plate"] == frames["own"]
    assert records["frame.png/B2"]["plate"] == frames["neighbour"]
    unknown = baytwin("ocr", "read", str(frames["folder"] / "frame.png"), "--site", str(site), "--camera", "gate")
    assert unknown.returncode == 2 and "--camera 'gate': not a camera of" in unknown.stderr and "pole" in unknown.stderr


@pytest.mark.parametrize(("roi", "message"), [
    ("1,2,3,4", "needs at least 3 points"),
    ("1,2,3,4,5", "needs at least 3 points"),
    ("1,2,a,4,5,6", "not a list of numbers"),
])
def test_a_bad_roi_is_one_line_and_exit_2(frames: dict, roi: str, message: str) -> None:  # type: ignore[type-arg]
    result = baytwin("ocr", "read", str(frames["folder"] / "frame.png"), "--roi", roi)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_an_roi_outside_the_frame_is_that_files_error_and_the_batch_goes_on(frames: dict) -> None:  # type: ignore[type-arg]
    folder = frames["folder"]
    result = baytwin("ocr", "read", str(folder / "small.png"), str(folder / "frame.png"), "--roi",
                     "700,400,900,400,900,700", "--json")
    assert result.returncode == 1
    records = _records(result)
    assert records["small.png"]["error"] == "the region of interest lies outside the 640x360 frame"
    assert "error" not in records["frame.png"]


def test_an_image_whose_header_claims_a_huge_size_is_one_line_and_the_batch_goes_on(frames: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    from tests.core.ocr.images import write_huge_header_png

    huge = write_huge_header_png(tmp_path / "huge.png")
    result = baytwin("ocr", "read", str(huge), str(frames["folder"] / "crop.png"), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    records = _records(result)
    assert records["huge.png"] == {"file": str(huge), "error": "image too large (100000x100000 px)"}
    assert records["crop.png"]["plate"] == "AB12CDE"
    text = baytwin("ocr", "read", str(huge))
    assert text.stderr.strip() == f"{huge}: error: image too large (100000x100000 px)"


def test_eval_writes_a_report_qa_can_open(tmp_path: Path) -> None:
    data = tmp_path / "set"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "6", "--frames", "2", "--degrade", "fog=2").returncode == 0
    args = ["ocr", "eval", "--images", str(data), "--out", str(tmp_path / "report")]
    if shutil.which("tesseract") or os.environ.get("CI"):
        args += ["--baseline", "tesseract"]
    result = baytwin(*args)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["images"] == 6 and report["voting"]["vehicles"] == 3
    assert [(r["condition"], r["severity"]) for r in report["by_condition"]] == [("fog", 2)]
    if "--baseline" in args:
        assert report["baseline"]["name"] == "tesseract"
        assert "baseline_exact_plate_accuracy" in report["by_condition"][0]
    assert "report written to" in result.stdout
    assert "voting over 3 vehicles" in result.stdout and "accepted" in result.stdout  # what voting does to the gate
    import hashlib

    from baytwin.core.ocr.recognizer import DEFAULT_MODEL

    # what read is on record: the default model differs by CPU, and a figure means nothing without its reader
    assert report["reader"]["model"] == DEFAULT_MODEL.name
    assert report["reader"]["sha256"] == hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()[:16]
    assert report["reader"]["detector"] == "plate_detector.onnx" and f"read with {DEFAULT_MODEL.name}" in result.stdout


def test_eval_without_labels_is_a_clear_error(tmp_path: Path) -> None:
    result = baytwin("ocr", "eval", "--images", str(tmp_path), "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "labels.csv: no such labels file" in result.stderr


def test_video_writes_the_clip_and_its_sidecar(tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    script.write_text("bays: [EV1, EV2]\nduration_s: 3\n"
                      "visits: [{bay: EV1, plate: AB12CDE, arrive_s: -10, leave_s: 20}]\n")
    result = baytwin("ocr", "video", "--script", str(script), "--out", str(tmp_path / "out"), "--fps", "2",
                     "--size", "640x360")
    assert result.returncode == 0, result.stderr
    import yaml

    sidecar = yaml.safe_load((tmp_path / "out" / "bay-camera.yaml").read_text())
    assert sidecar["frames"] == 6 and sidecar["size"] == [640, 360] and set(sidecar["bays"]) == {"EV1", "EV2"}
    assert (tmp_path / "out" / "bay-camera.mp4").stat().st_size > 0


def test_video_with_a_broken_script_is_one_line_and_exit_2(tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    script.write_text("bays: [EV1, EV2]\nvisits: [{bay: EV3, plate: AB12CDE, arrive_s: 0, leave_s: 20}]\n")
    result = baytwin("ocr", "video", "--script", str(script), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "visits.0.bay: unknown bay 'EV3'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_brought_model_is_read_with_its_own_config_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    from baytwin.core.ocr.recognizer import DEFAULT_CONFIG, DEFAULT_MODEL

    data = tmp_path / "set"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "4", "--format", "fr", "--seed", "5").returncode == 0
    brought = tmp_path / "candidate" / "site_reader.onnx"
    brought.parent.mkdir()
    shutil.copy(DEFAULT_MODEL, brought)
    shutil.copy(DEFAULT_CONFIG, brought.with_suffix(".yaml"))
    bundled = baytwin("ocr", "read", str(data / "images"), "--json").stdout
    assert baytwin("ocr", "read", str(data / "images"), "--json", "--model", str(brought)).stdout == bundled
    brought.with_suffix(".yaml").unlink()
    missing = baytwin("ocr", "eval", "--images", str(data), "--out", str(tmp_path / "r"), "--model", str(brought))
    assert missing.returncode == 2 and "site_reader.yaml does not exist" in missing.stderr
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    shutil.copy(DEFAULT_CONFIG, broken.with_suffix(".yaml"))
    refused = baytwin("ocr", "read", str(data / "images"), "--model", str(broken))
    assert refused.returncode == 2 and "cannot load the model" in refused.stderr


def test_train_refuses_missing_weights_to_fine_tune_before_any_work(tmp_path: Path) -> None:
    result = baytwin("ocr", "train", "--init", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "m.onnx"))
    assert result.returncode == 2 and "missing.pt: no such file" in result.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_train_refuses_weights_that_are_not_the_recognizers_before_rendering(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    wrong = tmp_path / "notes.pt"
    wrong.write_text("these are not weights")
    # 10 million crops would take hours to render: the refusal must come first
    result = baytwin("ocr", "train", "--init", str(wrong), "--samples", "10000000", "--out", str(tmp_path / "m.onnx"))
    assert result.returncode == 2 and "notes.pt: not weights of this recognizer" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "m.onnx").exists()


def test_train_refuses_bad_widths_and_a_teacher_that_is_not_a_reader_before_rendering(tmp_path: Path) -> None:
    for widths, said in (("24,32", "four channel counts"), ("24,x,64,64", "four whole numbers")):
        result = baytwin("ocr", "train", "--widths", widths, "--out", str(tmp_path / "m.onnx"))
        assert result.returncode == 2 and f"--widths '{widths}': {said}" in result.stderr
    result = baytwin("ocr", "train", "--teacher", str(tmp_path / "gone.pt"), "--out", str(tmp_path / "m.onnx"))
    assert result.returncode == 2 and "--teacher" in result.stderr and "gone.pt: no such file" in result.stderr
    pytest.importorskip("torch")
    wrong = tmp_path / "notes.pt"
    wrong.write_text("these are not weights")
    result = baytwin("ocr", "train", "--teacher", str(wrong), "--samples", "10000000", "--out", str(tmp_path / "m.onnx"))
    assert result.returncode == 2 and "notes.pt: not weights of this recognizer" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "m.onnx").exists()


def test_eval_on_frames_says_what_reading_them_without_their_roi_would_cost(tmp_path: Path) -> None:
    data = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "4", "--scene", "--seed", "7").returncode == 0
    result = baytwin("ocr", "eval", "--images", str(data), "--out", str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["without_roi"]["frames"] == 4 and report["without_roi"]["accepted_share"] == 0.0
    assert "4 frames read without their ROI" in result.stdout and "with the ROI" in result.stdout


def test_calibrate_writes_the_models_threshold_and_refuses_too_few_images(tmp_path: Path) -> None:
    import yaml

    from baytwin.core.ocr.recognizer import DEFAULT_CONFIG, DEFAULT_MODEL
    from baytwin.sim.imagery.dataset import generate

    model = tmp_path / "reader.onnx"
    shutil.copy(DEFAULT_MODEL, model)
    shutil.copy(DEFAULT_CONFIG, model.with_suffix(".yaml"))
    generate(tmp_path / "few", 20, seed=4)
    few = baytwin("ocr", "calibrate", "--images", str(tmp_path / "few"), "--model", str(model))
    assert few.returncode == 2 and "20 labelled images; calibration needs at least 200" in few.stderr
    assert few.stderr.strip().count("\n") == 0
    generate(tmp_path / "set", 250, seed=21, random_degradations=True)
    result = baytwin("ocr", "calibrate", "--images", str(tmp_path / "set"), "--model", str(model),
                     "--max-wrong-accepted", "0.005")
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load(model.with_suffix(".yaml").read_text())
    assert f"threshold {written['accept_threshold']:.3f} on 250 images" in result.stdout
    assert "accepted" in result.stdout and "wrong yet accepted" in result.stdout
    assert written["calibrated_on"]["images"] == 250 and written["calibrated_on"]["wrong_accepted"] <= 0.005
    assert f"review floor {written['review_threshold']:.3f}" in result.stdout
    assert 0.0 <= written["review_threshold"] <= written["accept_threshold"]


def test_read_and_eval_take_a_brought_detector_and_eval_reports_its_recall(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    import numpy as np

    from tests.core.ocr.images import write_yolo_detector

    data = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "2", "--scene", "--seed", "7").returncode == 0
    detector = write_yolo_detector(tmp_path / "det" / "plates.onnx", np.array([[320, 180, 60, 16, 0.9]], np.float32))
    read = baytwin("ocr", "read", str(data / "images"), "--json", "--detector", str(detector))
    assert read.returncode == 0, read.stderr
    result = baytwin("ocr", "eval", "--images", str(data), "--out", str(tmp_path / "report"), "--detector", str(detector))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["detection"]["images"] == 2 and report["detection"]["iou_threshold"] == 0.3
    assert "exact_plate_accuracy" in report and "without_roi" in report  # the reader's figures stay
    assert "detection recall (IoU > 0.3)" in result.stdout


def test_eval_on_scenes_detects_with_the_learned_detector_unless_told_classical(tmp_path: Path) -> None:
    data = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "2", "--scene", "--seed", "9191").returncode == 0
    recall = {}
    for name, extra in (("learned", []), ("classical", ["--detector", "classical"])):
        result = baytwin("ocr", "eval", "--images", str(data), "--out", str(tmp_path / name), *extra)
        assert result.returncode == 0, result.stderr
        recall[name] = json.loads((tmp_path / name / "report.json").read_text())["detection"]
    # the classical detector takes a bay frame's lamps and grilles for plates; the learned one rarely does
    assert recall["learned"]["false_per_image"] < recall["classical"]["false_per_image"]


@pytest.mark.parametrize("command", ["read", "eval"])
def test_a_missing_or_broken_detector_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    args = ["ocr", "read", str(tmp_path)] if command == "read" else ["ocr", "eval", "--images", str(tmp_path),
                                                                     "--out", str(tmp_path / "r")]
    missing = baytwin(*args, "--detector", str(tmp_path / "gone.onnx"))
    assert missing.returncode == 2 and "--detector" in missing.stderr and "gone.onnx: no such file" in missing.stderr
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    refused = baytwin(*args, "--detector", str(broken))
    assert refused.returncode == 2 and "cannot load the detector" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


def test_a_small_photo_of_a_car_is_read_as_a_scene_not_a_crop(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from baytwin.sim.imagery.scenes import render_scene

    photo = cv2.resize(render_scene(np.random.default_rng(4)).image, (320, 180), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(tmp_path / "car.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    result = baytwin("ocr", "read", str(tmp_path / "car.png"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "scene"


def test_a_crop_stays_a_crop_whatever_a_brought_detector_finds_in_it(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    import numpy as np

    from tests.core.ocr.images import write_yolo_detector

    data = tmp_path / "set"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "2", "--format", "fr", "--seed", "5").returncode == 0
    small_find = write_yolo_detector(tmp_path / "d.onnx", np.array([[40, 20, 30, 8, 0.9]], np.float32))
    result = baytwin("ocr", "read", str(data / "images"), "--json", "--detector", str(small_find))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["kind"] for line in result.stdout.splitlines()] == ["crop", "crop"]


def test_train_detector_refuses_a_scene_folder_without_labels_and_a_model_name_without_onnx(tmp_path: Path) -> None:
    no_labels = baytwin("ocr", "train-detector", "--scenes", str(tmp_path), "--out", str(tmp_path / "d.onnx"))
    assert no_labels.returncode == 2 and "no labels.csv there" in no_labels.stderr
    bad_name = baytwin("ocr", "train-detector", "--out", str(tmp_path / "detector"))
    assert bad_name.returncode == 2 and "ending in .onnx" in bad_name.stderr
    assert not list(tmp_path.glob("*.onnx"))


def test_train_detector_writes_a_model_read_and_eval_use(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    model = tmp_path / "det" / "plates.onnx"
    trained = baytwin("ocr", "train-detector", "--samples", "2", "--epochs", "1", "--workers", "1", "--out", str(model))
    assert trained.returncode == 0, trained.stderr
    assert model.is_file() and model.with_suffix(".yaml").is_file() and model.with_suffix(".pt").is_file()
    data = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "1", "--scene", "--seed", "7").returncode == 0
    result = baytwin("ocr", "eval", "--images", str(data), "--out", str(tmp_path / "report"), "--detector", str(model))
    assert result.returncode == 0, result.stderr


def test_a_frame_whose_plate_cannot_be_read_says_so_rather_than_no_plate_in_view(tmp_path: Path) -> None:
    """A detector that found a plate and a reader that could not read it ask for other fixes than a frame
    with no plate in it: the camera's focus or the plate's state, not the camera's aim."""
    import cv2
    import numpy as np

    from baytwin.sim.imagery.scenes import render_scene
    from tests.core.ocr.images import write_rgb

    scene = render_scene(np.random.default_rng(4))
    image = scene.image.copy()
    (x1, y1), (x2, y2) = scene.plate.corners.min(axis=0).astype(int), scene.plate.corners.max(axis=0).astype(int)
    image[y1:y2, x1:x2] = cv2.blur(image[y1:y2, x1:x2], (max(3, (x2 - x1) // 3), 1))  # characters smeared away
    write_rgb(tmp_path / "smeared.png", image)
    write_rgb(tmp_path / "empty.png", np.full((720, 1280, 3), 90, np.uint8))
    result = baytwin("ocr", "read", str(tmp_path / "smeared.png"), str(tmp_path / "empty.png"), "--kind", "scene",
                     "--json")
    assert result.returncode == 0, result.stderr
    records = _records(result)
    assert records["smeared.png"]["plates"] == [] and records["smeared.png"]["candidates"] >= 1
    assert records["empty.png"]["plates"] == [] and records["empty.png"]["candidates"] == 0
    text = baytwin("ocr", "read", str(tmp_path / "smeared.png"), str(tmp_path / "empty.png"), "--kind", "scene")
    lines = {Path(line.split(":")[0]).name: line for line in text.stdout.splitlines()}
    assert "no readable plate" in lines["smeared.png"] and "no plate in view" in lines["empty.png"]


def test_eval_reads_whole_car_photos_labelled_with_their_plate_alone_as_photos(tmp_path: Path) -> None:
    # most real data sets are photos of cars named by their plate's text: no ROI, no corners
    data = tmp_path / "scenes"
    assert baytwin("ocr", "generate", "--out", str(data), "--n", "4", "--scene", "--seed", "7").returncode == 0
    rows = list(csv.DictReader((data / "labels.csv").open()))
    with (data / "plates.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "plate"])
        writer.writerows([row["file"], row["plate"]] for row in rows)
    reports = {}
    for kind in ("auto", "crop"):
        result = baytwin("ocr", "eval", "--images", str(data), "--labels", str(data / "plates.csv"),
                         "--out", str(tmp_path / kind), "--kind", kind)
        assert result.returncode == 0, result.stderr
        reports[kind] = json.loads((tmp_path / kind / "report.json").read_text())
    assert reports["auto"]["read_as"] == {"photo": 4} and reports["crop"]["read_as"] == {"crop": 4}
    assert reports["auto"]["exact_plate_accuracy"] >= 0.5  # squashed into the reader as crops, they read nothing
    assert reports["crop"]["exact_plate_accuracy"] == 0.0
    assert reports["auto"]["dangerous_read_rate"] == 0.0
    reads = list(csv.DictReader((tmp_path / "auto" / "reads.csv").open()))
    assert {r["read_as"] for r in reads} == {"photo"}
    with (data / "one_car.csv").open("w", newline="") as f:  # labelled as photos of one vehicle: each is scored alone
        writer = csv.writer(f)
        writer.writerow(["file", "plate", "vehicle"])
        writer.writerows([row["file"], rows[0]["plate"], "car"] for row in rows[:2])
    result = baytwin("ocr", "eval", "--images", str(data), "--labels", str(data / "one_car.csv"), "--out", str(tmp_path / "one"))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "one" / "report.json").read_text())["voting"]["vehicles"] == 0
    bad = baytwin("ocr", "eval", "--images", str(data), "--out", str(tmp_path / "r"), "--kind", "photos")
    assert bad.returncode == 2 and "--kind 'photos': use auto, crop or scene" in bad.stderr


def test_quantize_writes_an_8_bit_model_that_reads_and_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    crops = tmp_path / "site-crops"
    assert baytwin("ocr", "generate", "--out", str(crops), "--n", "60", "--renderer", "world", "--seed", "8").returncode == 0
    (crops / "images" / "broken.png").write_bytes(b"\x89PNG not really")
    out = tmp_path / "site" / "reader_int8.onnx"
    made = baytwin("ocr", "quantize", "--images", str(crops), "--out", str(out), "--samples", "61")
    assert made.returncode == 0, made.stderr
    assert "broken.png: not a readable image; skipped" in made.stderr and "Traceback" not in made.stderr
    assert "ranges measured on 60 crops" in made.stdout and "ocr calibrate" in made.stdout
    import yaml

    assert yaml.safe_load(out.with_suffix(".yaml").read_text())["quantized"]["crops"] == 60
    read = baytwin("ocr", "eval", "--images", str(crops), "--out", str(tmp_path / "r"), "--model", str(out))
    assert read.returncode == 0, read.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["exact_plate_accuracy"] >= 0.75 and report["reader"]["model"] == "reader_int8.onnx"
    for args, message in ((["--out", str(tmp_path / "m.bin")], "name the model file, ending in .onnx"),
                          (["--out", str(out), "--images", str(tmp_path / "none")], "none: no such folder"),
                          (["--out", str(out), "--images", str(tmp_path / "site")], "no readable images"),
                          (["--out", str(out), "--model", str(out)], "would overwrite the model it is made from")):
        refused = baytwin("ocr", "quantize", *args, "--samples", "50")
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr
