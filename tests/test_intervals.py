"""Properties of the interval logic: qualifier bounds, reduced-precision dates, and rules that fire
exactly when their invariant is broken."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import validate
from conftest import build_package, fig, part
from desertion_data import _read
from strategies import QUALIFIERS, VALUES, first_day, last_day, periods, reduced_dates
from validate.intervals import ESTIMATE_TOLERANCE, TOLERANCE, bounds
from validate.readable import parse_number, rounding

# each example builds and validates a package (about 0.2 s): the slow tier (-m slow) runs these
RULE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one(value: float, qualifier: str) -> tuple[float, float]:
    lo, hi = bounds([value], [qualifier])
    return float(lo[0]), float(hi[0])


@given(VALUES, QUALIFIERS)
def test_bounds_are_ordered_and_contain_the_stated_value_unless_open(value, qualifier):
    lo, hi = one(value, qualifier)
    assert lo <= hi or (value == 0 and qualifier in ("more_than", "less_than"))
    if qualifier == "more_than":
        assert lo > value and hi == float("inf")
    elif qualifier == "less_than":
        assert hi < value or value == 0
    else:
        assert lo <= value <= hi


@pytest.mark.parametrize(
    ("qualifier", "low", "high"),
    [
        ("exact", Fraction(1), Fraction(1)),
        (
            "approximately",
            1 - Fraction(TOLERANCE).limit_denominator(),
            1 + Fraction(TOLERANCE).limit_denominator(),
        ),
        ("nearly", 1 - Fraction(TOLERANCE).limit_denominator(), Fraction(1)),
        ("up_to", Fraction(0), Fraction(1)),
        ("estimate", 1 - Fraction(ESTIMATE_TOLERANCE), 1 + Fraction(ESTIMATE_TOLERANCE)),
    ],
)
def test_bounds_match_the_documented_factors(qualifier, low, high):
    """t = 10% for approximately and nearly, 50% for an estimate: 60,000 -> the documented interval."""
    lo, hi = one(60000.0, qualifier)
    assert lo == pytest.approx(float(60000 * low)) and hi == pytest.approx(float(60000 * high))


def test_at_least_is_unbounded_above():
    assert one(18341.0, "at_least") == (18341.0, float("inf"))


@given(reduced_dates())
def test_reduced_dates_cover_the_calendar_interval(text):
    arr = pa.array([text])
    assert _read.first_day(arr).to_pylist() == [first_day(text)]
    assert _read.last_day(arr).to_pylist() == [last_day(text)]


IMPOSSIBLE = st.sampled_from(["2025-02-30", "2023-02-29", "2024-04-31", "2025-13-01", "2025-00-10"])


@given(st.lists(reduced_dates() | IMPOSSIBLE | st.none(), max_size=8))
def test_a_column_of_dates_reads_as_each_date_alone(texts):
    # whole columns take shortcuts (all written to the day: one cast); each cell must still read
    # as it does alone: its calendar days, or null where absent or impossible
    def alone(oracle, text):
        try:
            return oracle(text) if text else None
        except ValueError:
            return None

    arr = pa.array(texts, pa.string())
    assert _read.first_day(arr).to_pylist() == [alone(first_day, t) for t in texts]
    assert _read.last_day(arr).to_pylist() == [alone(last_day, t) for t in texts]


@given(st.integers(2000, 2030), st.integers(1, 12), st.integers(29, 35))
def test_impossible_days_are_not_dates(year, month, day):
    text = f"{year}-{month:02d}-{day:02d}"
    real = day <= __import__("calendar").monthrange(year, month)[1]
    assert (_read.first_day(pa.array([text])).to_pylist()[0] is not None) == real


@given(st.integers(1000, 10**9))
def test_dotted_thousands_read_back(n):
    """German, Turkish and Hungarian sources group thousands with dots: '19.044' is 19,044."""
    assert parse_number(f"{n:,}".replace(",", ".")) == n


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("21 bin 600", 21600),
        ("160.000", 160000),
        ("2 Millionen", 2e6),
        ("1.5", 1.5),
        ("viermal", 4),
        ("кожна п’ята", 0.2),
        ("jeder fünfte", 0.2),
        ("Fifty-six", 56),
        ("10 percent", 10),
        ("22 тысячам", 22000),
    ],
)
def test_scale_words_of_new_languages(text, n):
    assert parse_number(text) == n


@given(st.integers(0, 10**9), st.sampled_from([",", " ", "\u00a0", "\u202f"]))
def test_grouped_digits_read_back(n, sep):
    text = f"{n:,}".replace(",", sep)
    assert parse_number(text) == n


@given(st.integers(1, 9), st.integers(1, 20))
def test_one_in_n(a, b):
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert parse_number(f"{words[a - 1]} in {b}") == pytest.approx(a / b)


def _errors(path: Path, rule: str) -> set[str]:
    return {v.key for v in validate.run(path).violations if v.rule == rule and v.severity == "error"}


@pytest.mark.slow
@RULE_SETTINGS
@given(VALUES, QUALIFIERS, VALUES, QUALIFIERS)
def test_subset_within_total_fires_exactly_when_part_must_exceed(child, cq, parent, pq):
    with tempfile.TemporaryDirectory() as tmp:
        path = build_package(
            Path(tmp),
            figures=[
                fig("s1-f01", parent, qualifier=pq, value_text="x", excerpt="x"),
                part("s1-f02", child, "s1-f01", qualifier=cq, value_text="x", excerpt="x including"),
            ],
        )
        broken = one(child, cq)[0] > one(parent, pq)[1]
        assert _errors(path, "subset_within_total") == ({"s1-f02"} if broken else set())


@pytest.mark.slow
@RULE_SETTINGS
@given(periods(), periods())
def test_period_nested_fires_exactly_when_child_leaves_parent(child, parent):
    with tempfile.TemporaryDirectory() as tmp:
        path = build_package(
            Path(tmp),
            figures=[
                fig("s1-f01", 100, period_start=parent[0], period_end=parent[1]),
                part("s1-f02", 1, "s1-f01", period_start=child[0], period_end=child[1]),
            ],
        )
        broken = first_day(child[0]) < first_day(parent[0]) or last_day(child[1]) > last_day(parent[1])
        assert _errors(path, "period_nested") == ({"s1-f02"} if broken else set())


@pytest.mark.slow
@RULE_SETTINGS
@given(
    VALUES,
    QUALIFIERS,
    VALUES,
    QUALIFIERS,
    reduced_dates(2022, 2026),
    reduced_dates(2022, 2026),
    st.booleans(),
)
def test_cumulative_fires_exactly_when_a_later_count_must_be_lower(v1, q1, v2, q2, end1, end2, stated):
    with tempfile.TemporaryDirectory() as tmp:
        path = build_package(
            Path(tmp),
            figures=[
                fig(
                    "s1-f01",
                    v1,
                    qualifier=q1,
                    period_start="2022",
                    period_end=end1,
                    value_text="x",
                    excerpt="x",
                ),
                fig(
                    "s1-f02",
                    v2,
                    qualifier=q2,
                    period_start="2022",
                    period_end=end2,
                    value_text="x",
                    excerpt="x",
                    period_end_stated="true" if stated else "false",
                ),
            ],
        )
        expected = set()
        for (_a, va, qa, ea), (b, vb, qb, eb, sb) in (
            (("s1-f01", v1, q1, end1), ("s1-f02", v2, q2, end2, stated)),
            (("s1-f02", v2, q2, end2), ("s1-f01", v1, q1, end1, True)),
        ):
            if sb and last_day(ea) < first_day(eb) and one(vb, qb)[1] < one(va, qa)[0]:
                expected.add(b)
        assert _errors(path, "cumulative_nondecreasing") == expected


@pytest.mark.parametrize(
    ("text", "half"),
    [
        ("235,000", 500),
        ("60 тисяч", 500),
        ("56,2 тыс.", 50),
        ("8 500", 50),
        ("202 997", 0.5),
        ("884", 0.5),
        ("cinq", 0.5),
        ("one in three", 0),
        ("1.5", 0.05),
        ("21.000", 500),
        ("19.044", 0.5),
    ],
)
def test_rounding_is_half_the_last_stated_digit(text, half):
    """'235,000' may stand for 234,500..235,500; '202 997' is exact to the unit."""
    assert rounding(text) == pytest.approx(half)
