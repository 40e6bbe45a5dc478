"""Typed reading of the package's CSV files with pyarrow, driven by their Table Schemas.

This is the one reader: the loader (pandas or polars) and the validator both type the tables
through it, so no column list or type is written anywhere but in `schemas/`. It also holds the one
CSV dialect both accept (`typed`, `scan`, `BLOCK`): UTF-8 without a byte-order mark, LF line
ends and no CR or NUL byte anywhere, no blank line, the schema's header in order, no row much
over 1 MiB (both read in one pyarrow pass with blocks of BLOCK bytes, which refuses a row that
does not fit in about two blocks); integers `-?[0-9]+` (up to 18 digits), numbers in decimal or
exponent notation and finite (`inf`, `nan`, `1e309` are not numbers), booleans `true`, `false`.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from desertion_data._package import PackageError

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}
TRUE_VALUES = ["true"]
FALSE_VALUES = ["false"]
PATTERNS = {  # what a cell of each type may look like (ASCII only; no spaces, signs other than '-')
    "integer": r"^-?[0-9]{1,18}$",
    "number": r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$",
}
BLOCK = 1 << 20  # bytes per parsing block: a longer row cannot be parsed, by loader or validator
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 24
DATE_KEY = "x-reduced-date"  # field property: "start" (reads as first day) or "end" (last day)
# a reduced-precision date: year 0001-9999, then optionally a month 01-12, then optionally a day
REDUCED_DATE = (
    r"^(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})(?:-(?:0[1-9]|1[0-2])(?:-[0-3][0-9])?)?$"
)


def fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's field descriptors, in order."""
    return list(schema["fields"])


def arrow_type(field: dict[str, Any]) -> pa.DataType:
    """The Arrow type of a Table Schema field."""
    return ARROW_TYPES.get(field.get("type", "string"), pa.string())


def date_fields(schema: dict[str, Any]) -> dict[str, str]:
    """Reduced-precision date fields and whether each reads as a start or an end."""
    return {f["name"]: f[DATE_KEY] for f in fields(schema) if DATE_KEY in f}


def read_options(schema: dict[str, Any], *, as_text: bool = False, on_invalid=None):
    """pyarrow read, parse and convert options for a CSV described by the schema."""
    names = [f["name"] for f in fields(schema)]
    types = {f["name"]: pa.string() if as_text else arrow_type(f) for f in fields(schema)}
    read = pacsv.ReadOptions(use_threads=True, block_size=BLOCK)
    # a blank line is read as a row of empty cells, so that it is refused (see blank_rows)
    parse = pacsv.ParseOptions(
        newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
    )
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=None if as_text else names,
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
    )
    return read, parse, convert


@dataclass(frozen=True)
class Scan:
    """What one pass over a file's bytes found (offsets are of the first occurrence, or -1)."""

    digest: str
    size: int
    bom: bool
    cr: int  # CR bytes: CRLF or lone CR line ends, or a CR inside a cell
    crlf: int
    first_cr: int
    nul: int
    first_nul: int
    nonblank: bool


def scan(file: Path, algo: str | None = None) -> Scan:
    """One pass over the file's bytes: digest (if algo), size, byte-order mark, CR and NUL bytes."""
    digest = hashlib.new(algo) if algo else None
    size = cr = crlf = nul = 0
    first_cr = first_nul = -1
    nonblank, tail, head = False, b"", b""
    with file.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if digest is not None:
                digest.update(chunk)
            head = head or chunk[:3]
            if b"\r" in chunk:
                if first_cr < 0:
                    first_cr = size + chunk.index(b"\r")
                cr += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n")
            crlf += tail == b"\r" and chunk[:1] == b"\n"
            if b"\x00" in chunk:
                if first_nul < 0:
                    first_nul = size + chunk.index(b"\x00")
                nul += chunk.count(b"\x00")
            nonblank = nonblank or bool(chunk.strip())
            size, tail = size + len(chunk), chunk[-1:]
    hexdigest = digest.hexdigest() if digest is not None else ""
    return Scan(hexdigest, size, head == BOM, cr, crlf, first_cr, nul, first_nul, nonblank)


def line_at(file: Path, offset: int) -> int:
    """The line number (1-based) of a byte offset in the file."""
    lines, done = 1, 0
    with file.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def utf8_error(file: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte that is not UTF-8, or None if the file is UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with file.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = max(done + exc.start - len(decoder.getstate()[0]), 0)
                return line_at(file, at), at
            if not chunk:
                return None
            done += len(chunk)


def header_of(line: bytes) -> list[str]:
    """The column names in a header line (UTF-8; a CR ends the line, as it would for the parser)."""
    import csv
    import io

    text = line.removeprefix(BOM).decode("utf-8")
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:  # a NUL byte on Python 3.10; the scan reports it
        return text.rstrip("\r\n").split(",")


def show(cell: object, width: int = 60) -> str:
    """A cell for a one-line message: control characters escaped, long text cut."""
    text = str(cell)
    cut = text[:width] + ("..." if len(text) > width else "")
    return cut.encode("unicode_escape").decode("ascii") if not cut.isprintable() else cut


def typed(text: pa.Array | pa.ChunkedArray, kind: str) -> tuple[pa.Array, pa.Array]:
    """A text column typed as `kind`, and where a written cell is not a valid value of it.

    The one dialect: the loader and the validator both type every cell here. An invalid cell
    becomes null in the typed column and true in the mask.
    """
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    text = pc.cast(text, pa.string())
    present = pc.is_valid(text)
    if kind == "boolean":
        out = pc.if_else(
            pc.equal(text, "true"),
            True,
            pc.if_else(pc.equal(text, "false"), False, pa.scalar(None, pa.bool_())),
        )
        return out, pc.and_(present, pc.is_null(out))
    ok = pc.fill_null(pc.match_substring_regex(text, PATTERNS[kind]), False)
    out = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), ARROW_TYPES[kind])
    if kind == "number":
        out = pc.if_else(pc.is_finite(out), out, pa.scalar(None, pa.float64()))
    return out, pc.and_(present, pc.is_null(out))


def blank_rows(table: pa.Table) -> list[int]:
    """Rows whose every cell is empty: a blank line (or a line of commas alone)."""
    if table.num_columns == 0 or table.num_rows == 0:
        return []
    empty = pc.is_null(table.column(0))
    for col in table.columns[1:]:
        empty = pc.and_(empty, pc.is_null(col))
    return pc.indices_nonzero(empty).to_pylist() if pc.any(empty).as_py() else []


def parse_error(exc: Exception) -> str:
    """pyarrow's CSV error in plain words (a row too long for one block is the usual one)."""
    text = str(exc).splitlines()[0]
    if "straddl" in text:
        return f"a row too long (over {BLOCK >> 20} MiB; a row must fit in {2 * BLOCK >> 20} MiB)"
    return text


def read_table(path: Path, schema: dict[str, Any], where: str | None = None) -> pa.Table:
    """The CSV at path as an Arrow table typed from its Table Schema (empty cells are null).

    The file must be in the package's dialect (see the module docstring); anything else raises
    PackageError naming the file, line or row, and field, as the validator would report it.
    """
    where = where or path.name
    try:
        found = scan(path)
        with path.open("rb") as fh:
            first = fh.readline(BLOCK)
    except OSError as exc:
        raise PackageError(f"{where}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if found.bom:
        raise PackageError(f"{where}: line 1: starts with a UTF-8 byte-order mark")
    if found.cr:
        kind = "CRLF line end" if found.crlf else "CR byte (a lone CR line end?)"
        raise PackageError(f"{where}: line {line_at(path, found.first_cr)}: {kind}; the package uses LF")
    if found.nul:
        raise PackageError(f"{where}: line {line_at(path, found.first_nul)}: NUL byte")
    if not found.nonblank:
        raise PackageError(f"{where}: empty file; it needs at least a header row")
    bad = utf8_error(path) if not _is_utf8(first) else None
    if bad:
        raise PackageError(f"{where}: line {bad[0]}: not valid UTF-8 (byte {bad[1]})")
    names = [f["name"] for f in fields(schema)]
    if header_of(first) != names:
        raise PackageError(f"{where}: line 1: the header is not the schema's fields in order")
    read, parse, convert = read_options(schema, as_text=True)
    try:
        text = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        bad = utf8_error(path)
        if bad:
            raise PackageError(f"{where}: line {bad[0]}: not valid UTF-8 (byte {bad[1]})") from None
        raise PackageError(f"{where}: cannot be parsed as CSV: {parse_error(exc)}") from None
    if blank := blank_rows(text):
        raise PackageError(f"{where}: row {blank[0] + 1}: blank line (every cell empty)")
    columns = []
    for f in fields(schema):
        col, kind = text.column(f["name"]), f.get("type", "string")
        if kind in PATTERNS or kind == "boolean":
            values, invalid = typed(col, kind)
            if pc.any(invalid).as_py():
                i = pc.indices_nonzero(invalid)[0].as_py()
                cell = show(col[i].as_py())
                raise PackageError(
                    f"{where}: {_row(text, schema, i)}: {f['name']}: '{cell}' is not a valid {kind}"
                )
            col = values
        columns.append(col)
    return pa.table(columns, names=names)


def _row(text: pa.Table, schema: dict[str, Any], i: int) -> str:
    """'row N (key K)' for a message: the data row's number and its primary key."""
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else key
    cells = [str(text.column(k)[i].as_py()) for k in key if k in text.column_names]
    return f"row {i + 1}" + (f" ({','.join(key)} {show(','.join(cells))})" if cells else "")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _pad(text: pa.Array, year: str, month: str) -> tuple[pa.Array, pa.Array]:
    """Each date padded to a full day with the given suffixes, and each one's length."""
    if isinstance(text, pa.ChunkedArray):  # element-wise kernels with scalars are slow across many chunks
        text = text.combine_chunks()
    text = pc.cast(text, pa.string())
    length = pc.utf8_length(text)
    # an array of suffixes: joining with a broadcast scalar is far slower in pyarrow
    suffix = pc.if_else(pc.equal(length, 4), year, pc.if_else(pc.equal(length, 7), month, ""))
    return pc.binary_join_element_wise(text, suffix, ""), length


def _days(padded: pa.Array) -> pa.Array:
    """Full ISO dates as timestamps; null where absent or impossible ('2025-02-30', '2025-13-01')."""
    try:
        return pc.cast(padded, pa.timestamp("s"))  # strict ISO 8601: fast, and rejects impossible days
    except pa.ArrowInvalid:
        parsed = pc.strptime(padded, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2025-02-30 over to March: keep only dates whose day is the day written
        written = pc.cast(pc.utf8_slice_codeunits(padded, 8, 10), pa.int64(), safe=False)
        return pc.if_else(pc.equal(pc.day(parsed), written), parsed, pa.scalar(None, parsed.type))


def _dates_only(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The cells that look like reduced-precision dates; anything else ('0000', '2025-W05') null."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    text = pc.cast(text, pa.string())
    ok = pc.fill_null(pc.match_substring_regex(text, REDUCED_DATE), False)
    return text if pc.all(ok).as_py() else pc.if_else(ok, text, pa.scalar(None, pa.string()))


def _whole_days(text: pa.Array) -> pa.Array | None:
    """Where every date is written to the day ('2024-09-15'), all of them in one strict cast; else None."""
    lengths = pc.min_max(pc.utf8_length(text))
    if lengths["min"].as_py() == lengths["max"].as_py() == 10:
        try:
            return pc.cast(text, pa.date32())
        except pa.ArrowInvalid:  # an impossible day ('2025-02-30'): the general path makes it null
            return None
    return None


def first_day(text: pa.Array) -> pa.Array:
    """First day of each reduced-precision date ('2024' -> 2024-01-01); null if absent or impossible."""
    text = _dates_only(text)
    whole = _whole_days(text)
    if whole is not None:
        return whole
    padded, _ = _pad(text, "-01-01", "-01")
    return pc.cast(_days(padded), pa.date32())


def last_day(text: pa.Array) -> pa.Array:
    """Last day of each reduced-precision date ('2024-02' -> 2024-02-29); null if absent or impossible."""
    text = _dates_only(text)
    whole = _whole_days(text)
    if whole is not None:
        return whole
    padded, length = _pad(text, "-12-31", "-01")
    day = _days(padded)
    month_end = pc.subtract(
        pc.floor_temporal(pc.add(day, pa.scalar(31 * 86400, pa.duration("s"))), unit="month"),
        pa.scalar(86400, pa.duration("s")),
    )
    return pc.cast(pc.if_else(pc.equal(length, 7), month_end, day), pa.date32())


def with_date_columns(table: pa.Table, schema: dict[str, Any]) -> pa.Table:
    """Add `<field>_date` for each reduced-precision date: a start's first day, an end's last day."""
    for name, side in date_fields(schema).items():
        col = table.column(name)
        day = first_day(col) if side == "start" else last_day(col)
        table = table.append_column(pa.field(f"{name}_date", pa.date32()), day)
    return table
