"""Shared Hypothesis strategies: reduced-precision dates, qualified values, periods."""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import strategies as st

from validate.intervals import FACTORS

QUALIFIERS = st.sampled_from(sorted(FACTORS))
VALUES = st.integers(min_value=0, max_value=10**7).map(float) | st.floats(
    min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False
)


@st.composite
def reduced_dates(draw, min_year: int = 2015, max_year: int = 2030) -> str:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD', always a real date."""
    year = draw(st.integers(min_year, max_year))
    precision = draw(st.sampled_from(("year", "month", "day")))
    if precision == "year":
        return f"{year:04d}"
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year:04d}-{month:02d}"
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return f"{year:04d}-{month:02d}-{day:02d}"


def first_day(text: str) -> dt.date:
    """Oracle: the first day a reduced-precision date covers (plain calendar arithmetic)."""
    parts = [int(p) for p in text.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def last_day(text: str) -> dt.date:
    """Oracle: the last day a reduced-precision date covers."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(*parts)


@st.composite
def periods(draw) -> tuple[str, str]:
    """A (start, end) pair of reduced dates with start's first day <= end's last day."""
    a, b = draw(reduced_dates()), draw(reduced_dates())
    return (a, b) if first_day(a) <= last_day(b) else (b, a) if first_day(b) <= last_day(a) else (a, a)
