"""Typed reading of the package's CSV files with pyarrow, driven by their Table Schemas.

This is the one reader: the loader (pandas or polars) and the validator both type the tables
through it, so no column list or type is written anywhere but in `schemas/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}
TRUE_VALUES = ["true"]
FALSE_VALUES = ["false"]
DATE_KEY = "x-reduced-date"  # field property: "start" (reads as first day) or "end" (last day)


def fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's field descriptors, in order."""
    return list(schema["fields"])


def arrow_type(field: dict[str, Any]) -> pa.DataType:
    """The Arrow type of a Table Schema field."""
    return ARROW_TYPES[field.get("type", "string")]


def date_fields(schema: dict[str, Any]) -> dict[str, str]:
    """Reduced-precision date fields and whether each reads as a start or an end."""
    return {f["name"]: f[DATE_KEY] for f in fields(schema) if DATE_KEY in f}


def read_options(schema: dict[str, Any], *, as_text: bool = False, on_invalid=None):
    """pyarrow read, parse and convert options for a CSV described by the schema."""
    names = [f["name"] for f in fields(schema)]
    types = {f["name"]: pa.string() if as_text else arrow_type(f) for f in fields(schema)}
    read = pacsv.ReadOptions(use_threads=True, block_size=1 << 20)
    parse = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid)
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


def read_table(path: Path, schema: dict[str, Any]) -> pa.Table:
    """The CSV at path as an Arrow table typed from its Table Schema (empty cells are null)."""
    read, parse, convert = read_options(schema)
    return pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)


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
    whole = _whole_days(text)
    if whole is not None:
        return whole
    padded, _ = _pad(text, "-01-01", "-01")
    return pc.cast(_days(padded), pa.date32())


def last_day(text: pa.Array) -> pa.Array:
    """Last day of each reduced-precision date ('2024-02' -> 2024-02-29); null if absent or impossible."""
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
