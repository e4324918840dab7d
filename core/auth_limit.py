"""Failed-login limits (chargers on the central system, users on the dashboard): a flood of wrong passwords costs the attacker, not the site.

Each failed attempt is counted per client address and per account (a
station id, a username) inside a sliding window. Past the limit, further
attempts from that address, or for that account from anywhere, are refused
at once (HTTP 429, a "try later" on the login form) without computing a
password hash, so a flood neither burns the CPU nor lets
anyone guess at the rate the hash allows. A success clears the address's
count; a station's count clears with its window, so its real owner gets back
in once an attack stops. An attempt is counted when it starts and taken back
when it succeeds, so a burst of concurrent guesses cannot all slip past the
limit while their hashes are being computed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class AuthLimiter:
    max_failures_per_address: int = 10
    max_failures_per_station: int = 30
    window_s: float = 60.0
    max_tracked: int = 10_000  # keys remembered at most; the oldest are forgotten first
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_in(self, address: str, station: str, now: float) -> float:
        """Seconds until the oldest counted failure leaves the window (0 when not blocked)."""
        if not self.blocked(address, station, now):
            return 0.0
        oldest = [t[0] for k in (f"a:{address}", f"s:{station}") if (t := self._failures.get(k))]
        return max(0.0, min(oldest) + self.window_s - now) if oldest else 0.0

    def blocked(self, address: str, station: str, now: float) -> bool:
        return (self._count(f"a:{address}", now) >= self.max_failures_per_address
                or self._count(f"s:{station}", now) >= self.max_failures_per_station)

    def failed(self, address: str, station: str, now: float) -> None:
        for key in (f"a:{address}", f"s:{station}"):
            self._failures.setdefault(key, deque()).append(now)
        while len(self._failures) > self.max_tracked:
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, address: str, station: str, at: float) -> None:
        """The attempt counted at ``at`` was right: clear the address, take it back from the station."""
        self._failures.pop(f"a:{address}", None)
        times = self._failures.get(f"s:{station}")
        if times and at in times:
            times.remove(at)

    def _count(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)
