"""Periods and dates (src/validate/rules/time.py).

Each rule reports exactly the (rule, key) pairs its minimal failing fixture breaks.
"""

from __future__ import annotations

from conftest import fig, found, measure, row


def test_period_ordered(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 1, period_start="2024", period_end="2023"),
            fig("s1-f02", 2, period_start="2024-05", period_end="2024-05"),
            fig("s1-f03", 3, period_start="2025", period_end="2025-10"),
            fig("s1-f04", 4, period_start="2025", period_end="2025-09"),
        ],
        penalties=[
            row(
                "penalties",
                penalty_id="s1-p01",
                source_id="s1",
                country="UA",
                offence="awol",
                status="waived",
                effective_from="2025",
                effective_to="2024-12",
                excerpt="There were 10 cases",
            ),
            row(
                "penalties",
                penalty_id="s1-p02",
                source_id="s1",
                country="UA",
                offence="awol",
                status="waived",
                effective_from="2024-12",
                effective_to="2024-12",
                excerpt="There were 10 cases",
            ),
        ],
    )
    assert found(path, "period_ordered") == {
        ("period_ordered", "s1-f01"),
        ("period_ordered", "s1-f03"),
        ("period_ordered", "s1-p01"),
    }


def test_cumulative_nondecreasing(make_package):
    """A later count from one start may not be lower; a later end that is only a bound is not compared."""
    path = make_package(
        figures=[
            fig("s1-f01", 100, period_start="2022", period_end="2024-06"),
            fig("s1-f02", 90, period_start="2022", period_end="2024-09"),
            fig("s1-f03", 80, period_start="2022", period_end="2025-01", period_end_stated="false"),
            fig("s1-f04", 95, qualifier="approximately", period_start="2022", period_end="2025-03"),
            fig("s1-f05", 50, period_start="2023", period_end="2025-06"),
            fig("s1-f06", 50, measure="desertion_cases", period_start="2022", period_end="2025-06"),
        ]
    )
    assert found(path, "cumulative_nondecreasing") == {("cumulative_nondecreasing", "s1-f02")}


def test_cumulative_nondecreasing_leaves_rates_and_factors_alone(make_package):
    """A growth factor or a monthly rate from one start may fall; only counts accumulate."""
    path = make_package(
        measures=[
            measure("awol_cases"),
            measure("growth", unit="factor"),
            measure("per_month", unit="cases_per_month"),
        ],
        figures=[
            fig("s1-f01", 6, measure="growth", unit="factor", period_start="2022", period_end="2024-09"),
            fig("s1-f02", 4, measure="growth", unit="factor", period_start="2022", period_end="2025-10"),
            fig(
                "s1-f03",
                900,
                measure="per_month",
                unit="cases_per_month",
                period_start="2022",
                period_end="2024",
            ),
            fig(
                "s1-f04",
                800,
                measure="per_month",
                unit="cases_per_month",
                period_start="2022",
                period_end="2025",
            ),
            fig("s1-f05", 100, period_start="2022", period_end="2024"),
            fig("s1-f06", 90, period_start="2022", period_end="2025"),
        ],
    )
    assert found(path, "cumulative_nondecreasing") == {("cumulative_nondecreasing", "s1-f06")}


def test_period_end_stated_dated(make_package):
    """A period said to be stated by its source must have its end recorded."""
    path = make_package(
        figures=[
            fig("s1-f01", 5, period_end="", period_end_stated="true"),
            fig("s1-f02", 6, period_end="", period_end_stated="false", period_start="2021"),
            fig("s1-f03", 7, period_end="2024", period_end_stated="true"),
        ]
    )
    assert found(path, "period_end_stated_dated") == {("period_end_stated_dated", "s1-f01")}
