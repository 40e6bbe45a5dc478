"""Read a data package for validation: every cell as written, then typed from the Table Schema.

Reading never stops at a bad row: problems a reader can locate (a byte-order mark, a CR or NUL byte,
a blank line, a row with too many or too few cells, an unknown or missing column, a cell of the
wrong type) become violations naming file, line or key, and field. Only a package that cannot be
read at all (no descriptor or a malformed one, a path leading out of the package, a missing, empty
or unreadable file, text that is not UTF-8, a row too long to parse) raises InputError. The
dialect is the loader's own (desertion_data._read), so both accept the same files. Nothing is written.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from desertion_data._package import (
    HASHES,
    PackageError,
    check_descriptor,
    data_path,
    read_json,
    table_schema,
)
from desertion_data._read import (
    BLOCK,
    BOM,
    CHUNK,
    FALSE_VALUES,
    TRUE_VALUES,
    fields,
    header_of,
    line_at,
    parse_error,
    read_options,
    scan,
    show,
    typed,
    utf8_error,
)
from validate.report import InputError, Violation, error

READ_RULE = "csv_well_formed"
TYPE_RULE = "rows_match_schema"
TRUE = tuple(TRUE_VALUES)  # the one spelling of each boolean, shared with the loader
FALSE = tuple(FALSE_VALUES)


@dataclass
class Table:
    """One resource: its descriptor entry, schema, bytes and typed rows."""

    name: str
    path: str
    schema: dict[str, Any]
    size: int  # bytes of the file
    digest: str  # hex digest of the file with the descriptor's hash algorithm
    algo: str
    frame: pl.DataFrame
    keys: pl.Series  # the primary key of each row as text ('line N' where it is missing)

    @property
    def key_field(self) -> str:
        return ",".join(self.schema.get("primaryKey", []))

    def key_at(self, rows) -> list[str]:
        """Primary keys of the rows at these positions."""
        return self.keys.gather(list(rows)).to_list()


@dataclass
class Package:
    """A data package read for validation."""

    base: Path
    descriptor: dict[str, Any]
    tables: dict[str, Table]
    sources_dir: Path | None = None
    problems: list[Violation] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    def frame(self, name: str) -> pl.DataFrame:
        """The typed rows of a table (empty if the package has no such table)."""
        table = self.tables.get(name)
        return table.frame if table else pl.DataFrame()


def read_descriptor(path: Path) -> dict[str, Any]:
    """The descriptor as a dict, or InputError naming what is wrong with it."""
    if path.is_dir():
        path = path / "datapackage.json"
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return check_descriptor(read_json(path), str(path))
    except PackageError as exc:
        raise InputError(str(exc)) from None


def read_package(path: Path, sources_dir: Path | None = None) -> Package:
    """Read the package whose datapackage.json is at path (or in that folder).

    Every resource's path and schema must lie inside the package folder (InputError otherwise),
    checked for all resources before any table is read.
    """
    path = Path(path)
    desc = read_descriptor(path)
    base = path if path.is_dir() else path.parent
    pkg = Package(base=base, descriptor=desc, tables={}, sources_dir=sources_dir)
    try:
        files = [(res, data_path(res, base), read_schema(base, res)) for res in desc["resources"]]
    except PackageError as exc:
        raise InputError(str(exc)) from None
    for res, file, schema in files:
        algo = str(res.get("hash", "")).rpartition(":")[0] or "md5"
        try:
            table, problems = read_table(
                res["name"], res["path"], file, schema, algo if algo in HASHES else "sha256"
            )
        except OSError as exc:
            raise InputError(
                f"{res['path']}: cannot be read ({exc.strerror or type(exc).__name__})"
            ) from None
        pkg.tables[res["name"]] = table
        pkg.problems += problems
    return pkg


def read_schema(base: Path, res: dict[str, Any]) -> dict[str, Any]:
    """A resource's Table Schema (inside the package), or PackageError naming file and field."""
    return table_schema(res, base)


def read_table(
    name: str, rel: str, file: Path, schema: dict[str, Any], algo: str = "sha256"
) -> tuple[Table, list[Violation]]:
    """Read one CSV file strictly; see the module docstring for what becomes a violation.

    Every cell is read as written, then typed by `_typed`. A well-formed file (no byte-order mark,
    LF line ends, the schema's header, every row complete, UTF-8) is read in one multi-threaded pass
    while another thread hashes it; anything else is re-read in a stream that records each bad row
    (`_read_strict`). Both give the same text, so the typing and the rules never know which was taken.
    """
    if not file.is_file():
        raise InputError(f"{rel}: file not found (resource '{name}')")
    try:
        with ThreadPoolExecutor(1) as pool:
            scanning = pool.submit(scan, file, algo)
            with file.open("rb") as fh:
                header_line = fh.readline(BLOCK)
            bom = header_line.startswith(BOM)
            try:
                header = header_of(header_line)
            except UnicodeDecodeError as exc:
                raise InputError(f"{rel}: line 1: not valid UTF-8 at byte {exc.start}") from None
            names = [f["name"] for f in fields(schema)]
            raw = _read_fast(file, schema) if header == names and not bom else None
            found = scanning.result()
    except OSError as exc:
        raise InputError(f"{rel}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except pa.ArrowInvalid as exc:
        raise InputError(f"{rel}: cannot be parsed as CSV: {parse_error(exc)}") from None
    if not found.nonblank:
        raise InputError(f"{rel}: empty file (resource '{name}'); it needs at least a header row")
    problems: list[Violation] = []
    if raw is None or found.cr or found.nul:
        raw, problems = _read_strict(name, rel, file, schema, header, bom, found)
    raw, blank = _without_blank_rows(name, rel, raw, schema)
    problems += blank
    frame, type_problems, keys = _typed(name, rel, raw, schema)
    return Table(name, rel, schema, found.size, found.digest, algo, frame, keys), problems + type_problems


def _read_fast(file: Path, schema: dict[str, Any]) -> pl.DataFrame | None:
    """Every cell as text in one multi-threaded pass, or None where a row is ragged or not UTF-8."""
    read, parse, convert = read_options(schema, as_text=True)
    try:
        table = pacsv.read_csv(file, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        if "straddl" in str(exc):  # a row too long for the loader's read: refused by both
            raise
        return None  # the strict read locates the row
    n = table.num_rows
    # an empty column as one null value repeated, not a million empty cells of 16 bytes each
    frame = pl.DataFrame(
        [
            pl.repeat(None, n, dtype=pl.String, eager=True).alias(name)
            if cells.null_count == n
            else pl.Series(name, cells)
            for name, cells in zip(table.column_names, table.columns, strict=True)
        ]
    )
    del table
    pa.default_memory_pool().release_unused()
    return frame


def _read_strict(name, rel, file, schema, header, bom, found) -> tuple[pl.DataFrame, list[Violation]]:
    """Every cell as text, streamed; a byte-order mark, a CR or NUL byte, a bad header or row, a
    blank line becomes a violation. Text that is not UTF-8 is InputError (nothing can be located)."""
    problems: list[Violation] = []
    bad = utf8_error(file)
    if bad:
        raise InputError(f"{rel}: line {bad[0]}: not valid UTF-8 (byte {bad[1]})")
    if bom:
        problems.append(error(READ_RULE, name, "", "", f"{rel}: line 1: starts with a UTF-8 byte-order mark"))
    if found.cr:
        where = line_at(file, found.first_cr)
        what = (
            f"CRLF line end ({found.crlf} line(s))"
            if found.crlf == found.cr
            else f"CR byte, a lone CR line end ({found.cr} CR byte(s))"
        )
        problems.append(error(READ_RULE, name, "", "", f"{rel}: line {where}: {what}; the package uses LF"))
    if found.nul:
        where = line_at(file, found.first_nul)
        problems.append(error(READ_RULE, name, "", "", f"{rel}: line {where}: NUL byte ({found.nul} in all)"))
    names = [f["name"] for f in fields(schema)]
    problems += _header_problems(name, rel, header, names)

    bad_rows: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        try:
            text = row.text
        except UnicodeDecodeError:  # unreachable after the UTF-8 check; never a traceback
            text = "?"
        bad_rows.append((row.number, text))
        return "skip"

    read, parse, convert = read_options(schema, as_text=True, on_invalid=on_invalid)
    read.block_size = CHUNK  # streamed in few, large batches (a row too long for the loader's
    # one-pass read never gets here: _read_fast raises for it, see read_table)
    convert.column_types = {h: pa.string() for h in header}
    convert.include_columns = [h for h in dict.fromkeys(header) if h in names]
    batches = []
    try:
        with file.open("rb") as fh:
            fh.seek(len(BOM) if bom else 0)
            for batch in pacsv.open_csv(fh, read_options=read, parse_options=parse, convert_options=convert):
                batches.append(pl.from_arrow(batch))
    except pa.ArrowException as exc:
        raise InputError(f"{rel}: cannot be parsed as CSV: {parse_error(exc)}") from None
    if bad_rows:
        problems += _bad_rows(name, rel, file.read_bytes(), header, _key_names(schema), bad_rows)
    if batches:
        return pl.concat(batches, rechunk=False), problems
    return pl.DataFrame({h: pl.Series(h, [], dtype=pl.String) for h in convert.include_columns}), problems


def _key_names(schema: dict[str, Any]) -> list[str]:
    key = schema.get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def _without_blank_rows(name, rel, raw: pl.DataFrame, schema) -> tuple[pl.DataFrame, list[Violation]]:
    """The rows with a cell written, and an error for each row of empty cells (a blank line)."""
    if raw.width == 0 or raw.height == 0:
        return raw, []
    blank = raw.select(pl.all_horizontal(pl.all().is_null())).to_series()
    if not blank.any():
        return raw, []
    rows = blank.arg_true().to_list()
    out = [error(READ_RULE, name, "", "", f"{rel}: row {i + 1}: blank line (every cell empty)") for i in rows]
    return raw.filter(~blank), out


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _bad_rows(name, rel, body: bytes, header, key_names, bad_rows) -> list[Violation]:
    """Rows with too many or too few cells, located by their text (pyarrow gives no line number)."""
    out, cursor = [], 0
    for number, text in bad_rows:
        if text == "":  # a blank line
            at = body.find(b"\n\n", max(cursor - 1, 0))
            if number is None and at >= 0:
                cursor = at + 2
                number = _line_of(body, at + 1)
            where = f"line {number}" if number is not None else "a row"
            out.append(error(READ_RULE, name, "", "", f"{rel}: {where}: blank line"))
            continue
        try:
            cells = next(csv.reader(io.StringIO(text, newline="")), [])
        except csv.Error:  # a NUL byte on Python 3.10, reported by the scan
            cells = text.split(",")
        key = ",".join(
            cells[header.index(k)] for k in key_names if k in header and header.index(k) < len(cells)
        )
        at = body.find(text.encode("utf-8"), cursor)
        if number is None and at >= 0:
            cursor = at + 1
            number = _line_of(body, at)
        where = f"line {number}" if number is not None else "a row"
        out.append(
            error(
                READ_RULE,
                name,
                key,
                "",
                f"{rel}: {where}: {len(cells)} cells where the header has {len(header)}",
            )
        )
    return out


def _header_problems(name: str, rel: str, header: list[str], names: list[str]) -> list[Violation]:
    out = []
    for col in header:
        if col not in names:
            out.append(
                error(READ_RULE, name, "", col, f"{rel}: line 1: unknown column '{col}' (not in the schema)")
            )
    for col in names:
        if col not in header:
            out.append(error(READ_RULE, name, "", col, f"{rel}: line 1: missing column '{col}'"))
    if not out and header != names:
        out.append(error(READ_RULE, name, "", "", f"{rel}: line 1: columns are not in the schema's order"))
    return out


def _keys(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.Series:
    """Each row's primary key as text ('line N' where it is missing)."""
    n = frame.height
    present = [k for k in _key_names(schema) if k in frame.columns]
    if len(present) == 1:
        keys = frame[present[0]]
    elif present:
        keys = frame.select(pl.concat_str([pl.col(k) for k in present], separator=",")).to_series()
    else:
        keys = pl.Series([None] * n, dtype=pl.String)
    if keys.null_count():
        keys = (
            pl.DataFrame({"k": keys, "i": pl.int_range(n, eager=True)})
            .select(pl.coalesce(pl.col("k"), pl.format("line {}", pl.col("i") + 2)))
            .to_series()
        )
    return keys


def _typed(name: str, rel: str, raw: pl.DataFrame, schema: dict[str, Any]):
    """Cast each column to its schema type (desertion_data._read.typed, the loader's own typing);
    a cell that does not cast is a violation."""
    n = raw.height
    keys = _keys(raw, schema)
    columns, problems = [], []
    for f in fields(schema):
        col, kind = f["name"], f.get("type", "string")
        text = raw[col] if col in raw.columns else pl.Series(col, [None] * n, dtype=pl.String)
        if kind not in ("boolean", "integer", "number"):
            columns.append(text.alias(col))  # text stays as written: nothing to cast, nothing can fail
            continue
        values, invalid = typed(text.to_arrow(), kind)
        typed_col = pl.Series(col, values)
        bad = pl.Series(invalid).arg_true()
        for i, cell in zip(bad.to_list(), text.gather(bad).to_list(), strict=True):
            problems.append(
                error(TYPE_RULE, name, keys[i], col, f"{rel}: '{show(cell)}' is not a valid {kind}")
            )
        columns.append(typed_col)
    frame = pl.DataFrame(columns) if columns else pl.DataFrame()
    return frame, problems, keys
