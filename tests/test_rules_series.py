"""The series table: the choice rule, the range, derived cells, and the rules that keep it current."""

from __future__ import annotations

import csv
import random

import pytest

import validate
from conftest import fig, row, stamp_resource, write_csv
from validate.series import build, tables_of


def src(
    sid: str, source_type: str = "news", published: str = "2025-09-15", relays: str = ""
) -> dict[str, str]:
    return row(
        "sources",
        source_id=sid,
        url=f"https://example.org/{sid}",
        language="en",
        origin="stored-web-excerpt",
        source_type=source_type,
        relays=relays,
        file=f"{sid}.txt",
        sha256=(sid.encode().hex() * 64)[:64],
        published=published,
    )


OGP = {"reporting_body": "ua-prosecutor-general"}


def cells(path) -> dict[str, dict[str, str]]:
    return {r["series_id"]: r for r in build(tables_of(path))}


def found(path, rule: str, severity: str = "error") -> set[tuple[str, str]]:
    return {
        (v.rule, v.key) for v in validate.run(path).violations if v.rule == rule and v.severity == severity
    }


def test_choice_prefers_undisputed_primary_exact_latest(make_package):
    """best follows the rule in order: undisputed, counting body in news, exact, latest, then id."""
    sources = [
        src("s1"),
        src("s2", "aggregator"),
        src("s3", published="2025-10-01"),
        src("s4", published="2025-11-01"),
    ]
    path = make_package(
        sources=sources,
        figures=[
            # 2022: a disputed exact count loses to an undisputed hedged one
            fig("s1-f01", 100, disputed="true", period_end="2022", **OGP),
            fig("s3-f01", 110, qualifier="approximately", source_id="s3", period_end="2022", **OGP),
            # 2023: the counting body's figure in news beats the same body relayed by an aggregator
            fig("s2-f02", 200, source_id="s2", period_start="2023", period_end="2023", **OGP),
            fig("s3-f02", 201, source_id="s3", period_start="2023", period_end="2023", **OGP),
            # 2024: exact beats hedged; among exact ones the latest report wins
            fig(
                "s3-f03",
                300,
                qualifier="more_than",
                source_id="s3",
                period_start="2024",
                period_end="2024",
                **OGP,
            ),
            fig("s1-f03", 305, period_start="2024", period_end="2024", **OGP),
            fig("s4-f03", 306, source_id="s4", period_start="2024", period_end="2024", **OGP),
        ],
        discrepancies=[
            row("discrepancies", discrepancy_id="d001", kind="misreading", rows="s1-f01", explanation="x")
        ],
    )
    got = cells(path)
    assert got["UA-awol_cases-2022"]["best_figure_id"] == "s3-f01"
    assert got["UA-awol_cases-2023"]["best_figure_id"] == "s3-f02"
    assert got["UA-awol_cases-2024"]["best_figure_id"] == "s4-f03"
    assert got["UA-awol_cases-2024"]["method"] == "chosen"  # 305 and 306 exact cannot both hold


def test_range_is_the_envelope_of_undisputed_claims(make_package):
    """low..high spans every undisputed claim's bounds (with a round number's rounding), not disputed ones."""
    path = make_package(
        sources=[src("s1"), src("s2")],
        figures=[
            fig(
                "s1-f01",
                60000,
                value_text="60 тисяч",
                qualifier="approximately",
                excerpt="близько 60 тисяч справ",
                **OGP,
            ),
            fig("s2-f01", 59606, source_id="s2", **OGP),
            fig(
                "s2-f02",
                90000,
                source_id="s2",
                disputed="true",
                period_start="2022",
                period_end="2023",
                **OGP,
            ),
        ],
        discrepancies=[
            row("discrepancies", discrepancy_id="d001", kind="misreading", rows="s2-f02", explanation="x")
        ],
    )
    cell = cells(path)["UA-awol_cases-2022--2023"]
    # about 60 тисяч: 54,000..66,000, widened by 500 for the round written form
    assert (float(cell["low"]), float(cell["high"])) == (53500, 66500)
    assert cell["best"] == "59606" and cell["method"] == "claims_agree"
    assert cell["n_claims"] == "3" and "1 disputed claim(s) left out" in cell["notes"]


def test_relays_of_one_original_count_once(make_package):
    """n_sources counts origins: two outlets relaying the Prosecutor General are one source."""
    path = make_package(
        sources=[src("s1"), src("s2"), src("s3", relays="Mediazona")],
        figures=[
            fig("s1-f01", 10, **OGP),
            fig("s2-f01", 10, source_id="s2", **OGP),
            fig("s3-f01", 10, source_id="s3"),
        ],
    )
    assert cells(path)["UA-awol_cases-2022--2023"]["n_sources"] == "2"


def test_difference_of_cumulative_counts_is_derived(make_package):
    """Two primary undisputed counts from one start give the span between their ends, bounds propagated."""
    path = make_package(
        figures=[
            fig(
                "s1-f01",
                60000,
                value_text="60 тисяч",
                qualifier="approximately",
                excerpt="близько 60 тисяч",
                period_start="2022-01",
                period_end="2024-09",
                **OGP,
            ),
            fig("s1-f02", 235646, period_start="2022-01", period_end="2025-09", **OGP),
        ]
    )
    cell = cells(path)["UA-awol_cases-2024-10--2025-09"]
    assert cell["method"] == "derived_difference" and cell["derived_from"] == "s1-f02 s1-f01"
    assert (float(cell["best"]), float(cell["low"]), float(cell["high"])) == (
        175646,
        235646 - 66500,
        235646 - 53500,
    )


def test_articles_407_and_408_sum_to_the_total(make_package):
    """AWOL plus desertion proceedings for one period give all unauthorised-absence proceedings."""
    path = make_package(
        figures=[fig("s1-f01", 6988, **OGP), fig("s1-f02", 1234, measure="desertion_cases", **OGP)],
    )
    cell = cells(path)["UA-absence_cases-2022--2023"]
    assert cell["method"] == "derived_sum" and cell["best"] == "8222"


def test_build_is_deterministic_whatever_the_row_order(make_package):
    """The same claims in any order give byte-identical tables."""
    figures = [
        fig(f"s1-f{i:02d}", 100 + i, period_start="2022", period_end=f"{2022 + i % 3}", **OGP)
        for i in range(1, 12)
    ]
    first = build(tables_of(make_package(figures=figures)))
    random.Random(1).shuffle(figures)
    assert build(tables_of(make_package(figures=figures))) == first


def _edit_series(path, change) -> None:
    """Edit the committed series.csv of a fixture package and restamp it."""
    import json

    base = path.parent
    file = base / "data" / "series.csv"
    rows = list(csv.DictReader(file.open(encoding="utf-8")))
    change(rows)
    write_csv(file, "series", rows)
    desc = json.loads(path.read_text(encoding="utf-8"))
    desc["resources"] = [stamp_resource(base, r) for r in desc["resources"]]
    path.write_text(json.dumps(desc, indent=2), encoding="utf-8")


def test_series_current_names_stale_cells(make_package):
    path = make_package(
        figures=[fig("s1-f01", 10), fig("s1-f02", 20, period_start="2021", period_end="2021")]
    )
    assert found(path, "series_current") == set()

    def stale(rows):
        rows[0]["best"] = "11"
        rows.pop()

    _edit_series(path, stale)
    assert found(path, "series_current") == {
        ("series_current", "UA-awol_cases-2021"),
        ("series_current", "UA-awol_cases-2022--2023"),
    }


def _broken_series(make_package):
    """A package whose committed series has a best outside its range and a range that hides a claim."""
    path = make_package(
        sources=[src("s1"), src("s2")],
        figures=[
            fig("s1-f01", 10),
            fig("s2-f01", 10, source_id="s2"),
            fig("s1-f02", 20, period_start="2021", period_end="2021"),
        ],
    )

    def broken(rows):
        for r in rows:
            if r["series_id"] == "UA-awol_cases-2021":
                r["low"], r["high"] = "25", "30"
            else:
                r["low"], r["high"], r["best"] = "11", "12", "10"

    _edit_series(path, broken)
    return path


def test_series_bounds_ordered(make_package):
    """A best outside its range is an error."""
    path = _broken_series(make_package)
    assert found(path, "series_bounds_ordered") == {
        ("series_bounds_ordered", "UA-awol_cases-2021"),
        ("series_bounds_ordered", "UA-awol_cases-2022--2023"),
    }


def test_series_claims_within(make_package):
    """A range that hides an undisputed claim is an error."""
    path = _broken_series(make_package)
    assert found(path, "series_claims_within") == {
        ("series_claims_within", "UA-awol_cases-2021"),
        ("series_claims_within", "UA-awol_cases-2022--2023"),
    }


@pytest.mark.parametrize(("total", "warned"), [(300, False), (500, True)])
def test_series_years_agree(make_package, total, warned):
    """Yearly cells that cover a span must add up to it within bounds (a warning when they do not)."""
    path = make_package(
        figures=[
            fig("s1-f01", 100, period_start="2022", period_end="2022"),
            fig("s1-f02", 200, period_start="2023", period_end="2023"),
            fig("s1-f03", total, period_start="2022", period_end="2023", value_text=str(total)),
        ]
    )
    assert found(path, "series_years_agree", "warning") == (
        {("series_years_agree", "UA-awol_cases-2022--2023")} if warned else set()
    )
