"""The live demo's half hour, as data: what the camera sees, what each charger's driver does, the site's rules.

``baytwin demo --live`` plays this story on a real live site (rendered footage through the real
camera adapter and reader, emulated OCPP 1.6 chargers over websockets, the real rules engine and
store) on a clock running :data:`SPEED` times faster than the wall, so half an hour of site time
takes half a minute. One second of footage is one minute of site time, and the footage plays at
its own frame rate, so camera, chargers and rules timers all keep the same time.

    site min   EV1 (CP1/1)                      EV2 (CP1/2)                EV3 (CP2/1)
      1-2.5    AB12CDE reverses in
      3        plugs in; its plate is read,
               registered -> RemoteStart: charges
      4-5.5                                     GH68RTY parks, never plugs
      7-8.5                                                                KX19PLM reverses in, muddy plate
      8        battery full (SuspendedEV)
     ~9.5                                                                  read marginal -> review; plugs in
     ~10                                        not charging (5 min)      operator settles it -> RemoteStart
     13        overstay (5 min' grace) -> warning, RemoteStop
     15.5-17                                    drives out
     19        unplugs; 19.5-21 drives out
     21.5                                                                  unplugs; 21.5-23 drives out

The story's pace is fixed here, not on the command line: the demo must stay a demo (half a
minute of wall time), and its policy windows are chosen so every scripted violation fires in it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from baytwin.core.events import ReviewResolved
    from baytwin.core.store.log import EventLog

SITE_ID = "live-demo"
TIMEZONE = "Europe/London"
START = float(calendar.timegm((2024, 6, 3, 7, 0, 0)))  # Monday 3 June 2024, 08:00 in London
MINUTES = 30.0  # site time the story covers
SITE_SECONDS_PER_VIDEO_SECOND = 60.0  # one second of footage is one minute of the site
RENDER_FPS = 5.0  # the footage's frame rate; it plays at this rate, so the site runs SPEED x the wall
SPEED = SITE_SECONDS_PER_VIDEO_SECOND  # site seconds per wall second
SEED = 3  # a camera and cars where the clean plates read at 0.97 and the muddy one at about 0.7
REVIEWER = "demo-operator"

VIDEO_SCRIPT: dict[str, Any] = {
    "bays": ["EV1", "EV2", "EV3"],
    "duration_s": MINUTES,
    "visits": [
        {"bay": "EV1", "plate": "AB12 CDE", "format": "uk", "arrive_s": 1, "leave_s": 21, "drive_s": 1.5,
         "note": "registered EV: its plate starts the charger, it charges, then overstays"},
        {"bay": "EV2", "plate": "GH68 RTY", "format": "uk", "arrive_s": 4, "leave_s": 17, "drive_s": 1.5,
         "note": "a car that is not charging blocks the bay"},
        {"bay": "EV3", "plate": "KX19 PLM", "format": "uk", "arrive_s": 7, "leave_s": 23, "drive_s": 1.5,
         "plate_dirt": 4, "note": "registered EV with a muddy plate: read marginally, settled by an operator"},
    ],
}

# Stations and their EVSEs' bays, and what each charger's driver does at which site minute. A step
# that cannot be done yet (metering before the site's RemoteStart arrived) is tried again for a while.
STATIONS: dict[str, dict[int, str]] = {"CP1": {1: "EV1", 2: "EV2"}, "CP2": {1: "EV3"}}
CHARGER_STEPS: dict[str, list[tuple[float, str]]] = {
    "CP1": [(3.0, "plug 1"), (4.0, "meter 1 7.4kW"), (7.0, "meter 1 7.4kW"), (8.0, "suspend 1"), (19.0, "unplug 1")],
    "CP2": [(9.5, "plug 1"), (11.0, "meter 1 11kW"), (16.0, "meter 1 11kW"), (21.5, "unplug 1")],
}

VEHICLES = "plate,group,id_tokens\nAB12CDE,staff,TAG-AB\nKX19PLM,staff,TAG-KX\n"

POLICY = """\
# The live demo's policy: the standard one with windows short enough for half an hour.
name: live-demo
version: "1"
rules:
  not_charging: {enabled: true, arrival_allowance_min: 5}
  overstay: {enabled: true, grace_min: 5, suspended_ev_counts_as_ended: true}
  max_stay: {enabled: false}
idle_fee: {enabled: false}
escalation:
  window_days: 90
  ladder:
    - {count: 1, action: warning}
    - {count: 2, action: ticket, amount: 35}
default_group: visitor
"""


@dataclass(frozen=True, slots=True)
class DemoSite:
    """The files of the demo site, all in one folder."""

    folder: Path

    @property
    def site_file(self) -> Path:
        return self.folder / "site.yaml"

    @property
    def key_file(self) -> Path:
        return self.folder / "site.key"

    @property
    def store_file(self) -> Path:
        return self.folder / "site.db"

    @property
    def footage(self) -> Path:
        return self.folder / "footage"


def site_minute(minute: float) -> float:
    """The site's clock at ``minute`` into the story."""
    return START + minute * 60.0


def truth(bay: str, ts: float) -> str | None:
    """The plate of the car that was in ``bay`` at site time ``ts`` (what an operator sees on the crop)."""
    minute = (ts - START) / SITE_SECONDS_PER_VIDEO_SECOND
    for visit in VIDEO_SCRIPT["visits"]:
        if visit["bay"] == bay and visit["arrive_s"] <= minute < visit["leave_s"]:
            return str(visit["plate"]).replace(" ", "")
    return None


def write_site(demo: DemoSite, rois: dict[str, list[list[float]]], video: Path) -> Path:
    """Write the site file, its policy and registered vehicles; returns the site file.

    The bays' regions of interest are the rendered camera's (its sidecar). The gate is the site's own
    choice, written out so a reader sees where a marginal read falls. The reader is the format reader,
    named by its installed path: the footage is the twin's own, of declared-format plates."""
    from baytwin.core.ocr.recognizer import FORMAT_MODEL

    demo.folder.mkdir(parents=True, exist_ok=True)
    (demo.folder / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (demo.folder / "vehicles.csv").write_text(VEHICLES, encoding="utf-8")
    site = {
        "site": {"id": SITE_ID, "timezone": TIMEZONE},
        "policy": "policy.yaml",
        "vehicles": "vehicles.csv",
        "store": {"url": f"sqlite:///{demo.store_file.name}", "key_file": demo.key_file.name},
        "gate": {"accept_at": 0.93, "review_from": 0.3},
        "occupancy": {"arrive_samples": 2, "leave_after_s": 120},
        "listen": {"host": "127.0.0.1", "port": 9000},
        # the footage is the twin's rendering of declared-format plates: the twin's reader reads it
        "ocr": {"model": str(FORMAT_MODEL)},
        "cameras": {"pole": {"source": str(video.relative_to(demo.folder)), "sample_fps": RENDER_FPS,
                             "frames_per_vehicle": 3, "bays": rois}},
        "csms": {"accept_unknown_tokens": True, "remote_stop_on_overstay": True,
                 "stations": {name: {"evses": evses} for name, evses in STATIONS.items()}},
    }
    header = ("# Written by baytwin demo --live: the demo's live site (footage, chargers and clock are the demo's).\n"
              "# Look at it: baytwin dashboard --site site.yaml; baytwin live status --site site.yaml\n")
    demo.site_file.write_text(header + yaml.safe_dump(site, sort_keys=False, default_flow_style=None), encoding="utf-8")
    return demo.site_file


def settle_reviews(log: EventLog, site: str, now: float) -> list[ReviewResolved]:
    """Do what the demo's operator does with every read waiting for review: look at the crop (here, the story's
    own record of which car stood in the bay) and confirm the read, correct it, or reject it if no car was there.

    The decision goes through the review queue like one made at ``baytwin live review resolve``, recorded
    under :data:`REVIEWER`; the running site picks it up from the store."""
    from baytwin.live.review import ReviewProblem, pending, resolve

    decided = []
    for read in pending(log, site):
        actual = truth(read.bay, read.ts)
        if actual is None:
            decision, plate = "rejected", None
        elif read.plate == actual:
            decision, plate = "confirmed", None
        else:
            decision, plate = "corrected", actual
        try:
            decided.append(resolve(log, site, read.seq, decision, plate, REVIEWER, now))
        except ReviewProblem:  # it left the queue meanwhile (its car drove off, or was identified otherwise)
            continue
    return decided
