"""Excerpts in their sources, numbers in their excerpts (src/validate/rules/provenance.py).

Each rule reports exactly the (rule, key) pairs its minimal failing fixture breaks.
"""

from __future__ import annotations

import validate
from conftest import SOURCE_TEXT, fig, found, row


def test_excerpt_verbatim(make_package, tmp_path):
    path = make_package(
        figures=[
            fig("s1-f01", 10, excerpt="There were 10 cases, including 4 desertions"),
            fig("s1-f02", 10, excerpt="There were 10 cases,  including"),
        ],
        quotes=[
            row("quotes", quote_id="s1-q01", source_id="s1", text="Nearly 20 more.", kind="direct"),
            row("quotes", quote_id="s1-q02", source_id="s1", text="nearly 20 more", kind="direct"),
        ],
    )
    assert found(path, "excerpt_verbatim", sources=tmp_path / "sources") == {
        ("excerpt_verbatim", "s1-f02"),
        ("excerpt_verbatim", "s1-q02"),
    }


def test_excerpt_verbatim_skipped_without_sources(make_package):
    """Without a sources folder the rule is reported as skipped, with how many rows went unchecked."""
    path = make_package(quotes=[row("quotes", quote_id="s1-q01", source_id="s1", text="x", kind="direct")])
    report = validate.run(path)
    assert [(s.rule, s.rows) for s in report.skipped] == [("excerpt_verbatim", 2)]
    assert "SKIPPED excerpt_verbatim" in report.to_text()


def test_excerpt_verbatim_missing_source_text(make_package, tmp_path):
    path = make_package()
    (tmp_path / "sources" / "s1.txt").write_text(SOURCE_TEXT + " changed", encoding="utf-8")
    assert found(path, "excerpt_verbatim", sources=tmp_path / "sources") == {("excerpt_verbatim", "s1")}


def test_value_readable(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 202997, value_text="202,997"),
            fig("s1-f02", 0.333333, value_text="one in three", unit="cases"),
            fig("s1-f03", 202997, value_text="202,997", excerpt="They counted 202 997 cases."),
            fig("s1-f04", 20997, value_text="202,997"),
            fig("s1-f05", 10, value_text="tenfold"),
            fig("s1-f06", 60000, value_text="60 тисяч"),
        ],
        penalties=[
            row(
                "penalties",
                penalty_id="s1-p01",
                source_id="s1",
                country="UA",
                offence="awol",
                status="in_force",
                min_years=5,
                max_years=12,
                excerpt="carry 5–12 years in jail",
            ),
            row(
                "penalties",
                penalty_id="s1-p02",
                source_id="s1",
                country="UA",
                offence="awol",
                status="proposed",
                min_years=5,
                max_years=10,
                excerpt="five or eleven years",
            ),
        ],
    )
    assert found(path, "value_readable") == {
        ("value_readable", "s1-f03"),
        ("value_readable", "s1-f04"),
        ("value_readable", "s1-p02"),
    }


def test_value_high_readable(make_package):
    """A range's high end must be written in the excerpt and read as value_high."""
    path = make_package(
        figures=[
            fig(
                "s1-f01",
                700,
                qualifier="range",
                value_high=800,
                value_high_text="800",
                excerpt="between 700 and 800 each month.",
            ),
            fig(
                "s1-f02",
                700,
                qualifier="range",
                value_high=900,
                value_high_text="800",
                excerpt="between 700 and 800 each month.",
                period_start="2021",
            ),
            fig(
                "s1-f03",
                700,
                qualifier="range",
                value_high=900,
                value_high_text="900",
                excerpt="between 700 and 800 each month.",
                period_start="2020",
            ),
            # the low end of '17–18 тисяч' takes the high end's scale word: 17,000 reads, 17 does not
            fig(
                "s1-f04",
                17000,
                value_text="17",
                qualifier="range",
                value_high=18000,
                value_high_text="18 тисяч",
                excerpt="близько 17–18 тисяч на місяць.",
                period_start="2019",
            ),
            fig(
                "s1-f05",
                17,
                value_text="17",
                qualifier="range",
                value_high=18000,
                value_high_text="18 тисяч",
                excerpt="близько 17–18 тисяч на місяць.",
                period_start="2018",
            ),
        ]
    )
    assert found(path, "value_readable") == {
        ("value_readable", "s1-f02"),
        ("value_readable", "s1-f03"),
        ("value_readable", "s1-f05"),
    }
