"""The loader and CLI users call, from this checkout (the wheel is tested in test_wheel.py)."""

from __future__ import annotations

import csv
import subprocess
import sys

import pandas as pd
import pytest

import desertion_data as dd
from desertion_data.cli import main

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


def csv_rows(name: str) -> int:
    with dd.path(name).open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@pytest.mark.parametrize("name", dd.names())
def test_load_types_every_column_from_its_schema(name):
    frame = dd.load(name)
    assert len(frame) == csv_rows(name)
    for field in dd.schema(name)["fields"]:
        assert str(frame[field["name"]].dtype) == PANDAS_DTYPES[field["type"]], field["name"]


def test_reduced_dates_get_filterable_days():
    """A start reads as its first day and an end as its last, so period filters are inclusive."""
    f = dd.load("figures").set_index("figure_id")
    row = f.loc["jointearn-record-numbers-f03"]
    assert row["period_start"] == "2024-09" and row["period_start_date"] == pd.Timestamp("2024-09-01")
    assert row["period_end"] == "2025-09" and row["period_end_date"] == pd.Timestamp("2025-09-30")


def test_unknown_table_lists_the_valid_ones():
    with pytest.raises(KeyError, match="the tables are: sources, measures, reporting_bodies, figures"):
        dd.load("figure")


def test_polars_backend_has_the_same_rows():
    pl = pytest.importorskip("polars", reason="polars extra not installed")
    frame = dd.load("figures", backend="polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == len(dd.load("figures"))


def test_load_all_and_names_agree():
    assert list(dd.load_all()) == dd.names() == [r["name"] for r in dd.descriptor()["resources"]]


def test_import_does_not_load_pandas():
    code = "import sys, desertion_data; print('pandas' in sys.modules, 'pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_verify_passes_on_this_checkout():
    result = dd.verify()
    assert result.ok and result.checked == len(dd.names()), str(result)


def test_cite_names_version_date_and_checksum():
    text = dd.cite()
    assert dd.__version__ in text and dd.package_sha256() in text and dd.descriptor()["created"][:10] in text
    assert dd.cite(style="bibtex").startswith("@misc{desertion_data_")
    assert f"version: {dd.__version__}" in dd.cite(style="cff")
    with pytest.raises(ValueError, match="style must be one of"):
        dd.cite(style="apa")


def test_cite_one_figure_gives_its_original_source():
    text = dd.cite(figure_id="the-spark-2025-09-15-f01")
    assert "https://the-spark.net/np1234801.html" in text and "202,997" in text
    with pytest.raises(KeyError):
        dd.cite(figure_id="nope")


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["list"], 0, ["figures", "data/figures.csv"]),
        (["show", "penalties", "--limit", "2"], 0, ["(2 of"]),
        (["show", "nope"], 1, ["no table named 'nope'"]),
        (["cite", "--format", "bibtex"], 0, ["@misc{"]),
        (["cite", "--figure", "jointearn-record-numbers-f01"], 0, ["news.jointearn.com"]),
        (["cite", "--figure", "nope"], 1, ["no figure"]),
        (["verify"], 0, [f"ok: {len(dd.names())} tables"]),
        (["info"], 0, ["desertion-data", "figures:"]),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else None,
)
def test_cli_commands(args, code, words, capsys):
    assert main(args) == code
    out = capsys.readouterr()
    for word in words:
        assert word in out.out + out.err


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "sqlite"])
def test_cli_export(fmt, tmp_path):
    out = tmp_path / ("tables" if fmt in ("csv", "parquet") else f"tables.{fmt}")
    assert main(["export", "--format", fmt, "--out", str(out)]) == 0
    if fmt == "sqlite":
        import sqlite3

        with sqlite3.connect(out) as con:
            (n,) = con.execute("select count(*) from figures").fetchone()
        assert n == len(dd.load("figures"))
    elif fmt == "xlsx":
        assert pd.read_excel(out, sheet_name="figures").shape[0] == len(dd.load("figures"))
    else:
        assert sorted(p.stem for p in out.iterdir()) == sorted(dd.names())


def test_cli_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "pdf", "--out", "x"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_data_root_override_loads_another_copy(tmp_path):
    """DESERTION_DATA_ROOT points the loader at another package; a folder without one is refused."""
    import os
    import shutil

    from conftest import ROOT

    for name in ("data", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "datapackage.json", tmp_path / "datapackage.json")
    figures = tmp_path / "data" / "figures.csv"
    lines = figures.read_text(encoding="utf-8").splitlines(keepends=True)
    figures.write_text("".join(lines[:3]), encoding="utf-8")
    code = "import desertion_data as d; print(len(d.load('figures')))"
    env = {**os.environ, "DESERTION_DATA_ROOT": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "2"
    env["DESERTION_DATA_ROOT"] = str(tmp_path / "nowhere")
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "holds no datapackage.json" in bad.stderr
