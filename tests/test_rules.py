"""Each rule reports exactly the (rule, key) pairs its minimal failing fixture breaks, and nothing on a
fixture that keeps it."""

from __future__ import annotations

import hashlib
import json

import pytest

import validate
from conftest import SOURCE_TEXT, fig, measure, part, row
from validate.rules import RULES


def found(path, rule: str, severity: str = "error", sources=None) -> set[tuple[str, str]]:
    report = validate.run(path, sources)
    return {(v.rule, v.key) for v in report.violations if v.rule == rule and v.severity == severity}


def all_errors(path, sources=None) -> set[tuple[str, str]]:
    return {(v.rule, v.key) for v in validate.run(path, sources).violations if v.severity == "error"}


def test_minimal_fixture_is_clean(make_package, tmp_path):
    """The base fixture breaks no rule, so each failing fixture below breaks only what it changes."""
    report = validate.run(make_package(), tmp_path / "sources")
    assert report.violations == []
    assert report.skipped == []
    assert report.rules_run == len(RULES)


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


def test_claim_unique(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 100),
            fig("s1-f02", 100),
            fig("s1-f03", 100),
            fig("s1-f04", 100, period_end="2024"),
        ]
    )
    assert found(path, "claim_unique") == {("claim_unique", "s1-f02"), ("claim_unique", "s1-f03")}


def test_penalty_terms_ordered(make_package):
    path = make_package(
        penalties=[
            row(
                "penalties",
                penalty_id="s1-p01",
                source_id="s1",
                country="UA",
                offence="awol",
                status="in_force",
                min_years=10,
                max_years=5,
                excerpt="from 10 to 5 years",
            ),
            row(
                "penalties",
                penalty_id="s1-p02",
                source_id="s1",
                country="UA",
                offence="awol",
                status="in_force",
                min_years=5,
                max_years=5,
                excerpt="5 years",
            ),
            row(
                "penalties",
                penalty_id="s1-p03",
                source_id="s1",
                country="UA",
                offence="awol",
                status="in_force",
                max_years=5,
                excerpt="up to 5 years",
            ),
        ]
    )
    assert found(path, "penalty_terms_ordered") == {("penalty_terms_ordered", "s1-p01")}


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


def test_unit_matches_measure(make_package):
    path = make_package(
        figures=[fig("s1-f01", 5, unit="persons"), fig("s1-f02", 5, measure="territory_occupied", unit="km2")]
    )
    assert found(path, "unit_matches_measure") == {("unit_matches_measure", "s1-f01")}


def test_no_spreadsheet_formula(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 5, notes="=HYPERLINK(1)"),
            fig("s1-f02", 6, notes="a - b"),
            fig("s1-f03", 7, reported_by="@someone"),
        ],
        quotes=[
            row("quotes", quote_id="s1-q01", source_id="s1", text="- a list item", kind="direct"),
            row("quotes", quote_id="s1-q02", source_id="s1", text="+1", kind="direct"),
        ],
    )
    assert found(path, "no_spreadsheet_formula") == {
        ("no_spreadsheet_formula", k) for k in ("s1-f01", "s1-f03", "s1-q01", "s1-q02")
    }


def test_claims_agree_warns_across_sources_only(make_package):
    path = make_package(
        sources=[
            row(
                "sources",
                source_id=s,
                url=f"https://example.org/{s}",
                language="en",
                origin="core-article",
                source_type="news",
                file=f"{s}.txt",
                sha256=c * 64,
            )
            for s, c in (("s1", "a"), ("s2", "b"))
        ],
        figures=[
            fig("s1-f01", 100),
            fig("s2-f01", 110, source_id="s2"),
            fig("s1-f05", 100, period_start="2021"),
            fig("s2-f05", 90, qualifier="more_than", source_id="s2", period_start="2021"),
            fig("s1-f02", 7, period_end="2024"),
            fig("s1-f03", 8, period_end="2024"),
        ],
    )
    assert found(path, "claims_agree", "warning") == {("claims_agree", "s1-f01"), ("claims_agree", "s2-f01")}
    assert found(path, "claims_agree") == set()


def test_foreign_keys_resolve(make_package):
    path = make_package(
        measures=[
            *[measure(m["measure"], m["broader"], m["unit"]) for m in __import__("conftest").MEASURES],
            measure("x_cases", "nowhere"),
        ],
        figures=[
            fig("s1-f01", 5, source_id="s9"),
            fig("s1-f02", 5, measure="nothing"),
            part("s1-f03", 5, "s1-f99"),
            fig("s1-f04", 5),
        ],
        quotes=[
            row("quotes", quote_id="s1-q01", source_id="s1", text="x", kind="direct", figure_id="s1-f77")
        ],
    )
    assert found(path, "foreign_keys_resolve") == {
        ("foreign_keys_resolve", k) for k in ("x_cases", "s1-f01", "s1-f02", "s1-f03", "s1-q01")
    }


def test_rows_match_schema(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 5, country="FR"),
            fig("s1-f02", -5, value_text="-5"),
            fig("s1-f03", 5, qualifier="roughly"),
            fig("s1-f04", 5, period_start="2025-02-30"),
            fig("s1-f05", 5, period_end="2025-13"),
            fig("bad id", 5),
            fig("s1-f07", 5),
            fig("s1-f07", 6),
        ],
        series=[],  # a series built from broken rows would break its own schema too
    )
    assert found(path, "rows_match_schema") == {
        ("rows_match_schema", k)
        for k in ("s1-f01", "s1-f02", "s1-f03", "s1-f04", "s1-f05", "bad id", "s1-f07")
    }


def test_package_intact(make_package):
    path = make_package()
    base = path.parent
    with (base / "data" / "figures.csv").open("a", encoding="utf-8") as fh:
        fh.write(",".join(fig("s1-f02", 7).values()) + "\n")
    (base / "data" / "stray.csv").write_text("a\n1\n", encoding="utf-8")
    desc = json.loads(path.read_text(encoding="utf-8"))
    desc["resources"][0]["schema"] = "schemas/other.schema.json"
    path.write_text(json.dumps(desc), encoding="utf-8")
    shared = base / "schemas" / "other.schema.json"
    shared.write_text(
        (base / "schemas" / "sources.schema.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    report = validate.run(path)
    got = sorted((v.resource, v.fields) for v in report.violations if v.rule == "package_intact")
    assert got == [("", ""), ("figures", "bytes"), ("figures", "hash"), ("sources", "schema")]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_rule_documented(rule):
    """Every rule states itself in plain words on its docstring's first line."""
    first = (rule.__doc__ or "").strip().splitlines()[0]
    assert first.endswith(".") or first.endswith(")."), rule.__name__
    assert len(first) < 110


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


def test_range_ends_ordered(make_package):
    """A range has both ends, low first; a single number has no high end."""
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
                800,
                qualifier="range",
                value_high=700,
                value_high_text="700",
                excerpt="between 800 and 700 each month.",
                period_start="2021",
            ),
            fig("s1-f03", 700, qualifier="range", excerpt="700 or so.", period_start="2020"),
            fig(
                "s1-f04",
                700,
                value_high=800,
                value_high_text="800",
                excerpt="700 to 800.",
                period_start="2019",
            ),
        ]
    )
    assert found(path, "range_ends_ordered") == {
        ("range_ends_ordered", k) for k in ("s1-f02", "s1-f03", "s1-f04")
    }


def test_range_bounds_used_by_claims_agree(make_package):
    """A range's bounds are [value, value_high]: a claim inside it agrees, one above it does not."""
    sources = [
        row(
            "sources",
            source_id=s,
            url=f"https://example.org/{s}",
            language="en",
            origin="core-article",
            source_type="news",
            file=f"{s}.txt",
            sha256=c * 64,
        )
        for s, c in (("s1", "a"), ("s2", "b"))
    ]
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
    assert found(path, "claims_agree", "warning") == {("claims_agree", "s1-f02"), ("claims_agree", "s2-f02")}


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
