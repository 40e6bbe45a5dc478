"""Read a data package for validation: every cell as written, then typed from the Table Schema.

Reading never stops at a bad row: problems a reader can locate (a byte-order mark, CRLF line ends,
a row with too many or too few cells, an unknown or missing column, a cell of the wrong type) become
violations naming file, line or key, and field. Only a package that cannot be read at all (no
descriptor, a missing or empty file, text that is not UTF-8) raises InputError. Nothing is written.
"""

from __future__ import annotations

import csv
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from desertion_data._read import fields, read_options
from validate.report import InputError, Violation, error

READ_RULE = "csv_well_formed"
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 24
TYPE_RULE = "rows_match_schema"
POLARS_TYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean}
TRUE = ("true", "True", "TRUE", "1")
FALSE = ("false", "False", "FALSE", "0")


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
        text = path.read_bytes().decode("utf-8")
        desc = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(desc, dict) or not isinstance(desc.get("resources"), list):
        raise InputError(f"{path}: not a data package descriptor (no 'resources' list)")
    return desc


def read_package(path: Path, sources_dir: Path | None = None) -> Package:
    """Read the package whose datapackage.json is at path (or in that folder)."""
    path = Path(path)
    desc = read_descriptor(path)
    base = path if path.is_dir() else path.parent
    pkg = Package(base=base, descriptor=desc, tables={}, sources_dir=sources_dir)
    for res in desc["resources"]:
        name, rel = res.get("name"), res.get("path")
        if not isinstance(name, str) or not isinstance(rel, str):
            raise InputError(f"{base / 'datapackage.json'}: a resource lacks a 'name' or 'path' string")
        schema = read_schema(base, res)
        algo = str(res.get("hash", "")).rpartition(":")[0] or "md5"
        table, problems = read_table(
            name, rel, base / rel, schema, algo if algo in hashlib.algorithms_available else "sha256"
        )
        pkg.tables[name] = table
        pkg.problems += problems
    return pkg


def read_schema(base: Path, res: dict[str, Any]) -> dict[str, Any]:
    """A resource's Table Schema, or InputError."""
    ref = res.get("schema")
    if isinstance(ref, dict):
        return ref
    file = base / str(ref)
    if not isinstance(ref, str) or not file.is_file():
        raise InputError(f"{file}: schema of resource '{res['name']}' not found")
    try:
        schema = json.loads(file.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: not a readable JSON schema ({exc})") from None
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise InputError(f"{file}: a Table Schema needs a 'fields' list")
    return schema


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _scan(file: Path, algo: str) -> tuple[str, int, int, bool]:
    """One pass over the file's bytes: digest, size, CRLF count, any non-blank byte."""
    digest, size, crlf, nonblank, tail = hashlib.new(algo), 0, 0, False, b""
    with file.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            crlf += chunk.count(b"\r\n") + (tail == b"\r" and chunk[:1] == b"\n")
            nonblank = nonblank or bool(chunk.strip())
            size, tail = size + len(chunk), chunk[-1:]
    return digest.hexdigest(), size, crlf, nonblank


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
    with ThreadPoolExecutor(1) as pool:
        scan = pool.submit(_scan, file, algo)
        with file.open("rb") as fh:
            header_line = fh.readline()
        bom = header_line.startswith(BOM)
        try:
            header = next(csv.reader([header_line.removeprefix(BOM).rstrip(b"\r\n").decode("utf-8")]), [])
        except UnicodeDecodeError as exc:
            raise InputError(f"{rel}: line 1: not valid UTF-8 at byte {exc.start}") from None
        names = [f["name"] for f in fields(schema)]
        raw = _read_fast(file, schema) if header == names and not bom else None
        digest, size, crlf, nonblank = scan.result()
    if not nonblank:
        raise InputError(f"{rel}: empty file (resource '{name}'); it needs at least a header row")
    problems: list[Violation] = []
    if raw is None or crlf:
        raw, problems = _read_strict(name, rel, file, schema, header, bom, crlf)
    frame, type_problems, keys = _typed(name, rel, raw, schema)
    return Table(name, rel, schema, size, digest, algo, frame, keys), problems + type_problems


def _read_fast(file: Path, schema: dict[str, Any]) -> pl.DataFrame | None:
    """Every cell as text in one multi-threaded pass, or None where a row is ragged or not UTF-8."""
    read, parse, convert = read_options(schema, as_text=True)
    try:
        table = pacsv.read_csv(file, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid:
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


def _read_strict(name, rel, file, schema, header, bom, crlf) -> tuple[pl.DataFrame, list[Violation]]:
    """Every cell as text, streamed; a byte-order mark, CRLF, a bad header or row becomes a violation."""
    problems: list[Violation] = []
    if bom:
        problems.append(error(READ_RULE, name, "", "", f"{rel}: line 1: starts with a UTF-8 byte-order mark"))
    if crlf:
        raw = file.read_bytes()
        where = _line_of(raw, raw.find(b"\r\n"))
        problems.append(
            error(
                READ_RULE,
                name,
                "",
                "",
                f"{rel}: line {where}: CRLF line end ({crlf} line(s)); the package uses LF",
            )
        )
    names = [f["name"] for f in fields(schema)]
    problems += _header_problems(name, rel, header, names)

    bad_rows: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        bad_rows.append((row.number, row.text))
        return "skip"

    read, parse, convert = read_options(schema, as_text=True, on_invalid=on_invalid)
    read.block_size = CHUNK  # streamed in few, large batches
    convert.column_types = {h: pa.string() for h in header}
    convert.include_columns = [h for h in header if h in names]
    batches = []
    try:
        with file.open("rb") as fh:
            fh.seek(len(BOM) if bom else 0)
            for batch in pacsv.open_csv(fh, read_options=read, parse_options=parse, convert_options=convert):
                batches.append(pl.from_arrow(batch))
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            raw = file.read_bytes()
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise InputError(
                    f"{rel}: line {_line_of(raw, bad.start)}: not valid UTF-8 (byte {bad.start})"
                ) from None
        raise InputError(f"{rel}: cannot be parsed as CSV: {exc}") from None
    if bad_rows:
        problems += _bad_rows(name, rel, file.read_bytes(), header, schema.get("primaryKey", []), bad_rows)
    if batches:
        return pl.concat(batches, rechunk=False), problems
    return pl.DataFrame({h: pl.Series(h, [], dtype=pl.String) for h in convert.include_columns}), problems


def _bad_rows(name, rel, body: bytes, header, key_names, bad_rows) -> list[Violation]:
    """Rows with too many or too few cells, located by their text (pyarrow gives no line number)."""
    out, cursor = [], 0
    for number, text in bad_rows:
        cells = next(csv.reader([text]), [])
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
    present = [k for k in schema.get("primaryKey", []) if k in frame.columns]
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
    """Cast each column to its schema type; a cell that does not cast is a violation."""
    n = raw.height
    keys = _keys(raw, schema)
    columns, problems = [], []
    for f in fields(schema):
        col, kind = f["name"], f.get("type", "string")
        text = raw[col] if col in raw.columns else pl.Series(col, [None] * n, dtype=pl.String)
        if kind not in ("boolean", "integer", "number"):
            columns.append(text.alias(col))  # text stays as written: nothing to cast, nothing can fail
            continue
        if kind == "boolean":
            typed = pl.select(
                pl.when(text.is_in(TRUE)).then(True).when(text.is_in(FALSE)).then(False).otherwise(None)
            ).to_series()
        else:
            typed = text.cast(POLARS_TYPES[kind], strict=False)
            if (text.is_not_null() & typed.is_null()).any():  # ' 12': read again without the spaces
                typed = text.str.strip_chars().cast(POLARS_TYPES[kind], strict=False)
        bad = (text.is_not_null() & typed.is_null()).arg_true()
        for i, cell in zip(bad.to_list(), text.gather(bad).to_list(), strict=True):
            problems.append(error(TYPE_RULE, name, keys[i], col, f"{rel}: '{cell}' is not a valid {kind}"))
        columns.append(typed.alias(col))
    frame = pl.DataFrame(columns) if columns else pl.DataFrame()
    return frame, problems, keys
