"""Cron expressions read in an IANA time zone; every time Kasal stores is UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from croniter import croniter

from kasal.core.errors import InvalidInput

# However long Kasal was down, a schedule's missed fires are counted only this far.
MAX_COUNTED = 10_000


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def check(expression: str, timezone: str) -> None:
    """InvalidInput unless the expression is a cron of five fields and the zone exists."""
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise InvalidInput(
            "invalid_cron",
            f"{expression!r} is not a cron expression of five fields (minute hour day month "
            'weekday), e.g. "0 9 * * MON-FRI"',
            [{"pointer": "/cron", "code": "invalid_cron"}],
        )
    if timezone not in _zones():
        raise InvalidInput(
            "invalid_timezone",
            f"{timezone!r} is not an IANA time zone such as Europe/Paris or UTC",
            [{"pointer": "/timezone", "code": "invalid_timezone"}],
        )


def next_after(expression: str, timezone: str, moment: datetime, count: int = 1) -> list[datetime]:
    """The `count` fire times strictly after `moment`, in UTC."""
    times = croniter(expression, moment.astimezone(ZoneInfo(timezone)))
    return [times.get_next(datetime).astimezone(UTC) for _ in range(count)]


def due(
    expression: str, timezone: str, first: datetime, now: datetime
) -> tuple[list[datetime], datetime]:
    """The fire times from `first` (itself a fire time) up to `now`, and the next one after.
    After a very long downtime only the first `MAX_COUNTED` and the latest are listed."""
    zone = ZoneInfo(timezone)
    times = [first]
    following = croniter(expression, first.astimezone(zone))
    while len(times) < MAX_COUNTED:
        moment = following.get_next(datetime).astimezone(UTC)
        if moment > now:
            return times, moment
        times.append(moment)
    upcoming = next_after(expression, timezone, now)[0]
    times[-1] = croniter(expression, upcoming.astimezone(zone)).get_prev(datetime).astimezone(UTC)
    return times, upcoming
