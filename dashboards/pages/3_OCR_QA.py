"""OCR QA: plate-reading accuracy QA can sign, every rate with the images behind it and its Wilson interval, by degradation, font and design, beside the baseline and a second evaluation.

Also the voting gain, dangerous reads (wrong and still accepted), character confusions and the misread crops."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from baytwin.dashboards.charts import condition_heatmap, confusion_bars, group_bars, heatmap_height
from baytwin.dashboards.data import (
    OCR_GRID_METRICS,
    DataProblem,
    confusion_pairs,
    dangerous_reads,
    read_ocr_eval,
)
from baytwin.dashboards.ocr_view import compare_conditions, headline_table, rate_with_interval, with_intervals
from baytwin.dashboards.ui import found_under, page_setup, show_table

GALLERY_COLUMNS = 4
NOBODY = "(none)"


def percent(value: object) -> str:
    return f"{float(value):.1%}" if isinstance(value, (int, float)) else "–"


settings = page_setup("OCR QA", "An evaluation of the plate reader on labelled images (`baytwin ocr eval`).")
found = found_under(settings)
folders = {found.label(folder): folder for folder in found.ocr_evals}
if not folders:
    st.info(f"No OCR evaluation folder (report.json and by_condition.csv) under {settings.runs}. "
            "Make one with `baytwin ocr eval --images DIR --out DIR`.")
    st.stop()

pick = st.columns(2)
label = pick[0].selectbox("Evaluation", list(folders), key="evaluation")
other_label = pick[1].selectbox("Side by side with", [NOBODY, *(f for f in folders if f != label)], key="other",
                                help="Another evaluation: another model, or the same model on other images.")
try:
    evaluation = read_ocr_eval(folders[label])
    other = read_ocr_eval(folders[other_label]) if other_label != NOBODY else None
except DataProblem as err:
    st.error(f"error: {err}")
    st.stop()
report = evaluation.report
voting = report.get("voting") or {}
images = int(report.get("images") or 0)

headline = st.columns(5)
headline[0].metric("Images", f"{images:,}")
headline[1].metric("Exact plate", percent(report.get("exact_plate_accuracy")))
headline[2].metric("Characters", percent(report.get("char_accuracy")))
headline[3].metric("Dangerous reads", f"{report.get('dangerous_reads', 0):,}",
                   help="Wrong reads that passed the confidence gate: they would bill the wrong driver.")
headline[4].metric("Accepted reads correct", percent(report.get("accepted_accuracy")))
exact = int(round(float(report.get("exact_plate_accuracy") or 0) * images))
st.markdown(f"**Exact plate:** {rate_with_interval(exact, images)}  \n"
            f"**Dangerous reads:** {rate_with_interval(int(report.get('dangerous_reads', 0)), images)}: "
            "the upper bound is what QA can promise.")
reader = report.get("reader") or {}
if reader:  # reports written before readers were recorded have none
    st.caption(f"Read with {reader.get('model')} (sha256 {reader.get('sha256')}…), accepted from "
               f"{reader.get('accept_at')}, detector {reader.get('detector')}.")

st.subheader("Side by side" if other is not None or report.get("baseline") else "With intervals")
reports = {label: report, **({other_label: other.report} if other is not None else {})}
side = headline_table(reports)
shown = side.copy()
for column in shown.columns:
    if pd.api.types.is_float_dtype(shown[column]):
        shown[column] = shown[column].map(lambda v: "–" if pd.isna(v) else f"{v:.1%}")
show_table(side, "headline rates", shown=shown, index=False)
st.caption("Rates with their 95 % Wilson intervals over the images evaluated"
           + ("; the baseline read the same images" if report.get("baseline") else "") + ".")

st.subheader("Accuracy by degradation and severity")
if evaluation.by_condition.empty:
    st.info("by_condition.csv has no rows.")
else:
    measures = [m for m in (*OCR_GRID_METRICS, "baseline_exact_plate_accuracy") if m in evaluation.by_condition.columns]
    metric = st.selectbox("Measure", measures, key="grid_metric")
    grid = with_intervals(evaluation.by_condition, metric)
    st.altair_chart(condition_heatmap(grid, metric), width="stretch",
                    height=heatmap_height(grid["condition"].nunique()) + 80)
    st.caption("Each cell: the rate, [its 95 % Wilson interval] and n, the images (vehicles, for voted accuracy) "
               "behind it. A cell of a few images says little.")
    if other is not None and metric in other.by_condition.columns:
        st.markdown(f"**{label}** beside **{other_label}**")
        both = compare_conditions(evaluation.by_condition, other.by_condition, metric, (label, other_label))
        show_table(both, "conditions side by side", index=False)
    show_table(evaluation.by_condition, "accuracy by condition", index=False)

if evaluation.groups:
    st.subheader("By font and design")
    group = st.radio("Per", list(evaluation.groups), horizontal=True, key="group")
    table = evaluation.groups[group]
    rates = [m for m in ("exact_plate_accuracy", "dangerous_read_rate", "accepted_share") if m in table.columns]
    group_metric = st.selectbox("Rate", rates, key="group_metric")
    rated = with_intervals(table, group_metric)
    st.altair_chart(group_bars(rated, group, group_metric), width="stretch")
    show_table(rated.drop(columns=["value", "hits"]), f"by {group}", index=False)

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
filters = st.columns([1, 2, 2])
if filters[0].checkbox("Dangerous ones only", key="dangerous_only"):
    crops = [crop for crop in crops if crop.dangerous]
statuses = sorted({crop.status for crop in evaluation.misreads})
kept = filters[1].multiselect("Gate said", statuses, default=statuses, key="gallery_status")
crops = [crop for crop in crops if crop.status in kept]
text = filters[2].text_input("Plate contains (truth or read)", key="gallery_text").strip().upper()
if text:
    crops = [crop for crop in crops if text in crop.truth.upper() or text in (crop.read or "").upper()]
if not crops:
    st.success("No misread crops to show.")
else:
    st.caption(f"{len(crops)} of {len(evaluation.misreads)} crops (the evaluation keeps up to 60, dangerous ones first).")
    columns = st.columns(GALLERY_COLUMNS)
    for i, crop in enumerate(crops):
        tag = "ACCEPTED (dangerous)" if crop.dangerous else crop.status
        columns[i % GALLERY_COLUMNS].image(str(crop.path), caption=f"truth {crop.truth} · read {crop.read or '—'} · {tag}")
