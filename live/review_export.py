"""The reads operators settled, exported as labelled crops for measuring and fine-tuning a recognizer.

Every read an operator confirmed or corrected is a crop from the site's own
cameras with a plate a person vouched for: the best labelled data a site has
for ``baytwin ocr eval`` (how the model does on these cameras) and for
training (``ocr train --labelled``). Rejected reads have no plate to learn
from and are left out, as are reads whose crop or plate retention has
already erased. The folder is the format every labelled folder has: images
and a ``labels.csv`` (``file, plate, vehicle``, and where each label came
from: ``source=review``, ``reviewer``, ``decided_at``, ``decision``, ``bay``,
``read_as``, the reader's own text).

The plates are in clear text, so the folder is personal data: the caller says
so, and it should be kept like the store and deleted when done.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from baytwin.core.store.log import EventLog
from baytwin.live.review import resolutions_after, stored_reads

COLUMNS = ("file", "plate", "vehicle", "source", "reviewer", "decided_at", "decision", "bay", "read_as")
IMAGES = "images"


@dataclass(frozen=True, slots=True)
class Export:
    labels: Path
    crops: int  # confirmed or corrected reads written
    rejected: int  # reads an operator rejected (left out)
    erased: int  # settled reads whose crop or plate retention has erased (left out)


def export_reviewed(log: EventLog, site: str, out: Path) -> Export:
    """Write every confirmed or corrected read of ``site`` under ``out``: its crop and a row of labels.csv."""
    decisions = [decision for _, decision, _ in resolutions_after(log, site, 0)]
    vouched = [d for d in decisions if d.decision in ("confirmed", "corrected")]
    reads = {read.seq: read for read in stored_reads(log, site, [d.read_seq for d in vouched])}
    (out / IMAGES).mkdir(parents=True, exist_ok=True)
    rows, erased = [], 0
    for decision in vouched:
        read = reads.get(decision.read_seq)
        if read is None or read.crop_png is None or not decision.plate:
            erased += 1
            continue
        name = f"{IMAGES}/review-{decision.read_seq}.png"
        (out / name).write_bytes(read.crop_png)
        rows.append({"file": name, "plate": decision.plate, "vehicle": decision.plate, "source": "review",
                     "reviewer": decision.reviewer, "decided_at": _iso(decision.ts), "decision": decision.decision,
                     "bay": decision.bay, "read_as": read.plate or ""})
    labels = out / "labels.csv"
    tmp = labels.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(labels)
    return Export(labels, len(rows), sum(d.decision == "rejected" for d in decisions), erased)


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="seconds")
