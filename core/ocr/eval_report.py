"""Writing an OCR evaluation as files a person opens: JSON, CSV tables, a chart and a gallery of misreads.

``report.json`` holds every headline figure; ``by_condition.csv`` the accuracy
per degradation and severity (the chart ``accuracy_by_condition.png`` draws
it as curves); ``by_font.csv`` and ``by_design.csv`` the same figures per
plate font and design, when the labels name them; ``reads.csv`` one row per image; ``confusions.csv`` which
characters are read as which; ``misreads/`` the crops the reader got wrong,
named by truth and read, for a person to look at.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2

from baytwin.core.ocr.evaluation import CLEAN, GROUP_COLUMNS, Evaluation, char_accuracy, confusions, summarize

GALLERY_SIZE = 60


def write_report(evaluation: Evaluation, out: Path) -> dict[str, object]:
    """Write every file of the report under ``out`` and return report.json's content."""
    out.mkdir(parents=True, exist_ok=True)
    report = summarize(evaluation)
    _write_json(out / "report.json", report)
    _write_csv(out / "by_condition.csv", report["by_condition"])  # type: ignore[arg-type]
    for column in GROUP_COLUMNS:
        if f"by_{column}" in report:
            _write_csv(out / f"by_{column}.csv", report[f"by_{column}"])  # type: ignore[arg-type]
    _write_csv(out / "confusions.csv", [{"truth": t, "read": r, "count": n}
                                        for (t, r), n in confusions(evaluation.reads).most_common()],
               ["truth", "read", "count"])
    _write_reads(out / "reads.csv", evaluation)
    _write_gallery(out / "misreads", evaluation)
    _plot(out / "accuracy_by_condition.png", report)
    return report


def _write_json(path: Path, content: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2), encoding="utf-8")
    tmp.replace(path)


def _write_csv(path: Path, rows: list[dict[str, object]], columns: list[str] | None = None) -> None:
    columns = columns or (list(rows[0]) if rows else [])
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _write_reads(path: Path, evaluation: Evaluation) -> None:
    rows = []
    cut = any(item.at_corners is not None for item in evaluation.reads)
    for item in evaluation.reads:
        row: dict[str, object] = {
            "file": item.image.file, "read_as": item.image.read_as, "vehicle": item.image.vehicle,
            "truth": item.image.plate, "read": item.read or "",
            "raw": item.raw or "", "confidence": round(item.confidence, 4), "status": item.status,
            "correct": item.correct, "char_accuracy": round(char_accuracy(item.image.plate, item.read), 4),
            "conditions": ";".join(f"{c}={s}" for c, s in item.image.conditions if c != CLEAN),
            "error": item.error or "",
        }
        if evaluation.baseline:
            row["baseline_read"] = item.baseline or ""
        if cut:  # the reader alone on the plate cut out at its labelled corners
            read, status = item.at_corners or (None, "")
            row["read_at_corners"], row["status_at_corners"] = read or "", status
        rows.append(row)
    _write_csv(path, rows)


def _write_gallery(folder: Path, evaluation: Evaluation) -> None:
    """The first GALLERY_SIZE wrong reads' crops, dangerous ones first."""
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    wrong = [r for r in evaluation.reads if r.error is None and not r.correct and r.crop is not None]
    wrong.sort(key=lambda r: not r.dangerous)
    for n, item in enumerate(wrong[:GALLERY_SIZE]):
        tag = "accepted" if item.dangerous else item.status
        name = f"{n:03d}_{item.image.plate}_read_{item.read or 'none'}_{tag}.png"
        cv2.imwrite(str(folder / name), cv2.cvtColor(item.crop, cv2.COLOR_RGB2BGR))  # type: ignore[arg-type]


def _plot(path: Path, report: dict[str, object]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["by_condition"]
    assert isinstance(rows, list)
    clean = next((r["exact_plate_accuracy"] for r in rows if r["condition"] == CLEAN), None)
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    for condition in sorted({r["condition"] for r in rows} - {CLEAN}):
        points = sorted((r["severity"], r["exact_plate_accuracy"]) for r in rows if r["condition"] == condition)
        if clean is not None:
            points = [(0, clean), *points]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=condition)
    if clean is not None:
        ax.axhline(clean, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("severity (0 = clean)")
    ax.set_ylabel("exact-plate accuracy")
    ax.set_xticks(range(5))
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(ncol=2, fontsize=8, loc="lower left")
    ax.set_title("Plate reads by degradation and severity")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
