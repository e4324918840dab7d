"""A charge-point management system's session export, read into one table of charging sessions.

Operators hand over whatever their back office exports. Each supported format is one ``ExportFormat``:
which column holds which field and how its times are written. The format is recognised from the header,
so adding a format is adding one entry to ``FORMATS``; the rest (row checks, skipped-row counts, the time
zone) is shared. Times come out in UTC; the site's zone is kept beside them because hours of the day and
weekdays mean the site's local ones.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from baytwin.core.config import known_time_zone, printable
from baytwin.core.csv_rows import read_csv_rows

TimeParser = Callable[[str, ZoneInfo], datetime | None]

# The fields a session needs, in the order of the table the reader returns.
FIELDS = ("plug_in", "unplug", "charging_done", "energy_kwh", "station")
OPTIONAL_FIELDS = ("driver", "timezone")


class SessionExportProblem(Exception):
    """A session export that cannot be used; ``str(err)`` is the one line naming the file and why."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{printable(str(path))}: {problem}")


def rfc2822_time(text: str, zone: ZoneInfo) -> datetime | None:
    """ACN-Data writes ``Wed, 25 Apr 2018 11:08:04 GMT``; a time without a zone (``-0000``) is taken as UTC,
    as the export's own times are."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def iso_time(text: str, zone: ZoneInfo) -> datetime | None:
    """ISO 8601 (``2024-03-05 08:12``, ``2024-03-05T08:12:00+01:00``); a time without an offset is the
    site's local time, which is how a site's own spreadsheet writes it."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


@dataclass(frozen=True)
class ExportFormat:
    """One export's column set: ``columns`` maps each field of FIELDS (and any of OPTIONAL_FIELDS the export
    has) to its column name; ``required`` are the columns whose presence identifies the format."""

    name: str
    columns: dict[str, str]
    required: tuple[str, ...]
    parse_time: TimeParser

    def missing(self, header: list[str]) -> list[str]:
        return [column for column in self.required if column not in header]


ACN_DATA = ExportFormat(
    name="ACN-Data",
    columns={"plug_in": "connectionTime", "unplug": "disconnectTime", "charging_done": "doneChargingTime",
             "energy_kwh": "kWhDelivered", "station": "stationID", "driver": "userID", "timezone": "timezone"},
    required=("connectionTime", "disconnectTime", "doneChargingTime", "kWhDelivered", "sessionID", "siteID",
              "stationID", "spaceID", "timezone", "userID"),
    parse_time=rfc2822_time,
)

GENERIC = ExportFormat(
    name="generic",
    columns={"plug_in": "arrival", "unplug": "departure", "charging_done": "charging_end",
             "energy_kwh": "energy_kwh", "station": "station", "driver": "driver"},
    required=("arrival", "departure", "charging_end", "energy_kwh", "station"),
    parse_time=iso_time,
)

FORMATS = (ACN_DATA, GENERIC)

SKIP_REASONS = {
    "time": "unparseable time",
    "negative": "negative duration",
    "energy": "unreadable energy",
}


@dataclass(frozen=True)
class SessionExport:
    """The usable sessions of an export (UTC times; ``charging_done`` NaT where the export does not say),
    with the site's time zone and how many rows were skipped, by reason."""

    path: Path
    format: str
    zone: str
    sessions: pd.DataFrame
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def span_days(self) -> float:
        """Whole local days from the first plug-in to the last unplug."""
        local = ZoneInfo(self.zone)
        first = self.sessions.plug_in.min().tz_convert(local).normalize()
        last = self.sessions.unplug.max().tz_convert(local).normalize()
        return float((last - first).days + 1)

    @property
    def skipped_text(self) -> str:
        return ", ".join(f"{n} {SKIP_REASONS[why]}" for why, n in self.skipped.items() if n) or "none"


def detect_format(path: Path, header: list[str]) -> ExportFormat:
    """The format whose columns the header has; otherwise the problem names the missing columns of the format
    the header shares most columns with, which is what a user most likely has to fix."""
    for candidate in FORMATS:
        if not candidate.missing(header):
            return candidate
    closest = max(FORMATS, key=lambda f: (len(f.required) - len(f.missing(header)), -len(f.missing(header))))
    known = ", ".join(f.name for f in FORMATS)
    raise SessionExportProblem(path, f"not a known session export (known: {known}); closest is {closest.name}, "
                                     f"missing columns: {', '.join(closest.missing(header))}")


def read_export(path: Path, zone: str | None = None) -> SessionExport:
    """Read ``path``; ``zone`` (an IANA name) overrides the export's own time-zone column (default UTC)."""

    def problem(reason: str) -> SessionExportProblem:
        return SessionExportProblem(path, reason)

    header, rows = read_csv_rows(path, problem)
    if not header:
        raise problem("empty file (no header line)")
    fmt = detect_format(path, header)
    if not rows:
        raise problem(f"no sessions ({fmt.name} header, but no rows)")
    site_zone = _site_zone(path, fmt, rows, zone)
    tz = ZoneInfo(site_zone)
    skipped: Counter[str] = Counter()
    kept = []
    for row in rows:
        session = _session(fmt, row, tz)
        if isinstance(session, str):
            skipped[session] += 1
        else:
            kept.append(session)
    if not kept:
        counts = ", ".join(f"{n} {SKIP_REASONS[why]}" for why, n in skipped.items())
        raise problem(f"no usable sessions: all {len(rows)} rows skipped ({counts})")
    frame = pd.DataFrame(kept, columns=[*FIELDS, "driver"])
    for column in ("plug_in", "unplug", "charging_done"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame = frame.sort_values("plug_in", ignore_index=True)
    return SessionExport(path, fmt.name, site_zone, frame, len(rows),
                         {why: skipped.get(why, 0) for why in SKIP_REASONS})


def _site_zone(path: Path, fmt: ExportFormat, rows: list[dict[str, str]], zone: str | None) -> str:
    """The given zone, else the zone most rows of the export name, else UTC."""
    if zone is None and "timezone" in fmt.columns:
        named = Counter((row.get(fmt.columns["timezone"]) or "").strip() for row in rows)
        named.pop("", None)
        zone = named.most_common(1)[0][0] if named else None
    try:
        return known_time_zone(zone or "UTC")
    except ValueError as err:
        raise SessionExportProblem(path, str(err)) from None


def _session(fmt: ExportFormat, row: dict[str, str], tz: ZoneInfo) -> tuple | str:
    """One row as (plug_in, unplug, charging_done, energy, station, driver), or the reason it is skipped.

    A charging end after the unplug (a few seconds' clock skew between charger and back office) is taken as
    the unplug: charging cannot outlast the connection."""
    def text(name: str) -> str:
        return (row.get(fmt.columns[name]) or "").strip() if name in fmt.columns else ""

    plug_in, unplug = fmt.parse_time(text("plug_in"), tz), fmt.parse_time(text("unplug"), tz)
    done_text = text("charging_done")
    done = fmt.parse_time(done_text, tz) if done_text else None
    if plug_in is None or unplug is None or (done_text and done is None):
        return "time"
    if unplug < plug_in or (done is not None and done < plug_in):
        return "negative"
    try:
        energy = float(text("energy_kwh"))
    except ValueError:
        return "energy"
    if not math.isfinite(energy) or energy < 0:
        return "energy"
    return (plug_in, unplug, min(done, unplug) if done is not None else None, energy,
            text("station"), text("driver") or None)
