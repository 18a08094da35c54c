"""Report periods: calendar days in UTC, both ends included.

- ``to`` defaults to today (UTC), ``from`` to ``DEFAULT_PERIOD_DAYS - 1`` days before ``to``
  (the last 30 days, today included).
- ``from`` after ``to``, a period longer than ``MAX_PERIOD_DAYS`` days, a date that does not
  exist (``2026-02-30``) or one outside ``MIN_DATE``..``MAX_DATE`` is a 422
  ``validation_error`` pointing at the offending query parameter.
- Aggregates are stored per day in month partitions (``YYYY-MM``): :meth:`Period.months`
  lists the partitions a period touches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from reporting.errors import InvalidPeriodError

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2999, 12, 31)
DATE_PATTERN = "^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"  # MIN_DATE..MAX_DATE, as the schema states it
DATE_FORMAT = {"format": "date"}  # and a day the month has (2026-02-30 is not one)


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    def months(self) -> list[str]:
        """The ``YYYY-MM`` month partitions the period touches, in order."""
        months: list[str] = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @classmethod
    def last_days(cls, days: int, *, ending: date) -> Period:
        return cls(ending - timedelta(days=days - 1), ending)


def parse_day(text: str | None, loc: list[str | int]) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date (the format itself is checked by the route)."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriodError(f"{text!r} is not a calendar date (YYYY-MM-DD)", loc) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise InvalidPeriodError(f"dates must be between {MIN_DATE} and {MAX_DATE}", loc, value=day)
    return day


def resolve_period(
    start: date | None,
    end: date | None,
    *,
    today: date,
    default_days: int = DEFAULT_PERIOD_DAYS,
    max_days: int = MAX_PERIOD_DAYS,
) -> Period:
    """The period a report covers, from the optional ``from`` and ``to`` query values."""
    if end is None:
        end = today
    if start is None:
        start = max(end - timedelta(days=default_days - 1), MIN_DATE)
    if start > end:
        raise InvalidPeriodError(f"from ({start}) must not be after to ({end})", ["query", "from"], value=start)
    period = Period(start, end)
    if period.days > max_days:
        raise InvalidPeriodError(
            f"the period covers {period.days} days; at most {max_days} are allowed", ["query", "from"], value=start
        )
    return period


def period_from_query(
    start: str | None, end: str | None, *, today: date | None = None, default_days: int = DEFAULT_PERIOD_DAYS
) -> Period:
    return resolve_period(
        parse_day(start, ["query", "from"]),
        parse_day(end, ["query", "to"]),
        today=today or today_utc(),
        default_days=default_days,
    )
