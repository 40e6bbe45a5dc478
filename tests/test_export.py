"""Exports keep the package's structure (read back with sqlite3, pyarrow and openpyxl), never write
outside the folder named, never write a formula, and refuse what they cannot do in one line."""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest

import desertion_data as dd
from conftest import ROOT, fig
from desertion_data._export import formula_like
from desertion_data.cli import main

TYPED = {"string": str, "integer": int, "boolean": int}


def date_columns(name: str) -> list[str]:
    return [f"{f['name']}_date" for f in dd.schema(name)["fields"] if "x-reduced-date" in f]


def keys(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sqlite") / "desertion.db"
    dd.export("sqlite", out)
    return out


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    dd.export("parquet", out)
    return out


@pytest.fixture(scope="module")
def xlsx_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("xlsx") / "desertion.xlsx"
    dd.export("xlsx", out)
    return out


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_export_is_the_package_dialect_byte_for_byte(tmp_path):
    """Lowercase booleans, 202997 not 202997.0, LF, minimal quoting: the same bytes as data/."""
    written = dd.export("csv", tmp_path / "csv")
    assert [p.name for p in written] == [f"{n}.csv" for n in dd.names()]
    for name, path in zip(dd.names(), written, strict=True):
        assert path.read_bytes() == dd.path(name).read_bytes(), name
    text = (tmp_path / "csv" / "figures.csv").read_text(encoding="utf-8")
    assert ",202997," in text and "202997.0" not in text and ",true," in text and ",True," not in text


# --- SQLite ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", dd.names())
def test_sqlite_keeps_primary_keys_columns_and_rows(sqlite_db, name):
    schema = dd.schema(name)
    with sqlite3.connect(sqlite_db) as con:
        info = con.execute(f'pragma table_info("{name}")').fetchall()
        (n,) = con.execute(f'select count(*) from "{name}"').fetchone()
    assert n == len(dd.load(name))
    columns = [c[1] for c in info]
    assert columns == [f["name"] for f in schema["fields"]] + date_columns(name)
    pk = sorted((c[5], c[1]) for c in info if c[5])
    assert [c for _, c in pk] == keys(schema.get("primaryKey"))


@pytest.mark.parametrize("name", dd.names())
def test_sqlite_foreign_keys_and_their_indexes_come_from_the_schema(sqlite_db, name):
    """Every foreign key in a schema (a reference without a resource is to the same table) is a
    foreign key in SQLite with an index, and every value in it resolves."""
    want = set()
    for fk in dd.schema(name).get("foreignKeys") or []:
        ref = fk["reference"]
        for a, b in zip(keys(fk["fields"]), keys(ref["fields"]), strict=True):
            want.add((a, ref.get("resource") or name, b))
    with sqlite3.connect(sqlite_db) as con:
        got = {(r[3], r[2], r[4]) for r in con.execute(f'pragma foreign_key_list("{name}")')}
        indexed = set()
        for idx in con.execute(f'pragma index_list("{name}")').fetchall():
            indexed |= {r[2] for r in con.execute(f'pragma index_info("{idx[1]}")')}
        assert con.execute(f'pragma foreign_key_check("{name}")').fetchall() == []
    assert got == want
    assert {a for a, _, _ in want} <= indexed
    unique = {f["name"] for f in dd.schema(name)["fields"] if (f.get("constraints") or {}).get("unique")}
    assert unique <= indexed | set(keys(dd.schema(name).get("primaryKey")))


def test_sqlite_types_numbers_dates_and_booleans(sqlite_db):
    figures = dd.load("figures")
    with sqlite3.connect(sqlite_db) as con:
        rows = con.execute(
            "select figure_id, value, typeof(value), period_start, period_start_date, period_end_date, "
            "disputed, typeof(disputed) from figures"
        ).fetchall()
    by_id = figures.set_index("figure_id")
    for fid, value, kind, start, start_date, end_date, disputed, disputed_kind in rows:
        want = float(by_id.loc[fid, "value"])
        assert value == want
        assert kind == ("integer" if want.is_integer() else "real"), fid
        assert start == (None if by_id.isna().loc[fid, "period_start"] else by_id.loc[fid, "period_start"])
        day = by_id.loc[fid, "period_start_date"]
        assert start_date == (None if day is None or day != day else day.date().isoformat())
        if end_date is not None:
            assert datetime.date.fromisoformat(end_date) == by_id.loc[fid, "period_end_date"].date()
        assert disputed_kind == "integer" and disputed == int(by_id.loc[fid, "disputed"])


def test_datasette_metadata_from_descriptor_and_schemas(sqlite_db):
    meta = json.loads(sqlite_db.with_name("desertion.metadata.json").read_text(encoding="utf-8"))
    desc = dd.descriptor()
    assert meta["title"] == desc["title"] and meta["license"] == desc["licenses"][0]["name"]
    assert meta["license_url"] == desc["licenses"][0]["path"]
    assert all(s["title"] in meta["source"] for s in desc["sources"])
    tables = meta["databases"]["desertion"]["tables"]
    assert list(tables) == dd.names()
    for name in dd.names():
        entry = tables[name]
        res = next(r for r in desc["resources"] if r["name"] == name)
        assert entry["description"] == res["description"]
        fields = dd.schema(name)["fields"]
        assert set(entry["columns"]) == {f["name"] for f in fields} | set(date_columns(name))
        for f in fields:
            assert entry["columns"][f["name"]] == f.get("description", "")
        names = {f["name"] for f in fields}
        assert entry["facets"] == [c for c in ("country", "measure", "qualifier", "disputed") if c in names]
        assert entry["label_column"] in names
        assert not dd.load(name)[entry["label_column"]].isna().any(), "Datasette would show 'None'"
    assert tables["measures"]["label_column"] == "label"
    assert tables["figures"]["label_column"] == "value_text"
    assert tables["sources"]["label_column"] == "source_id", "titles have gaps: the key is shown"


def canned(sqlite_db) -> dict[str, dict]:
    meta = json.loads(sqlite_db.with_name("desertion.metadata.json").read_text(encoding="utf-8"))
    return meta["databases"]["desertion"]["queries"]


def run_query(sqlite_db, name: str) -> list[dict]:
    with sqlite3.connect(sqlite_db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(canned(sqlite_db)[name]["sql"])]


def test_canned_query_counts_per_year_lists_whole_year_figures_with_sources(sqlite_db):
    got = run_query(sqlite_db, "counts_per_year")
    f = dd.load("figures")
    start, end = f["period_start_date"], f["period_end_date"]
    whole = f[
        (start.dt.month == 1)
        & (start.dt.day == 1)
        & (end.dt.month == 12)
        & (end.dt.day == 31)
        & (start.dt.year == end.dt.year)
    ]
    assert sorted(r["figure_id"] for r in got) == sorted(whole["figure_id"])
    assert all(r["source_url"] and r["year"] for r in got)


def test_canned_query_disputed_figures_names_each_discrepancy(sqlite_db):
    got = run_query(sqlite_db, "disputed_figures")
    f = dd.load("figures")
    assert {r["figure_id"] for r in got} == set(f.loc[f["disputed"].astype(bool), "figure_id"])
    d = dd.load("discrepancies")
    want = {(k, r.discrepancy_id) for r in d.itertuples() for k in r.rows.split()}
    pairs = {(r["figure_id"], r["discrepancy_id"]) for r in got}
    assert pairs <= want and all(r["discrepancy_id"] for r in got)


def test_canned_query_funnel_steps_come_from_measure_names(sqlite_db):
    got = run_query(sqlite_db, "funnel")
    steps = {r["measure"]: r["step"] for r in got}
    assert steps["awol_cases"] == steps["desertion_cases"] == 1
    assert steps["awol_cases_with_suspicion"] == 2
    assert steps["awol_court_cases"] == 3
    assert steps["absence_convictions"] == 4
    assert "territory_occupied" not in steps and "returned_to_service" not in steps


# --- Parquet -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", dd.names())
def test_parquet_types_dates_and_descriptions(parquet_dir, name):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(parquet_dir / f"{name}.parquet")
    schema = dd.schema(name)
    arrow = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    assert table.num_rows == len(dd.load(name))
    for f in schema["fields"]:
        field = table.schema.field(f["name"])
        assert field.type == arrow[f["type"]], f["name"]
        assert field.metadata[b"description"].decode() == f.get("description", "")
    for col in date_columns(name):
        assert table.schema.field(col).type == pa.date32()
        assert table.schema.field(col).metadata[b"description"].startswith(b"Generated")
    meta = table.schema.metadata
    assert json.loads(meta[b"primaryKey"]) == schema["primaryKey"]
    assert json.loads(meta[b"foreignKeys"]) == schema.get("foreignKeys", [])


# --- XLSX --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", dd.names())
def test_xlsx_typed_cells_frozen_header_and_filter(xlsx_file, name):
    import openpyxl

    ws = openpyxl.load_workbook(xlsx_file)[name]
    frame = dd.load(name)
    header = [c.value for c in ws[1]]
    assert header == list(frame.columns)
    assert ws.max_row == len(frame) + 1
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    types = {f["name"]: f["type"] for f in dd.schema(name)["fields"]}
    for c, col in enumerate(header, start=1):
        for r in range(2, ws.max_row + 1):
            cell = ws.cell(row=r, column=c)
            if cell.value is None:
                continue
            kind = types.get(col, "date")
            if kind == "string":
                assert cell.data_type == "s", (col, r)
            elif kind == "boolean":
                assert isinstance(cell.value, bool)
            elif kind == "date":
                assert isinstance(cell.value, datetime.datetime) and cell.is_date
            else:
                assert cell.data_type == "n" and not isinstance(cell.value, bool)
                if float(cell.value).is_integer():
                    assert isinstance(cell.value, int), (col, r)


def test_xlsx_codebook_sheet_lists_every_field(xlsx_file):
    import openpyxl

    ws = openpyxl.load_workbook(xlsx_file)["codebook"]
    rows = list(ws.iter_rows(values_only=True))
    book = dd.codebook()
    assert list(rows[0]) == list(book.columns)
    assert len(rows) - 1 == len(book)
    assert {(r[0], r[1]) for r in rows[1:]} == set(zip(book["table"], book["field"], strict=True))


# --- Hostile input: formulas, names, folders ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://x","y")',
        "+1",
        "-1+2",
        "@SUM(A1)",
        "\t=1",
        " =1",
        "\r=1",
        "\n=1",
        "＝1",
        "﹦1",
        "＋1",
        "\u200b=1",
        "\ufeff=1",
        "\u2060@x",
        "\u00a0=1",
    ],
    ids=repr,
)
def test_formula_like_catches_hidden_starts(text):
    assert formula_like(text)


@pytest.mark.parametrize("text", ["202,997", "a=b", "", "  ", "1-2", "‘quoted’", "−5"], ids=repr)
def test_formula_like_leaves_ordinary_text(text):
    assert not formula_like(text)


@pytest.fixture
def hostile(make_package, use_root):
    """A package whose figure notes are the given text, loaded through DESERTION_DATA_ROOT."""

    def build(notes: str) -> Path:
        desc = make_package(figures=[fig("s1-f01", notes=notes)])
        use_root(desc.parent)
        return desc.parent

    return build


FORMULAS = ['=HYPERLINK("http://evil","click")', "\t=1+1", "＝1+1", "\u200b@SUM(1)"]


@pytest.mark.parametrize("notes", FORMULAS, ids=repr)
def test_xlsx_writes_a_formula_as_text_never_as_formula(hostile, tmp_path, notes):
    import openpyxl

    hostile(notes)
    out = tmp_path / "x.xlsx"
    dd.export("xlsx", out)
    ws = openpyxl.load_workbook(out)["figures"]
    col = [c.value for c in ws[1]].index("notes") + 1
    cell = ws.cell(row=2, column=col)
    assert cell.value == notes and cell.data_type == "s"
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


@pytest.mark.parametrize("notes", FORMULAS, ids=repr)
def test_csv_refuses_a_formula_naming_file_row_and_field(hostile, tmp_path, notes, capsys):
    hostile(notes)
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "csv")]) == 1
    err = capsys.readouterr().err
    assert "figures.csv" in err and "s1-f01" in err and "'notes'" in err and "formula" in err
    assert "Traceback" not in err and not (tmp_path / "csv" / "figures.csv").exists()


def test_control_characters_in_xlsx_are_escaped_not_fatal(hostile, tmp_path):
    import openpyxl

    hostile("bell \x07 and escape \x1b[31m")
    dd.export("xlsx", tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["figures"]
    col = [c.value for c in ws[1]].index("notes") + 1
    assert ws.cell(row=2, column=col).value == "bell \\x07 and escape \\x1b[31m"


def test_xlsx_refuses_text_longer_than_a_cell_holds(hostile, tmp_path):
    hostile("x" * 40000)
    with pytest.raises(dd.ExportError, match=r"figures.csv: line 2, field 'notes': 40000 characters"):
        dd.export("xlsx", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists() and not list(tmp_path.glob(".x.xlsx.*"))


def test_export_some_tables_and_refuse_an_unknown_one(tmp_path):
    written = dd.export("parquet", tmp_path / "p", tables=["measures", "figures"])
    assert [p.name for p in written] == ["measures.parquet", "figures.parquet"]
    dd.export("sqlite", tmp_path / "s.db", tables=["figures"])
    with sqlite3.connect(tmp_path / "s.db") as con:
        fks = con.execute('pragma foreign_key_list("figures")').fetchall()
    assert [(r[2], r[3]) for r in fks] == [("figures", "parent_figure_id")], (
        "keys to tables left out are dropped"
    )
    with pytest.raises(dd.ExportError, match="no table named 'figure'"):
        dd.export("csv", tmp_path / "c", tables=["figure"])
    with pytest.raises(dd.ExportError, match="format must be one of"):
        dd.export("json", tmp_path / "j")


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "a/b", "..", "x.csv", "Figures", "a b", ""])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "sqlite"])
def test_unsafe_resource_names_are_refused_and_nothing_written(make_package, use_root, tmp_path, name, fmt):
    desc_file = make_package()
    desc = json.loads(desc_file.read_text(encoding="utf-8"))
    desc["resources"][2]["name"] = name
    desc_file.write_text(json.dumps(desc), encoding="utf-8")
    use_root(desc_file.parent)
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "out" / "deep"
    with pytest.raises(dd.ExportError, match=r"resources\[2\]\.name"):
        dd.export(fmt, out if fmt != "sqlite" else out / "x.db")
    assert set(tmp_path.rglob("*")) == before


def test_a_table_named_codebook_cannot_go_to_xlsx(make_package, use_root, tmp_path):
    desc_file = make_package()
    desc = json.loads(desc_file.read_text(encoding="utf-8"))
    desc["resources"][5]["name"] = "codebook"
    desc_file.write_text(json.dumps(desc), encoding="utf-8")
    use_root(desc_file.parent)
    assert (tmp_path / "csv" / "codebook.csv") in dd.export("csv", tmp_path / "csv")
    with pytest.raises(dd.ExportError, match="'codebook' is taken by the xlsx codebook sheet"):
        dd.export("xlsx", tmp_path / "x.xlsx")
    assert not list(tmp_path.glob("*x.xlsx*"))


def test_existing_files_need_force(tmp_path, capsys):
    out = tmp_path / "csv"
    out.mkdir()
    (out / "figures.csv").write_text("mine", encoding="utf-8")
    assert main(["export", "--format", "csv", "--out", str(out)]) == 1
    assert "figures.csv exists; pass --force" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["figures.csv"]
    assert (out / "figures.csv").read_text(encoding="utf-8") == "mine"
    assert main(["export", "--format", "csv", "--out", str(out), "--force"]) == 0
    assert (out / "figures.csv").read_bytes() == dd.path("figures").read_bytes()


def test_an_existing_database_is_not_changed_without_force(tmp_path, capsys):
    db = tmp_path / "mine.db"
    with sqlite3.connect(db) as con:
        con.execute("create table figures (mine text)")
        con.execute("insert into figures values ('keep me')")
    before = db.read_bytes()
    assert main(["export", "--format", "sqlite", "--out", str(db)]) == 1
    err = capsys.readouterr().err
    assert "mine.db exists" in err and "--force" in err
    assert db.read_bytes() == before
    assert main(["export", "--format", "sqlite", "--out", str(db), "--force"]) == 0
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from figures").fetchone()[0] == len(dd.load("figures"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sqlite"])
def test_a_symlink_planted_in_out_is_never_followed(tmp_path, fmt, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    if fmt == "csv":
        link, target = out / "figures.csv", out
    else:
        link = target = out / f"x.{fmt}"
    link.symlink_to(victim)
    for force in ([], ["--force"]):
        assert main(["export", "--format", fmt, "--out", str(target), *force]) == 1
        assert "symbolic link" in capsys.readouterr().err
    assert victim.read_text(encoding="utf-8") == "untouched" and link.is_symlink()


def test_a_symlinked_metadata_file_is_never_followed(tmp_path, capsys):
    victim = tmp_path / "victim.json"
    victim.write_text("{}", encoding="utf-8")
    (tmp_path / "x.metadata.json").symlink_to(victim)
    assert main(["export", "--format", "sqlite", "--out", str(tmp_path / "x.db"), "--force"]) == 1
    assert "x.metadata.json is a symbolic link" in capsys.readouterr().err
    assert victim.read_text(encoding="utf-8") == "{}" and not (tmp_path / "x.db").exists()


def test_sqlite_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert main(["export", "--format", "sqlite", "--out", str(blocker / "sub" / "x.db")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("desertion-data: error: cannot write") and str(blocker) in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_sqlite_export_to_a_read_only_folder_is_one_line(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    try:
        assert main(["export", "--format", "sqlite", "--out", str(ro / "x.db")]) == 1
    finally:
        ro.chmod(0o700)
    err = capsys.readouterr().err
    assert "cannot write" in err and "Permission denied" in err and not list(ro.iterdir())


def test_export_writes_nothing_outside_out(tmp_path):
    """Only the named files appear, inside --out; no temporary file is left behind."""
    out = tmp_path / "folder"
    for fmt, target in [("csv", out), ("parquet", out), ("xlsx", out / "a.xlsx"), ("sqlite", out / "a.db")]:
        dd.export(fmt, target)
    got = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    want = sorted(
        [f"folder/{n}.{e}" for n in dd.names() for e in ("csv", "parquet")]
        + ["folder/a.xlsx", "folder/a.db", "folder/a.metadata.json"]
    )
    assert got == want
    assert ROOT.joinpath("data").is_dir()
