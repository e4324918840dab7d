"""When a policy's rules apply: its active hours, in the site's local time."""

from __future__ import annotations

from datetime import datetime, timedelta

from baytwin.core.rules.policy import Policy
from baytwin.core.site import SiteInfo


def rules_active(policy: Policy, site: SiteInfo, ts: float) -> bool:
    if not policy.active_hours:
        return True
    local = site.local(ts)
    return policy.is_active(local.weekday(), local.hour * 60 + local.minute)


def next_active(policy: Policy, site: SiteInfo, ts: float) -> float:
    """The first moment after ``ts`` at which the rules apply (window starts within 8 days)."""
    local = site.local(ts)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(0, 9):
        date = midnight + timedelta(days=day)
        starts = []
        for window in policy.active_hours:
            start, _ = window.minutes()
            moment = datetime(date.year, date.month, date.day, tzinfo=site.tz) + timedelta(minutes=start)
            starts.append(moment.timestamp())
        found = [s for s in sorted(starts) if s > ts and rules_active(policy, site, s)]
        if found:
            return found[0]
    return ts + 7 * 86400.0
