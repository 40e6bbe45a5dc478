"""Exports that keep the package's structure: CSV, Parquet, XLSX, and SQLite with Datasette metadata.

Containment: table and field names must be plain identifiers, so every file name is `--out` plus a
name; each file is written to a temporary file beside its target and renamed into place, so a
symbolic link where a file will go is refused beforehand and can never be written through; an
existing file is replaced only with `force`. Cells are typed values or text, never a formula.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("csv", "parquet", "xlsx", "sqlite")
TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")  # 31: the longest sheet name a spreadsheet takes
FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
FORMULA_START = frozenset("=+-@")
XLSX_MAX_TEXT = 32767  # characters a spreadsheet cell holds
CODEBOOK_SHEET = "codebook"
FACETS = ("country", "measure", "qualifier", "disputed")
LABEL_CANDIDATES = ("label", "name", "title", "value_text", "text", "description")


class ExportError(Exception):
    """An export that cannot be made, in one line naming the file and field."""


@dataclass
class Table:
    """One table to export: its descriptor entry, Table Schema and typed rows (with `_date` columns)."""

    name: str
    resource: dict[str, Any]
    schema: dict[str, Any]
    data: Any  # pyarrow.Table

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.schema["fields"])

    def key(self, row: dict[str, Any], index: int) -> str:
        """The row's primary key in words, or its line in the CSV where it has none."""
        pk = self.schema.get("primaryKey") or []
        pk = [pk] if isinstance(pk, str) else list(pk)
        if pk:
            return ", ".join(f"{k} {row.get(k)!r}" for k in pk)
        return f"line {index + 2}"


def formula_like(text: str) -> bool:
    """True when a spreadsheet could run the text as a formula: its first visible character, after
    spaces, tabs, line ends, control and zero-width characters, is '=', '+', '-' or '@' (the
    full-width and small forms too, which spreadsheets fold to them)."""
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue
        return unicodedata.normalize("NFKC", ch)[:1] in FORMULA_START
    return False


def _sources() -> tuple[Path, dict[str, Any]]:
    from desertion_data._package import DESCRIPTOR, descriptor, root

    return root() / DESCRIPTOR, descriptor()


def checked_names(names: list[str] | None = None) -> list[str]:
    """The tables to export (all by default), each a safe identifier; raises ExportError otherwise."""
    import desertion_data as dd

    file, desc = _sources()
    all_names = []
    for i, res in enumerate(desc["resources"]):
        name = res.get("name") if isinstance(res, dict) else None
        if not isinstance(name, str) or not TABLE_NAME.fullmatch(name):
            raise ExportError(
                f"{file}: resources[{i}].name {name!r} is not a safe table name "
                "(a lowercase letter, then up to 30 lowercase letters, digits or '_')"
            )
        all_names.append(name)
    if len(set(all_names)) != len(all_names):
        dup = sorted({n for n in all_names if all_names.count(n) > 1})
        raise ExportError(f"{file}: resources: the name {dup[0]!r} is used twice")
    chosen = all_names if names is None else list(names)
    for name in chosen:
        if name not in all_names:
            raise ExportError(f"no table named {name!r}; the tables are: {', '.join(all_names)}")
        for j, field in enumerate(dd.schema(name)["fields"]):
            fname = field.get("name") if isinstance(field, dict) else None
            if not isinstance(fname, str) or not FIELD_NAME.fullmatch(fname):
                raise ExportError(
                    f"schema of {name}: fields[{j}].name {fname!r} is not a safe field name "
                    "(lowercase letters, digits or '_', not starting with a digit)"
                )
    return chosen


def load_tables(names: list[str]) -> list[Table]:
    """The typed tables, read through the package's one reader, with their `_date` columns."""
    import desertion_data as dd
    from desertion_data._check import table_problem
    from desertion_data._package import resource
    from desertion_data._read import read_table, with_date_columns

    tables = []
    for name in names:
        schema = dd.schema(name)
        try:
            data = with_date_columns(read_table(dd.path(name), schema), schema)
        except Exception as exc:
            raise ExportError(table_problem(name, exc)) from None
        tables.append(Table(name, resource(name), schema, data))
    return tables


# ---------------------------------------------------------------------------------------------
# Where files go


def targets(fmt: str, out: Path, names: list[str], metadata: bool = True) -> list[Path]:
    """Every file the export writes: one per table in the folder `out`, or `out` itself."""
    if fmt in ("csv", "parquet"):
        return [out / f"{name}.{fmt}" for name in names]
    if fmt == "sqlite" and metadata:
        return [out, metadata_path(out)]
    return [out]


def metadata_path(database: Path) -> Path:
    """Where the Datasette metadata of a database goes: `X.db` -> `X.metadata.json`."""
    return database.with_name(f"{database.stem}.metadata.json")


def check_targets(paths: list[Path], force: bool) -> None:
    """Refuse symbolic links, folders, and existing files without force, before anything is written."""
    existing = []
    for path in paths:
        if path.is_symlink():
            raise ExportError(f"{path} is a symbolic link; it is neither followed nor replaced")
        if path.exists():
            if not path.is_file():
                raise ExportError(f"{path} exists and is not a regular file")
            existing.append(path)
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ExportError(f"{existing[0]} exists{more}; pass --force (force=True) to replace it")


@contextlib.contextmanager
def atomic(target: Path) -> Iterator[Path]:
    """A temporary file beside target, renamed onto it when the block succeeds: a rename replaces a
    symbolic link planted meanwhile instead of writing through it; a failure leaves target as it was."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Cells


def csv_cell(value: Any) -> str:
    """A value in the package's CSV dialect: lowercase booleans, 202997 not 202997.0, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _no_formulas(table: Table, fmt: str) -> None:
    """Refuse text a spreadsheet would run, for formats that cannot mark a cell as text."""
    import pyarrow as pa

    for field in table.data.schema:
        if field.type != pa.string():
            continue
        for i, value in enumerate(table.data.column(field.name).to_pylist()):
            if value is not None and formula_like(value):
                row = table.data.slice(i, 1).to_pylist()[0]
                raise ExportError(
                    f"{table.resource.get('path', table.name)}: {table.key(row, i)}, field {field.name!r}: "
                    f"the text starts like a spreadsheet formula ({value[:20]!r}); {fmt} cannot mark it "
                    "as text, so it is not exported (the validator's no_spreadsheet_formula rule names it)"
                )


def _write_csv(table: Table, path: Path) -> None:
    import csv

    _no_formulas(table, "CSV")
    names = [f["name"] for f in table.fields]
    columns = [table.data.column(n).to_pylist() for n in names]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names)
        for values in zip(*columns, strict=True):
            writer.writerow([csv_cell(v) for v in values])


def field_descriptions(table: Table) -> dict[str, str]:
    """Each column's description, the loader's `_date` columns included."""
    from desertion_data._codebook import GENERATED

    out = {f["name"]: f.get("description", "") for f in table.fields}
    for f in table.fields:
        side = f.get("x-reduced-date")
        if side in GENERATED:
            out[f"{f['name']}_date"] = GENERATED[side].format(name=f["name"]).replace("`", "")
    return out


def _write_parquet(table: Table, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, desc = _sources()
    about = field_descriptions(table)
    fields = [f.with_metadata({"description": about.get(f.name, "")}) for f in table.data.schema]
    meta = {
        "name": table.name,
        "title": table.resource.get("title", ""),
        "description": table.resource.get("description", ""),
        "primaryKey": json.dumps(table.schema.get("primaryKey", [])),
        "foreignKeys": json.dumps(table.schema.get("foreignKeys", [])),
        "package": f"{desc.get('name', '')} {desc.get('version', '')}",
        "license": ", ".join(lic.get("name", "") for lic in desc.get("licenses", [])),
    }
    typed = pa.Table.from_arrays(table.data.columns, schema=pa.schema(fields, metadata=meta))
    pq.write_table(typed, path)


def _xlsx_text(value: str, where: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if len(value) > XLSX_MAX_TEXT:
        raise ExportError(f"{where}: {len(value)} characters, more than a spreadsheet cell holds")
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _put(cell: Any, value: Any, where: str) -> None:
    """A typed cell; text is always stored as text (data type 's'), never as a formula."""
    if value is None:
        return
    if isinstance(value, str):
        cell.value = _xlsx_text(value, where)
        cell.data_type = "s"
    elif isinstance(value, float) and not math.isfinite(value):
        cell.value = repr(value)  # a spreadsheet has no inf or nan
        cell.data_type = "s"
    elif isinstance(value, float) and value.is_integer():
        cell.value = int(value)
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value


def _sheet(wb: Any, name: str, header: list[str], rows: list[list[Any]], where: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    bold = Font(bold=True)
    for c, text in enumerate(header, start=1):
        cell = ws.cell(row=1, column=c)
        _put(cell, text, f"{where}: header")
        cell.font = bold
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(ws.cell(row=r, column=c), value, f"{where}: line {r}, field {header[c - 1]!r}")
    ws.freeze_panes = "A2"
    last = get_column_letter(max(len(header), 1))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for c, text in enumerate(header, start=1):
        sample = [len(str(v[c - 1])) for v in rows[:200] if v[c - 1] is not None]
        ws.column_dimensions[get_column_letter(c)].width = min(60, max([len(text), *sample]) + 2)


def _write_xlsx(tables: list[Table], path: Path) -> None:
    from openpyxl import Workbook

    from desertion_data._codebook import COLUMNS, rows

    file, desc = _sources()
    if any(t.name == CODEBOOK_SHEET for t in tables):
        raise ExportError(
            f"{file}: resources: the name {CODEBOOK_SHEET!r} is taken by the xlsx codebook sheet"
        )
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = _xlsx_text(str(desc.get("title", "")), "datapackage.json: title")
    wb.properties.creator = "desertion-data"
    for t in tables:
        header = list(t.data.column_names)
        columns = [t.data.column(n).to_pylist() for n in header]
        _sheet(
            wb, t.name, header, [list(v) for v in zip(*columns, strict=True)], t.resource.get("path", t.name)
        )
    schemas = {t.name: t.schema for t in tables}
    book = rows({**desc, "resources": [t.resource for t in tables]}, schemas)
    _sheet(wb, CODEBOOK_SHEET, list(COLUMNS), [[r[c] for c in COLUMNS] for r in book], "codebook")
    wb.save(path)


# ---------------------------------------------------------------------------------------------
# SQLite and Datasette

SQLITE_TYPES = {"string": str, "integer": int, "boolean": int, "number": "ANY"}


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def foreign_keys(tables: list[Table]) -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """Every foreign key of every exported table, read from the schemas (a reference without a
    resource is to the same table); keys to a table that is not exported are left out."""
    names = {t.name for t in tables}
    out = []
    for t in tables:
        for fk in t.schema.get("foreignKeys") or []:
            ref = fk.get("reference") or {}
            other = ref.get("resource") or t.name
            if other in names:
                out.append(
                    (t.name, tuple(_as_list(fk.get("fields"))), other, tuple(_as_list(ref.get("fields"))))
                )
    return out


def _sqlite_rows(t: Table) -> Iterator[dict[str, Any]]:
    names = t.data.column_names
    for batch in t.data.to_batches(max_chunksize=5000):
        for row in batch.to_pylist():
            yield {
                n: (v.isoformat() if isinstance(v, datetime.date) else v)
                for n, v in zip(names, row.values(), strict=True)
            }


def _write_sqlite(tables: list[Table], path: Path) -> None:
    try:
        import sqlite_utils
    except ImportError:
        raise ExportError("sqlite export needs sqlite-utils: pip install 'desertion-data[export]'") from None

    db = sqlite_utils.Database(path)
    try:
        for t in tables:
            columns: dict[str, Any] = {f["name"]: SQLITE_TYPES.get(f.get("type"), str) for f in t.fields}
            for n in t.data.column_names:
                columns.setdefault(n, str)  # the ISO `_date` columns
            pk = _as_list(t.schema.get("primaryKey"))
            required = {
                f["name"]
                for f in t.fields
                if (f.get("constraints") or {}).get("required") and f["name"] in pk
            }
            db[t.name].create(
                columns, pk=pk[0] if len(pk) == 1 else tuple(pk) or None, not_null=required or None
            )
            db[t.name].insert_all(_sqlite_rows(t), batch_size=1000)
        fks = foreign_keys(tables)
        if fks:
            db.add_foreign_keys(
                [(a, f[0] if len(f) == 1 else f, b, o[0] if len(o) == 1 else o) for a, f, b, o in fks]
            )
        for a, f, _, _ in fks:
            db[a].create_index(list(f), if_not_exists=True)
        for t in tables:
            pk = _as_list(t.schema.get("primaryKey"))
            for f in t.fields:
                if (f.get("constraints") or {}).get("unique") and [f["name"]] != pk:
                    db[t.name].create_index([f["name"]], unique=True, if_not_exists=True)
        db.conn.commit()
    finally:
        db.close()


def label_column(t: Table) -> str | None:
    """The column Datasette shows for a row a foreign key points to: the first of label, name, title,
    value_text, text, description that the table has and that is never empty (Datasette would show
    'None'); without one, the primary key (else Datasette would pick a 'title' with gaps itself)."""
    names = {f["name"] for f in t.fields}
    for c in LABEL_CANDIDATES:
        if c in names and t.data.column(c).null_count == 0:
            return c
    return next(iter(_as_list(t.schema.get("primaryKey"))), None)


def _has(tables: dict[str, Table], table: str, *columns: str) -> bool:
    return table in tables and set(columns) <= set(tables[table].data.column_names)


def canned_queries(tables: list[Table]) -> dict[str, dict[str, str]]:
    """Datasette's canned queries, each where the tables and columns it reads exist."""
    by = {t.name: t for t in tables}
    queries = {}
    if _has(
        by, "figures", "source_id", "measure", "period_start", "period_start_date", "period_end_date"
    ) and _has(by, "sources", "source_id", "publisher", "title", "url"):
        queries["counts_per_year"] = {
            "title": "Counts per calendar year, with their sources",
            "description": "Every figure whose period is exactly one calendar year, beside the source "
            "that states it; several rows for one year and measure are sources to compare.",
            "sql": """select substr(f.period_start, 1, 4) as year, f.country, f.measure,
  f.value, f.value_text, f.qualifier, f.figure_id, s.publisher, s.title as source_title, s.url as source_url
from figures f join sources s on s.source_id = f.source_id
where f.period_start_date = substr(f.period_start, 1, 4) || '-01-01'
  and f.period_end_date = substr(f.period_start, 1, 4) || '-12-31'
order by f.country, f.measure, year, f.value""",
        }
    if _has(by, "figures", "figure_id", "disputed", "value_text") and _has(
        by, "discrepancies", "discrepancy_id", "kind", "rows", "explanation"
    ):
        queries["disputed_figures"] = {
            "title": "Disputed figures and the discrepancy that questions each",
            "description": "Figures marked disputed, each with every row of discrepancies that names it "
            "(discrepancies.rows lists keys separated by spaces).",
            "sql": """select f.figure_id, f.country, f.measure, f.value_text, f.source_id,
  d.discrepancy_id, d.kind, d.explanation
from figures f left join discrepancies d
  on instr(' ' || d.rows || ' ', ' ' || f.figure_id || ' ') > 0
where f.disputed = 1
order by f.figure_id, d.discrepancy_id""",
        }
    if _has(by, "figures", "measure", "period_start", "period_end", "value") and _has(
        by, "measures", "measure", "label", "unit"
    ):
        queries["funnel"] = {
            "title": "From registered proceedings to court",
            "description": "Counts of cases and people at each step, by country and period: 1 proceedings "
            "registered (measures ending in _cases), 2 a suspect named or charged (suspicion, charged), "
            "3 cases received by courts (court), 4 verdicts, sentences and convictions. Steps are read "
            "from measure names, so measures added later take their place.",
            "sql": """with staged as (
  select f.*, m.label, case
    when f.measure like '%suspicion%' or f.measure like '%charged%' then 2
    when f.measure like '%court%' then 3
    when f.measure like '%convict%' or f.measure like '%verdict%' or f.measure like '%sentence%' then 4
    when f.measure like '%\\_cases' escape '\\' then 1
  end as step
  from figures f join measures m on m.measure = f.measure
  where m.unit in ('cases', 'convictions', 'persons')
)
select country, step,
  case step when 1 then 'registered' when 2 then 'suspect named or charged'
    when 3 then 'received by courts' else 'verdicts' end as stage,
  measure, label, period_start, period_end, value, value_text, qualifier, source_id, figure_id
from staged where step is not null
order by country, step, measure, period_end, period_start""",
        }
    return queries


def datasette_metadata(database: str, tables: list[Table]) -> dict[str, Any]:
    """Datasette metadata from the descriptor and schemas: title, licence, source, descriptions of
    every table and column, label columns, facets and canned queries."""
    _, desc = _sources()
    licence = (desc.get("licenses") or [{}])[0]
    titles = [s.get("title", "") for s in desc.get("sources") or []]
    meta: dict[str, Any] = {
        "title": desc.get("title", desc.get("name", "")),
        "description": f"{desc.get('description', '')} Version {desc.get('version', '?')}.".strip(),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": "; ".join(titles) + ("; and each row's own source in the table sources" if titles else ""),
        "databases": {database: {"tables": {}, "queries": canned_queries(tables)}},
    }
    paths = [s.get("path") for s in desc.get("sources") or [] if s.get("path")]
    if len(paths) == 1:
        meta["source_url"] = paths[0]
    for t in tables:
        names = t.data.column_names
        entry: dict[str, Any] = {
            "title": t.resource.get("title", t.name),
            "description": t.resource.get("description", ""),
            "columns": field_descriptions(t),
            "facets": [c for c in FACETS if c in names],
        }
        if label := label_column(t):
            entry["label_column"] = label
        meta["databases"][database]["tables"][t.name] = entry
    return meta


# ---------------------------------------------------------------------------------------------


def export(
    format: str,
    out: str | os.PathLike[str],
    force: bool = False,
    tables: list[str] | None = None,
    metadata: bool = True,
) -> list[Path]:
    """Write tables (all by default) as csv or parquet files in the folder `out`, or as one xlsx or
    sqlite file `out`; with sqlite, also Datasette metadata `X.metadata.json` beside `X.db` (unless
    metadata=False). Returns the files written. Raises ExportError, naming file and field, for an
    unsafe name, an existing file without force, a symbolic link, or a failed write."""
    if format not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    from desertion_data._check import problem

    bad = problem()
    if bad:
        raise ExportError(bad)
    out = Path(out)
    names = checked_names(tables)
    paths = targets(format, out, names, metadata)
    try:
        if format in ("csv", "parquet"):
            if out.is_symlink() and not out.is_dir():
                raise ExportError(f"{out} is a symbolic link to no folder")
            out.mkdir(parents=True, exist_ok=True)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
        check_targets(paths, force)
        loaded = load_tables(names)
        if format == "xlsx":
            try:
                import openpyxl  # noqa: F401
            except ImportError:
                raise ExportError(
                    "xlsx export needs openpyxl: pip install 'desertion-data[export]'"
                ) from None
        if format in ("csv", "parquet"):
            write = _write_csv if format == "csv" else _write_parquet
            for t, path in zip(loaded, paths, strict=True):
                with atomic(path) as tmp:
                    write(t, tmp)
        elif format == "xlsx":
            with atomic(out) as tmp:
                _write_xlsx(loaded, tmp)
        else:
            with atomic(out) as tmp:
                _write_sqlite(loaded, tmp)
            if metadata:
                text = json.dumps(datasette_metadata(out.stem, loaded), indent=2, ensure_ascii=False)
                with atomic(paths[1]) as tmp:
                    tmp.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        where = exc.filename or out
        raise ExportError(f"cannot write {where}: {exc.strerror or exc}") from None
    return paths
