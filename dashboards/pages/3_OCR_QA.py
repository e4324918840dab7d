"""OCR QA: plate-reading accuracy by degradation and severity, the voting gain, dangerous reads
(wrong and still accepted), character confusions and the misread crops."""

from __future__ import annotations

import streamlit as st

from baytwin.dashboards.charts import condition_heatmap, confusion_bars
from baytwin.dashboards.data import (
    OCR_GRID_METRICS,
    DataProblem,
    condition_grid,
    confusion_pairs,
    dangerous_reads,
    read_ocr_eval,
)
from baytwin.dashboards.ui import found_under, page_setup, show_table

GALLERY_COLUMNS = 4


def percent(value: object) -> str:
    return f"{float(value):.1%}" if isinstance(value, (int, float)) else "–"


settings = page_setup("OCR QA", "An evaluation of the plate reader on labelled images (`baytwin ocr eval`).")
found = found_under(settings)
folders = {found.label(folder): folder for folder in found.ocr_evals}
if not folders:
    st.info(f"No OCR evaluation folder (report.json and by_condition.csv) under {settings.runs}. "
            "Make one with `baytwin ocr eval --images DIR --out DIR`.")
    st.stop()

label = st.selectbox("Evaluation", list(folders), key="evaluation")
try:
    evaluation = read_ocr_eval(folders[label])
except DataProblem as err:
    st.error(f"error: {err}")
    st.stop()
report = evaluation.report
voting = report.get("voting") or {}

headline = st.columns(5)
headline[0].metric("Images", f"{report.get('images', 0):,}")
headline[1].metric("Exact plate", percent(report.get("exact_plate_accuracy")))
headline[2].metric("Characters", percent(report.get("char_accuracy")))
headline[3].metric("Dangerous reads", f"{report.get('dangerous_reads', 0):,}",
                   help="Wrong reads that passed the confidence gate: they would bill the wrong driver.")
headline[4].metric("Accepted reads correct", percent(report.get("accepted_accuracy")))

st.subheader("Accuracy by degradation and severity")
if evaluation.by_condition.empty:
    st.info("by_condition.csv has no rows.")
else:
    metric = st.selectbox("Measure", [m for m in OCR_GRID_METRICS if m in evaluation.by_condition.columns],
                          key="grid_metric")
    grid = condition_grid(evaluation.by_condition, metric)
    st.altair_chart(condition_heatmap(grid, metric), width="stretch")
    show_table(evaluation.by_condition, "accuracy by condition", index=False)

st.subheader("Voting across a vehicle's frames")
if voting.get("vehicles"):
    vote = st.columns(4)
    vote[0].metric("Vehicles", f"{voting['vehicles']:,}")
    vote[1].metric("Single frame", percent(voting.get("single_frame_accuracy")))
    vote[2].metric("Voted", percent(voting.get("voted_accuracy")))
    gain = voting.get("gain")
    vote[3].metric("Voting gain", f"{gain * 100:+.1f} points" if isinstance(gain, (int, float)) else "–")
    if voting.get("voted_accepted_share") is not None:  # reports from before these figures lack them
        gate = st.columns(4)
        gate[0].metric("Accepted, single frame", percent(voting.get("single_frame_accepted_share")))
        gate[1].metric("Accepted, voted", percent(voting.get("voted_accepted_share")))
        gate[2].metric("Dangerous, single frame", percent(voting.get("single_frame_dangerous_rate")))
        gate[3].metric("Dangerous, voted", percent(voting.get("voted_dangerous_rate")))
else:
    st.info("One image per vehicle: nothing to vote over (generate with `--frames 3` to measure voting).")

st.subheader("Dangerous reads: wrong and accepted")
dangerous = dangerous_reads(evaluation.reads)
if dangerous.empty:
    st.success("No wrong read passed the confidence gate.")
else:
    show_table(dangerous, "dangerous reads", index=False)

st.subheader("Character confusions")
pairs = confusion_pairs(evaluation.confusions)
if pairs.empty:
    st.success("No character confusions in wrong reads.")
else:
    st.altair_chart(confusion_bars(pairs), width="stretch")
    show_table(pairs[["truth", "read", "count"]], "confusions", index=False)

st.subheader("Misread crops")
crops = evaluation.misreads
if st.checkbox("Dangerous ones only", key="dangerous_only"):
    crops = [crop for crop in crops if crop.dangerous]
if not crops:
    st.success("No misread crops to show.")
else:
    st.caption(f"{len(crops)} crops (the evaluation keeps up to 60, dangerous ones first).")
    columns = st.columns(GALLERY_COLUMNS)
    for i, crop in enumerate(crops):
        tag = "ACCEPTED (dangerous)" if crop.dangerous else crop.status
        columns[i % GALLERY_COLUMNS].image(str(crop.path), caption=f"truth {crop.truth} · read {crop.read or '—'} · {tag}")
