"""An evidence pack's story, derived from its chain segment alone.

Everything a reader of a pack sees (the timeline, the sessions, the violation's facts, the
printable summary) is computed here from the chained event rows the pack carries. The
exporter writes what these functions return; the checker runs the same functions on the
pack's own chain segment and requires the files to be exactly that, so no figure in a pack
can say anything its chained rows do not.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from baytwin.core.events import event_from_dict
from baytwin.core.store.replay import replay_sessions

RETENTION_KIND = "retention_purged"


@dataclass(frozen=True)
class ChainRow:
    """One chained row as a pack carries it: everything its hash covers (the personal parts by digest).

    Rows of other bays are in the segment only so the chain can be re-walked; their public part is
    left out (``public`` is None) and only its digest travels, so a pack tells nothing about other drivers.
    """

    seq: int
    ts: float
    kind: str
    bay: str
    public: str | None
    public_sha256: str
    personal_digest: str
    evidence_digest: str
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def withheld(self) -> "ChainRow":
        """The same row with its public part left out (its digest still chains it)."""
        return ChainRow(**{**asdict(self), "public": None})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ChainRow":
        row = cls(**{name: data[name] for name in cls.__dataclass_fields__})
        if not (isinstance(row.seq, int) and isinstance(row.ts, (int, float)) and isinstance(row.public_sha256, str)
                and (row.public is None or isinstance(row.public, str))):
            raise ValueError(f"chain row {data.get('seq')!r} has fields of the wrong type")
        return row

    @property
    def data(self) -> dict[str, Any]:
        if self.public is None:
            raise ValueError(f"chain row {self.seq}: its public part is not in the pack")
        return json.loads(self.public)


def shown(public: dict[str, Any]) -> dict[str, Any]:
    """A row's public part as a reader sees it: without the commitments and digests it carries for checking."""
    return {key: value for key, value in public.items() if not key.startswith("_")}


def in_timeline(row: ChainRow, bay: str, start: float, end: float | None) -> bool:
    """Whether a chained row belongs in the pack's timeline: its bay (or a retention record) within the window."""
    return (row.bay == bay or row.kind == RETENTION_KIND) and row.ts >= start and (end is None or row.ts <= end)


def opened_row(rows: list[ChainRow], violation_id: str) -> ChainRow | None:
    for row in rows:
        if row.kind == "violation_opened" and row.public is not None and row.data.get("violation_id") == violation_id:
            return row
    return None


def evidence_start(opened: ChainRow) -> float:
    """The earliest moment the violation's own evidence speaks of."""
    data = opened.data
    return min([float(e["ts"]) for e in data.get("evidence", [])] + [float(data["ts"])])


def derive_sessions(site: str, timeline: list[ChainRow]) -> list[dict[str, Any]]:
    """The bay's charging sessions in the window, replayed from the chained session events."""
    events = [(event_from_dict(row.data), None) for row in timeline if row.kind.startswith("session_")]
    return [{k: v for k, v in session.items() if k != "subject"} for session in replay_sessions(site, events).values()]


def derive_violation(site: str, violation_id: str, timeline: list[ChainRow]) -> dict[str, Any]:
    """The violation's facts (opening, close, actions taken) from its chained events."""
    opened = opened_row(timeline, violation_id)
    if opened is None:
        raise ValueError(f"the chain segment does not contain the opening of {violation_id}")
    data = opened.data
    facts: dict[str, Any] = {
        "violation_id": violation_id, "site": site, "bay": opened.bay, "rule": data["rule"],
        "since": data["since"], "opened_at": data["ts"], "opened_seq": opened.seq,
        "plate_confidence": data["plate_confidence"], "closed_at": None, "close_reason": None, "minutes": None,
        "actions": [],
    }
    for row in timeline:
        event = row.data
        if event.get("violation_id") != violation_id:
            continue
        if row.kind == "violation_closed" and facts["closed_at"] is None:
            facts.update(closed_at=event["ts"], close_reason=event["reason"], minutes=event["minutes"], closed_seq=row.seq)
        elif row.kind == "action_taken":
            facts["actions"].append({"seq": row.seq, "ts": event["ts"], "action": event["action"],
                                     "amount": event["amount"], "until": event["until"]})
    return facts


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_summary(facts: dict[str, Any], timeline: list[dict[str, Any]], sessions: list[dict[str, Any]],
                   policy: dict[str, Any]) -> str:
    """The printable page: only the derived facts, the timeline as shown and the policy, so it can be re-rendered to check."""
    def describe(event: dict[str, Any]) -> str:
        keys = ("plate", "confidence", "source", "session_id", "energy_kwh", "current_a", "by", "reason", "rule",
                "action", "amount")
        return ", ".join(f"{k}: {event[k]}" for k in keys if event.get(k) not in (None, "", 0.0))

    esc = html.escape
    rows = "\n".join(
        f"<tr><td>{e['seq']}</td><td>{_when(e['event'].get('ts'))}</td><td>{esc(e['kind'])}</td>"
        f"<td>{esc(describe(e['event']))}</td></tr>" for e in timeline)
    actions = "\n".join(
        f"<tr><td>{a['seq']}</td><td>{_when(a['ts'])}</td><td>{esc(str(a['action']))}</td><td>{a['amount']:.2f}</td></tr>"
        for a in facts["actions"])
    charged = "\n".join(
        f"<tr><td>{esc(str(s['session_id']))}</td><td>{_when(s['started_at'])}</td><td>{_when(s['ended_at'])}</td>"
        f"<td>{esc(str(s['state']))}</td><td>{s['energy_kwh']:.2f}</td></tr>" for s in sessions)
    minutes = facts.get("minutes")
    settings = policy.get("document") or {}
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Evidence {esc(facts['violation_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style>
</head><body>
<h1>Violation {esc(facts['violation_id'])}</h1>
<table>
<tr><th>Rule</th><td>{esc(facts['rule'])}</td></tr>
<tr><th>Site / bay</th><td>{esc(facts['site'])} / {esc(facts['bay'])}</td></tr>
<tr><th>Breach began</th><td>{_when(facts['since'])}</td></tr>
<tr><th>Opened</th><td>{_when(facts['opened_at'])}</td></tr>
<tr><th>Closed</th><td>{_when(facts['closed_at'])} ({esc(str(facts.get('close_reason') or 'open'))})</td></tr>
<tr><th>Minutes in breach</th><td>{'-' if minutes is None else f'{minutes:.1f}'}</td></tr>
<tr><th>Identity confidence</th><td>{facts['plate_confidence']:.3f}</td></tr>
<tr><th>Policy</th><td>{esc(str(policy.get('name')))} version {esc(str(policy.get('version')))} (sha256 {esc(str(policy.get('digest')))})</td></tr>
<tr><th>Policy rules</th><td><code>{esc(json.dumps(settings.get('rules'), sort_keys=True))}</code></td></tr>
</table>
<h2>Actions</h2>
<table><tr><th>Row</th><th>Time</th><th>Action</th><th>Amount</th></tr>
{actions}
</table>
<h2>Charging sessions</h2>
<table><tr><th>Session</th><th>Started</th><th>Ended</th><th>State</th><th>Energy (kWh)</th></tr>
{charged}
</table>
<h2>Timeline</h2>
<table><tr><th>Row</th><th>Time</th><th>Event</th><th>Details</th></tr>
{rows}
</table>
<p>Every figure on this page is derived from rows of the site's tamper-evident log; chain.json holds
those rows and their hash chain, manifest.json the digest of every file, signature.json the site's
signature of the manifest. Check this pack with <code>baytwin evidence verify PACK --public-key SITE.signing.pub</code>.</p>
</body></html>
"""
