"""What the core knows of a site: its id, its local time and its bays.

Adapters (the twin's world, the live site file) describe a site in their own
terms and hand the core this narrow view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Bay:
    id: str
    ev: bool = True  # an EV bay has a charger; a general bay has none


@dataclass(frozen=True)
class SiteInfo:
    id: str
    timezone: str = "UTC"
    bays: tuple[Bay, ...] = ()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, ts: float) -> datetime:
        """Local wall time at the site for an epoch timestamp."""
        return datetime.fromtimestamp(ts, self.tz)
