"""Figures against each other and against the discrepancies (src/validate/rules/reconciliation.py).

Each rule reports exactly the (rule, key) pairs its minimal failing fixture breaks.
"""

from __future__ import annotations

import random

import validate
from conftest import fig, found, row, source
from validate.package import read_package
from validate.rules._common import figure_frame
from validate.rules.reconciliation import disagreeing_claims


def test_claims_agree_warns_across_sources_only(make_package):
    path = make_package(
        sources=[source(s, sha256=c * 64) for s, c in (("s1", "a"), ("s2", "b"))],
        figures=[
            fig("s1-f01", 100),
            fig("s2-f01", 110, source_id="s2"),
            fig("s1-f05", 100, period_start="2021"),
            fig("s2-f05", 90, qualifier="more_than", source_id="s2", period_start="2021"),
            fig("s1-f02", 7, period_end="2024"),
            fig("s1-f03", 8, period_end="2024"),
        ],
    )
    warned = [v for v in validate.run(path).violations if v.rule == "claims_agree"]
    assert [(v.severity, v.key) for v in warned] == [("warning", "s1-f01")]
    assert warned[0].message == "2 figures disagree on awol_cases 2022..2023: 100.0 (s1-f01); 110.0 (s2-f01)"


def test_claims_agree_reports_a_group_once_naming_up_to_20(make_package):
    """A claim stated by 30 sources, one of them off: one warning, 20 figures named, the rest counted."""
    sources = [f"s{n:02d}" for n in range(1, 31)]
    path = make_package(
        sources=[source(s, sha256=f"{n:064x}") for n, s in enumerate(sources)],
        figures=[fig(f"{s}-f01", 100 if s == "s07" else 200, source_id=s) for s in sources],
    )
    warned = [v for v in validate.run(path).violations if v.rule == "claims_agree"]
    assert [v.key for v in warned] == ["s01-f01"]
    assert warned[0].message.startswith(
        "30 figures disagree on awol_cases 2022..2023: 100.0 (s07-f01); 200.0 (s01-f01); "
    )
    assert warned[0].message.count(" (s") == 20 and warned[0].message.endswith("; and 10 more")


def test_range_bounds_used_by_claims_agree(make_package):
    """A range's bounds are [value, value_high]: a claim inside it agrees, one above it does not."""
    sources = [source(s, sha256=c * 64) for s, c in (("s1", "a"), ("s2", "b"))]
    ranged = dict(qualifier="range", value_high=800, value_high_text="800", excerpt="between 700 and 800.")
    path = make_package(
        sources=sources,
        figures=[
            fig("s1-f01", 700, **ranged),
            fig("s2-f01", 790, source_id="s2"),
            fig("s1-f02", 700, **ranged, period_start="2021"),
            fig("s2-f02", 810, source_id="s2", period_start="2021"),
        ],
    )
    assert found(path, "claims_agree", "warning") == {("claims_agree", "s1-f02")}


def test_derivation_agrees(make_package):
    """176,000 = 235,646 - about 60,000 holds; 30,000 does not; a missing input or half a pair is an error."""
    path = make_package(
        figures=[
            fig("s1-f01", 235646, period_end="2025"),
            fig("s1-f02", 60000, qualifier="approximately", period_end="2024"),
            fig("s1-f03", 176000, derivation="difference", derived_from="s1-f01 s1-f02", period_start="2024"),
            fig("s1-f04", 30000, derivation="difference", derived_from="s1-f01 s1-f02", period_start="2023"),
            fig("s1-f05", 10, derivation="ratio", derived_from="s1-f01 s1-f99", period_start="2022-05"),
            fig("s1-f06", 10, derivation="sum", period_start="2022-06"),
            fig("s1-f07", 4, derivation="ratio", derived_from="s1-f01 s1-f02", period_start="2022-07"),
        ]
    )
    assert found(path, "derivation_agrees") == {
        ("derivation_agrees", k) for k in ("s1-f04", "s1-f05", "s1-f06")
    }


def test_discrepancy_rows_exist(make_package):
    path = make_package(
        figures=[fig("s1-f01", 5, disputed="true"), fig("s1-f02", 6, disputed="true"), fig("s1-f03", 7)],
        discrepancies=[
            row(
                "discrepancies",
                discrepancy_id="d001",
                kind="misreading",
                rows="s1-f01",
                evidence="s1-f03",
                explanation="x",
            ),
            row(
                "discrepancies",
                discrepancy_id="d002",
                kind="unverified",
                rows="s1-f03 s1-f77",
                explanation="x",
            ),
            row(
                "discrepancies",
                discrepancy_id="d003",
                kind="rounding",
                rows="s1-f03",
                evidence="s1-e01",
                explanation="x",
            ),
        ],
    )
    assert found(path, "discrepancy_rows_exist") == {
        ("discrepancy_rows_exist", "d002"),
        ("discrepancy_rows_exist", "d003"),
    }


def test_disputed_means_questioned(make_package):
    """disputed is true exactly for rows a discrepancy lists in `rows`: not for evidence, in every table."""
    path = make_package(
        figures=[
            fig("s1-f01", 5, disputed="true"),  # questioned: fine
            fig("s1-f02", 6, disputed="true"),  # only evidence: wrongly disputed
            fig("s1-f03", 7),  # questioned but not marked
            fig("s1-f04", 8),  # evidence, not marked: fine
        ],
        penalties=[
            row(
                "penalties",
                penalty_id="s1-p01",
                source_id="s1",
                country="UA",
                offence="awol",
                status="in_force",
                applies_when="not_stated",
                excerpt="5 years",
                disputed="false",
            ),
        ],
        discrepancies=[
            row(
                "discrepancies",
                discrepancy_id="d001",
                kind="misreading",
                rows="s1-f01 s1-f03 s1-p01",
                evidence="s1-f02 s1-f04",
                explanation="x",
            ),
        ],
    )
    assert found(path, "disputed_means_questioned") == {
        ("disputed_means_questioned", "s1-f02"),
        ("disputed_means_questioned", "s1-f03"),
        ("disputed_means_questioned", "s1-p01"),
    }


def test_claims_agree_finds_what_comparing_every_pair_finds(make_package):
    """The per-group shortcut (two best sources a side) names exactly the figures that some pair of
    figures from different sources, compared one by one, shows to disagree."""
    rnd = random.Random(13)
    sources = ["s1", "s2", "s3", "s4"]
    qualifiers = ["exact", "approximately", "at_least", "more_than", "up_to", "nearly", "estimate"]
    figures = []
    for g in range(60):
        for k in range(rnd.randint(1, 7)):
            value = rnd.choice([90, 100, 105, 110, 150, 300])
            figures.append(
                fig(
                    f"x-f{g:02d}{k}",
                    value,
                    source_id=rnd.choice(sources),
                    qualifier=rnd.choice(qualifiers),
                    period_start=str(1900 + g),
                )
            )
    path = make_package(
        sources=[source(s, sha256=f"{n:064x}") for n, s in enumerate(sources)],
        figures=figures,
    )
    pkg = read_package(path)
    f = figure_frame(pkg).select("figure_id", "source_id", "period_start", "lo", "hi").rows()
    pairwise = {a[0] for a in f for b in f if a[2] == b[2] and a[1] != b[1] and (b[3] > a[4] or b[4] < a[3])}
    assert 10 < len(pairwise) < len(f)
    assert set(disagreeing_claims(pkg)["figure_id"]) == pairwise
