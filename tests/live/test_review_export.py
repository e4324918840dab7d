"""Settled reviews exported as labelled crops that the reader's evaluation takes as they are."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from baytwin.core.events import PlateRead, VehicleArrived
from baytwin.core.ocr.evaluation import evaluate, load_labels
from baytwin.live.review import pending, resolve
from baytwin.live.review_export import export_reviewed
from baytwin.live.site import load_site
from baytwin.sim.imagery.plates import render_plate

from .conftest import T0, open_log, write_site


def _png(plate: str, seed: int) -> bytes:
    rgb = render_plate(plate, "uk", np.random.default_rng(seed)).image
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return encoded.tobytes()


def reviewed_site(tmp_path: Path) -> Path:
    """A site with three marginal reads, settled three ways: confirmed, corrected, rejected."""
    site_file = write_site(tmp_path)
    log = open_log(load_site(site_file))
    reads = [PlateRead(T0 + 1, "garage", "B1", "AB12CDE", 0.7, "review"),
             PlateRead(T0 + 2, "garage", "B2", "KX19PIM", 0.6, "review"),
             PlateRead(T0 + 3, "garage", "B1", "ZZ99ZZZ", 0.55, "review")]
    log.append([VehicleArrived(T0, "garage", "B1"), *reads],
               {1: _png("AB12CDE", 1), 2: _png("KX19PLM", 2), 3: _png("GH68RTY", 3)})
    seqs = [read.seq for read in pending(log, "garage")]
    resolve(log, "garage", seqs[0], "confirmed", None, "alice", T0 + 60)
    resolve(log, "garage", seqs[1], "corrected", "KX19 PLM", "bob", T0 + 61)
    resolve(log, "garage", seqs[2], "rejected", None, "alice", T0 + 62)
    return site_file


def test_confirmed_and_corrected_reads_become_labelled_crops_and_rejected_ones_do_not(tmp_path: Path) -> None:
    site_file = reviewed_site(tmp_path)
    out = tmp_path / "export"
    done = export_reviewed(open_log(load_site(site_file)), "garage", out)
    assert (done.crops, done.rejected, done.erased) == (2, 1, 0)
    rows = list(csv.DictReader(done.labels.open()))
    assert [(r["plate"], r["decision"], r["reviewer"], r["read_as"]) for r in rows] == [
        ("AB12CDE", "confirmed", "alice", "AB12CDE"), ("KX19PLM", "corrected", "bob", "KX19PIM")]
    assert all(r["source"] == "review" and r["decided_at"].startswith("2024-05-29T") for r in rows)
    assert rows[0]["vehicle"] == "AB12CDE" and rows[1]["bay"] == "B2"
    evaluation = evaluate(out, load_labels(done.labels))  # the reader's evaluation takes the folder as it is
    assert [r.error for r in evaluation.reads] == [None, None]
    assert [r.read for r in evaluation.reads] == ["AB12CDE", "KX19PLM"]  # real crops, read by the real reader
