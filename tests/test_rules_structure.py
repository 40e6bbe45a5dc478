"""The files, the schema, keys and single rows (src/validate/rules/structure.py).

Each rule reports exactly the (rule, key) pairs its minimal failing fixture breaks.
"""

from __future__ import annotations

import json

import validate
from conftest import MEASURES, fig, found, measure, part, row


def test_csv_well_formed(make_package):
    """A ragged row is reported by its key, CRLF line ends on the table; the other rows still count."""
    path = make_package(figures=[fig("s1-f01"), fig("s1-f02"), fig("s1-f03")])
    data = path.parent / "data"
    lines = (data / "figures.csv").read_text(encoding="utf-8").split("\n")
    lines[2] += ",one cell too many"
    (data / "figures.csv").write_text("\n".join(lines), encoding="utf-8")
    (data / "sources.csv").write_bytes((data / "sources.csv").read_bytes().replace(b"\n", b"\r\n"))
    report = validate.run(path)
    got = {(v.resource, v.key) for v in report.violations if v.rule == "csv_well_formed"}
    assert got == {("figures", "s1-f02"), ("sources", "")}
    assert report.rows["figures"] == 2


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


def test_foreign_keys_resolve(make_package):
    path = make_package(
        measures=[
            *[measure(m["measure"], m["broader"], m["unit"]) for m in MEASURES],
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


def test_unit_matches_measure(make_package):
    path = make_package(
        figures=[fig("s1-f01", 5, unit="persons"), fig("s1-f02", 5, measure="territory_occupied", unit="km2")]
    )
    assert found(path, "unit_matches_measure") == {("unit_matches_measure", "s1-f01")}


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
