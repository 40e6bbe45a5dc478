"""The codebook is generated from the schemas: every field, its type, constraints, allowed values
with their meanings; docs/codebook.md is its committed copy and must not go stale."""

from __future__ import annotations

import csv
import io

import pytest

import desertion_data as dd
from conftest import ROOT
from desertion_data._codebook import meaning
from desertion_data.cli import main


def test_committed_codebook_is_current():
    committed = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert committed == dd.codebook("md"), "stale: run nox -s docs"


def test_readme_links_the_codebook():
    assert "(docs/codebook.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", dd.names())
def test_every_field_has_a_row_with_its_type_and_enum(name):
    book = dd.codebook()
    rows = book[book["table"] == name].set_index("field")
    for field in dd.schema(name)["fields"]:
        got = rows.loc[field["name"]]
        assert got["type"] == field["type"] and got["description"] == field.get("description", "")
        for value in (field.get("constraints") or {}).get("enum", []):
            assert f"`{value}`" in got["values"]
        if (field.get("constraints") or {}).get("required"):
            assert "required" in got["constraints"]


def test_keys_are_named_in_constraints():
    book = dd.codebook().set_index(["table", "field"])
    assert "primary key" in book.loc[("figures", "figure_id"), "constraints"]
    assert "references sources.source_id" in book.loc[("figures", "source_id"), "constraints"]
    assert "references this table.figure_id" in book.loc[("figures", "parent_figure_id"), "constraints"]
    assert book.loc[("figures", "period_start_date"), "type"] == "date"


@pytest.mark.parametrize(
    ("value", "description", "want"),
    [
        ("exact", "How: exact (no hedge), approximately ('about', 'some'), nearly.", "no hedge"),
        (
            "approximately",
            "How: exact (no hedge), approximately ('about', 'some'), nearly.",
            "'about', 'some'",
        ),
        ("nearly", "How: exact (no hedge), approximately ('about', 'some'), nearly.", ""),
        ("x", "x (a (nested) meaning), y", "a (nested) meaning"),
        (
            "desertion-data",
            "'desertion-data' means the translation is ours, not the source's.",
            "the translation is ours, not the source's",
        ),
        (
            "sum",
            "difference (the first minus the others), sum, or ratio (the first divided by the second)",
            "",
        ),
        ("awol", "awol_x (wrong), awol (right)", "right"),
    ],
)
def test_meaning_is_read_from_the_description(value, description, want):
    assert meaning(value, description) == want


def test_cli_codebook_md_and_csv(tmp_path, capsys):
    assert main(["codebook"]) == 0
    assert capsys.readouterr().out == dd.codebook("md")
    assert main(["codebook", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(dd.codebook()) and rows[0]["table"] == dd.names()[0]
    out = tmp_path / "book.md"
    assert main(["codebook", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == dd.codebook("md")
    assert main(["codebook", "--out", str(out)]) == 1
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["codebook", "--out", str(out), "--force"]) == 0


def test_codebook_rejects_an_unknown_format():
    with pytest.raises(ValueError, match="format must be"):
        dd.codebook("html")
