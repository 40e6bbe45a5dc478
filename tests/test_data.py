"""The real package: valid for frictionless, clean for every rule, faithful to its source texts."""

from __future__ import annotations

import csv
import json

import frictionless
import polars as pl
import pytest

import desertion_data as dd
import validate
from conftest import ROOT
from validate.package import read_package
from validate.rules import excerpt_verbatim, source_texts, value_readable
from validate.rules.reconciliation import disagreeing_claims

TABLES = dd.names()


def test_frictionless_finds_the_package_valid():
    report = frictionless.validate(str(ROOT / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_every_rule_passes_on_the_real_package():
    report = validate.run(ROOT / "datapackage.json")
    assert [v for v in report.violations if v.severity == "error"] == []


def test_excerpts_and_quotes_are_verbatim_in_their_sources(sources_dir):
    """Every excerpt and quote occurs verbatim in the source text with its sources.sha256."""
    pkg = read_package(ROOT / "datapackage.json", sources_dir)
    assert set(source_texts(pkg)) == set(pkg.frame("sources")["source_id"])
    assert list(excerpt_verbatim(pkg)) == []


def test_each_value_is_readable_in_its_excerpt():
    """Each value_text ('235,000', 'one in three', 'tenfold') is in its excerpt and reads as the value."""
    pkg = read_package(ROOT / "datapackage.json")
    assert list(value_readable(pkg)) == []
    words = set(pkg.frame("figures")["value_text"])
    assert {"one in three", "tenfold", "10%"} <= words


@pytest.mark.parametrize("table", TABLES)
def test_csv_is_plain_utf8_lf_with_schema_header(table):
    raw = dd.path(table).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw and raw.endswith(b"\n")
    header = next(csv.reader([raw.decode("utf-8").split("\n", 1)[0]]))
    assert header == [f["name"] for f in dd.schema(table)["fields"]]


@pytest.mark.parametrize("table", TABLES)
def test_every_field_is_described(table):
    for field in dd.schema(table)["fields"]:
        assert field.get("description"), f"{table}.{field['name']} has no description"


def test_no_whole_source_text_is_copied(sources_dir):
    """The project keeps short excerpts only: no cell of source words (excerpts, quotes, the words that
    give a value, period, date) is longer than 600 characters or holds most of its source (80%)."""
    lengths = {p.name: len(p.read_text(encoding="utf-8")) for p in sources_dir.glob("*.txt")}
    files = {r["source_id"]: r["file"] for r in csv.DictReader(dd.path("sources").open(encoding="utf-8"))}
    verbatim = ("excerpt", "text", "value_text", "value_high_text", "period_text", "date_text")
    for table in TABLES:
        for record in csv.DictReader(dd.path(table).open(encoding="utf-8")):
            whole = lengths.get(files.get(record.get("source_id", ""), ""), 0)
            for col in verbatim:
                cell = record.get(col) or ""
                assert len(cell) <= 600 and (not whole or len(cell) < 0.8 * whole), (
                    table,
                    col,
                    len(cell),
                    whole,
                )


def test_descriptor_names_license_sources_and_contributors():
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["name"] == "desertion-data"
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    assert desc["sources"] and desc["contributors"] and desc["keywords"]
    for res in desc["resources"]:
        assert res["schema"] == f"schemas/{res['name']}.schema.json"
        assert (
            res["hash"].startswith("sha256:")
            and res["mediatype"] == "text/csv"
            and res["encoding"] == "utf-8"
        )


def test_every_conflict_warning_is_explained_by_a_discrepancy():
    """Each claims_agree warning on the real package is one disagreeing claim, and every figure in it
    that disagrees with another source is a row some discrepancy covers."""
    pkg = read_package(ROOT / "datapackage.json")
    disagreeing = disagreeing_claims(pkg)
    warned = [v for v in validate.run(ROOT / "datapackage.json").violations if v.rule == "claims_agree"]
    assert len(warned) == disagreeing["group"].n_unique()
    firsts = disagreeing.group_by("group").agg(pl.col("figure_id").min())["figure_id"]
    assert sorted(v.key for v in warned) == sorted(firsts)
    for v in warned:
        assert " more" not in v.message, "a group above the cap: its unnamed members go unchecked here"
    covered = set()
    for row in csv.DictReader((ROOT / "data" / "discrepancies.csv").open(encoding="utf-8")):
        covered |= set(row["rows"].split()) | set(row["evidence"].split())
    members = set(disagreeing["figure_id"])
    assert members and members <= covered, sorted(members - covered)


def test_the_real_package_has_no_unexplained_warning_kinds():
    """Warnings come only from conflicting claims and from parts stated as 'more than' (no upper bound)."""
    report = validate.run(ROOT / "datapackage.json")
    kinds = {v.rule for v in report.violations if v.severity == "warning"}
    assert kinds <= {"claims_agree", "subset_within_total"}
    for v in report.violations:
        if v.rule == "subset_within_total":
            assert "up to inf" in v.message, v
