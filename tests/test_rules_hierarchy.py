"""Parts and totals (src/validate/rules/hierarchy.py).

Each rule reports exactly the (rule, key) pairs its minimal failing fixture breaks.
"""

from __future__ import annotations

import hashlib
import itertools
import random

from conftest import SOURCE_TEXT, fig, found, part, row
from validate.rules.hierarchy import _best_disjoint


def test_subset_within_total(make_package):
    """A part whose lowest value exceeds its total's highest is an error; one that only might, a warning."""
    path = make_package(
        figures=[
            fig("s1-f01", 100),
            part("s1-f02", 150, "s1-f01"),
            part("s1-f03", 95, "s1-f01", qualifier="approximately"),
            part("s1-f04", 50, "s1-f01"),
        ]
    )
    assert found(path, "subset_within_total") == {("subset_within_total", "s1-f02")}
    assert found(path, "subset_within_total", "warning") == {("subset_within_total", "s1-f03")}


def test_subset_within_total_needs_same_unit_and_country(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 100),
            part("s1-f02", 5, "s1-f01", country="RU"),
        ]
    )
    assert found(path, "subset_within_total") == {("subset_within_total", "s1-f02")}


def test_more_than_is_open(make_package):
    """'more than 100' cannot be part of exactly 100, though 'at least 100' can."""
    path = make_package(
        figures=[
            fig("s1-f01", 100, measure="absence_cases"),
            part("s1-f02", 100, "s1-f01", qualifier="more_than"),
            part("s1-f03", 100, "s1-f01", qualifier="at_least", measure="desertion_cases"),
        ]
    )
    assert found(path, "subset_within_total") == {("subset_within_total", "s1-f02")}


def test_parts_within_total(make_package):
    """Disjoint parts summing above the total are reported on the total; overlapping parts are not summed."""
    path = make_package(
        figures=[
            fig("s1-f01", 100, period_start="2022", period_end="2024"),
            part("s1-f02", 60, "s1-f01", period_start="2022", period_end="2022"),
            part("s1-f03", 60, "s1-f01", period_start="2023", period_end="2023"),
            fig("s1-f10", 100, period_start="2022", period_end="2024"),
            part("s1-f11", 60, "s1-f10", period_start="2022", period_end="2023"),
            part("s1-f12", 60, "s1-f10", period_start="2023", period_end="2024"),
        ]
    )
    assert found(path, "parts_within_total") == {("parts_within_total", "s1-f01")}


def test_period_nested(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 100, period_start="2022-03", period_end="2024"),
            part("s1-f02", 5, "s1-f01", period_start="2022", period_end="2023"),
            part("s1-f03", 5, "s1-f01", period_start="2024-01", period_end="2025-01"),
            part("s1-f04", 5, "s1-f01", period_start="2022-03-01", period_end="2024-12"),
        ]
    )
    assert found(path, "period_nested") == {("period_nested", "s1-f02"), ("period_nested", "s1-f03")}


def test_parent_measure_broader(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 100, measure="desertion_cases"),
            part("s1-f02", 5, "s1-f01", measure="awol_cases"),
            fig("s1-f03", 200, measure="absence_cases"),
            part("s1-f04", 5, "s1-f03", measure="awol_cases"),
            part("s1-f05", 5, "s1-f01", measure="desertion_cases"),
        ]
    )
    assert found(path, "parent_measure_broader") == {("parent_measure_broader", "s1-f02")}


def test_parent_chain_acyclic(make_package):
    path = make_package(
        figures=[
            part("s1-f01", 100, "s1-f02"),
            part("s1-f02", 100, "s1-f01"),
            part("s1-f03", 100, "s1-f03"),
            part("s1-f04", 100, "s1-f01"),
            fig("s1-f05", 100),
            part("s1-f06", 10, "s1-f05"),
        ]
    )
    assert found(path, "parent_chain_acyclic") == {
        ("parent_chain_acyclic", "s1-f01"),
        ("parent_chain_acyclic", "s1-f02"),
        ("parent_chain_acyclic", "s1-f03"),
    }


def test_parent_basis_stated(make_package):
    path = make_package(
        sources=[
            row(
                "sources",
                source_id="s1",
                url="https://example.org/1",
                language="en",
                origin="core-article",
                source_type="news",
                file="s1.txt",
                sha256=hashlib.sha256(SOURCE_TEXT.encode()).hexdigest(),
            ),
            row(
                "sources",
                source_id="s2",
                url="https://example.org/2",
                language="en",
                origin="core-article",
                source_type="news",
                file="s2.txt",
                sha256="0" * 64,
            ),
        ],
        figures=[
            fig("s1-f01", 100),
            fig("s1-f02", 5, parent_figure_id="s1-f01"),
            fig("s1-f03", 5, parent_basis="including"),
            fig(
                "s1-f04", 5, parent_figure_id="s1-f01", parent_basis="alone", excerpt="They counted 5 cases."
            ),
            part("s2-f01", 5, "s1-f01", source_id="s2"),
            part("s1-f05", 5, "s1-f01"),
        ],
    )
    assert found(path, "parent_basis_stated") == {
        ("parent_basis_stated", k) for k in ("s1-f02", "s1-f03", "s1-f04", "s2-f01")
    }


def test_parts_sum_to_total(make_package):
    """A total declared split must equal its parts' sum within the qualifiers, and must have parts.

    s1-f40 is split by period (40 + 60); its narrower-measure child s1-f43 is a subset, not a part.
    """
    part = {"parent_basis": "including"}
    path = make_package(
        figures=[
            fig("s1-f01", 100, split_into_parts="true"),
            fig("s1-f02", 60, parent_figure_id="s1-f01", **part),
            fig("s1-f03", 30, parent_figure_id="s1-f01", **part),
            fig("s1-f10", 100, split_into_parts="true", qualifier="nearly"),
            fig("s1-f11", 60, parent_figure_id="s1-f10", **part),
            fig("s1-f12", 35, parent_figure_id="s1-f10", **part),
            fig("s1-f20", 100, split_into_parts="true"),
            fig("s1-f30", 100),
            fig("s1-f31", 10, parent_figure_id="s1-f30", **part),
            fig("s1-f40", 100, split_into_parts="true", period_end="2024"),
            fig("s1-f41", 40, parent_figure_id="s1-f40", period_end="2022", **part),
            fig("s1-f42", 60, parent_figure_id="s1-f40", period_start="2023", period_end="2024", **part),
            fig("s1-f43", 70, measure="desertion_cases", parent_figure_id="s1-f40", **part),
        ]
    )
    assert found(path, "parts_sum_to_total") == {
        ("parts_sum_to_total", "s1-f01"),
        ("parts_sum_to_total", "s1-f20"),
    }


def test_parts_within_total_picks_the_heaviest_disjoint_parts():
    """The interval scheduling behind parts_within_total finds the best sum that trying every set finds."""
    rnd = random.Random(13)
    for _ in range(200):
        rows = []
        for k in range(rnd.randint(1, 8)):
            start = rnd.randint(0, 20)
            rows.append((f"f{k}", start, start + rnd.randint(0, 6), float(rnd.randint(1, 9))))
        best = 0.0
        for mask in range(1 << len(rows)):
            chosen = [r for k, r in enumerate(rows) if mask >> k & 1]
            if all(a[2] < b[1] or b[2] < a[1] for a, b in itertools.combinations(chosen, 2)):
                best = max(best, sum(r[3] for r in chosen))
        total, ids = _best_disjoint(rows)
        picked = [r for r in rows if r[0] in ids]
        assert total == best == sum(r[3] for r in picked)
        assert all(a[2] < b[1] or b[2] < a[1] for a, b in itertools.combinations(picked, 2))
